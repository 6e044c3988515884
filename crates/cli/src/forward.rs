//! `rampart analyze --forward FILE`: alerts out to the SOC as detection opens them.
//!
//! Glue only: the configuration, formats, queues and transports are `rampart-forward`'s.
//! Call [`start`] before reading input, [`send_fresh`] after each packet (it costs one check
//! when nothing was raised) and [`finish`] once the engine is finished.

use std::path::Path;
use std::time::Duration;

use rampart_detect::{AlertId, Detection};
use rampart_forward::{ForwardStats, Forwarder};
use tracing::info;

/// How long the end of a run waits for receivers to take what is still queued.
pub const DRAIN: Duration = Duration::from_secs(5);

/// Load the forwarding configuration at `path` and start its workers.
pub fn start(path: &Path) -> Result<Forwarder, String> {
    let forwarder = rampart_forward::start(path).map_err(|e| e.to_string())?;
    info!(destinations = ?forwarder.destinations(), "Forwarding alerts.");
    Ok(forwarder)
}

/// Forward the alerts detection opened since the last call. With `pcaps` (an output
/// directory is written) each alert that has a PCAP names it as `alerts/<id>.pcap`.
pub fn send_fresh(forwarder: &Forwarder, detection: &mut Detection, pcaps: bool) {
    if !detection.has_fresh() {
        return;
    }
    let fresh: Vec<AlertId> = detection.take_fresh().iter().map(|a| a.id).collect();
    for id in fresh {
        let Some(alert) = detection.book().get(id) else {
            continue;
        };
        let pcap = (pcaps && detection.pcap(id).is_some()).then(|| format!("alerts/{id}.pcap"));
        forwarder.send(alert, pcap.as_deref());
    }
}

/// Forward what the end of input raised, drain the queues for at most [`DRAIN`], and report
/// each destination's counters.
pub fn finish(
    forwarder: Forwarder,
    detection: Option<&mut Detection>,
    pcaps: bool,
) -> Vec<ForwardStats> {
    if let Some(detection) = detection {
        send_fresh(&forwarder, detection, pcaps);
    }
    let stats = forwarder.finish(DRAIN);
    for s in &stats {
        info!(
            destination = %s.name,
            sent = s.sent,
            dropped = s.dropped,
            failed = s.failed,
            retries = s.retries,
            unsent = s.unsent,
            "Forwarding finished."
        );
    }
    stats
}

/// One line per destination for the printed summary.
pub fn summary(stats: &[ForwardStats]) -> String {
    stats
        .iter()
        .map(|s| {
            format!(
                "Forwarded to {}: {} sent, {} dropped (queue full), {} failed, {} retries, {} unsent at the deadline.\n",
                s.name, s.sent, s.dropped, s.failed, s.retries, s.unsent
            )
        })
        .collect()
}
