//! The detection options of `rampart analyze`: when to learn, which settings, which engines.

use rampart_detect::suppress::suppressors;
use rampart_detect::{DetectConfig, Detection, Learning, detectors};
use rampart_event::Timestamp;

use crate::AnalyzeArgs;
use crate::baseline::AnalysisBaseline;

/// Parse `--learn-until`: `off`, a duration (`10m`) or an RFC 3339 time.
pub fn parse_learning(text: &str) -> Result<Learning, String> {
    if text == "off" {
        return Ok(Learning::Off);
    }
    if let Ok(duration) = humantime::parse_duration(text) {
        let nanos = u64::try_from(duration.as_nanos()).map_err(|_| "duration too long")?;
        return Ok(Learning::For(nanos));
    }
    match humantime::parse_rfc3339_weak(text) {
        Ok(time) => {
            let since = time
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| format!("{text}: before 1970"))?;
            let nanos = u64::try_from(since.as_nanos()).map_err(|_| "time too far away")?;
            Ok(Learning::Until(Timestamp(nanos)))
        }
        Err(_) => Err(format!(
            "{text}: expected `off`, a duration such as 90s, 10m or 1h30m, or an RFC 3339 time such as 2026-03-01T08:00:00Z"
        )),
    }
}

/// What detection a run has: the engines, their settings and the baseline they learn into.
pub struct RunDetection {
    /// The engines, suppressors and evidence ring.
    pub detection: Detection,
    /// The settings.
    pub config: DetectConfig,
    /// The baseline the policy engine learns into and checks against, when it runs.
    pub baseline: Option<AnalysisBaseline>,
}

/// The detection a run asked for, or `None` with `--no-detect`.
///
/// The policy engine runs with the `--baseline` file, or with a baseline of this run alone
/// when the run learns; not when it neither learns nor has a baseline, where every device
/// would be new.
pub fn detection(args: &AnalyzeArgs) -> Result<Option<RunDetection>, String> {
    if args.no_detect {
        return Ok(None);
    }
    let mut config = match &args.detect_config {
        Some(path) => DetectConfig::load(path).map_err(|e| e.to_string())?,
        None => DetectConfig::default(),
    };
    config.rules.files.extend(args.rules.iter().cloned());
    // The detectors log a file they cannot load and run without it; a run refuses instead.
    rampart_detect::rules::load(&config.rules.files).map_err(|e| e.to_string())?;
    rampart_detect::intel::load(&config.intel.files).map_err(|e| e.to_string())?;
    let file = args
        .baseline
        .as_deref()
        .map(AnalysisBaseline::open)
        .transpose()?;
    let learning = args.learn_until.unwrap_or_else(|| {
        file.as_ref()
            .map_or(Learning::Always, AnalysisBaseline::default_learning)
    });
    let baseline = match (file, learning) {
        (Some(b), _) => Some(b),
        (None, Learning::Off) => None,
        (None, _) => Some(AnalysisBaseline::in_memory()),
    };
    let mut engines = detectors(&config);
    let mut quiet = suppressors(&config);
    if let Some(b) = &baseline {
        engines.push(b.detector());
        quiet.push(b.suppressor());
    }
    let ring = args.evidence_mb.saturating_mul(1 << 20);
    let mut detection = Detection::new(learning, engines, ring);
    for suppressor in quiet {
        detection = detection.with_suppressor(suppressor);
    }
    Ok(Some(RunDetection {
        detection,
        config,
        baseline,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_periods_parse() {
        assert_eq!(parse_learning("off"), Ok(Learning::Off));
        assert_eq!(parse_learning("90s"), Ok(Learning::For(90_000_000_000)));
        assert_eq!(
            parse_learning("1h 30m"),
            Ok(Learning::For(5_400_000_000_000))
        );
        assert_eq!(
            parse_learning("2023-11-14T22:13:20Z"),
            Ok(Learning::Until(Timestamp::from_parts(1_700_000_000, 0)))
        );
        let err = parse_learning("tomorrow").expect_err("not a time");
        assert!(err.contains("RFC 3339"), "{err}");
    }
}
