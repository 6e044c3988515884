//! The policy engine over real captures: a baseline learned from a whole capture accepts a
//! second pass of the same capture without one policy alert, while an empty baseline makes
//! the same traffic raise.

mod support;

use std::path::Path;

use rampart_detect::baseline::{self, Baseline, BaselineHandle};
use rampart_detect::policy::PolicyEngine;
use rampart_detect::{Alert, Detection, Learning};
use rampart_engine::{Engine, EngineConfig, NullSink};

/// Run the engine over `path` with the policy engine on `baseline`, learning as `learning`.
fn run(path: &Path, baseline: &BaselineHandle, learning: Learning) -> Vec<Alert> {
    let detection = Detection::new(
        learning,
        vec![Box::new(PolicyEngine::new(baseline.clone()))],
        1 << 20,
    );
    let mut engine =
        Engine::new(EngineConfig::default(), Box::new(NullSink)).with_detection(detection);
    support::feed(&mut engine, path);
    let (report, _) = engine.finish();
    report
        .detection
        .expect("detection was on")
        .book()
        .alerts()
        .to_vec()
}

/// Learn the whole capture, then monitor it again: no policy alert.
fn second_pass_is_quiet(path: &Path) -> Baseline {
    let b = baseline::handle(Baseline::default());
    let learning = run(path, &b, Learning::For(u64::MAX));
    assert!(
        learning.is_empty(),
        "{}: alerts while learning: {learning:?}",
        path.display()
    );
    let monitoring = run(path, &b, Learning::Off);
    let lines: Vec<String> = monitoring.iter().map(Alert::summary_line).collect();
    assert!(
        monitoring.is_empty(),
        "{}: second pass raised {lines:#?}",
        path.display()
    );
    baseline::lock(&b).clone()
}

#[test]
fn a_learned_modbus_capture_monitors_quietly_and_an_empty_baseline_does_not() {
    let Some(corpus) = support::corpus() else {
        return;
    };
    let path = corpus.join("modbus/modbus-example-zeek.pcap");
    let learned = second_pass_is_quiet(&path);
    let mut edges: Vec<String> = learned
        .edges
        .values()
        .map(|e| {
            format!(
                "{} -> {} {:?} {} commands",
                e.client,
                e.server,
                e.protocols,
                e.commands.len()
            )
        })
        .collect();
    edges.sort();
    // The Zeek sample polls over loopback, and one Modbus session goes to a public address.
    assert_eq!(
        edges,
        vec![
            "127.0.0.1 -> 127.0.0.1 [\"modbus\"] 21 commands",
            "192.168.1.6 -> internet [\"modbus\"] 1 commands",
        ]
    );
    // Against an empty baseline the same traffic raises its two clients as new devices, and
    // nothing they open (one root cause, one alert).
    let empty = baseline::handle(Baseline::default());
    let raised = run(&path, &empty, Learning::Off);
    let mut devices: Vec<(&str, String)> = raised
        .iter()
        .map(|a| {
            (
                a.rule,
                a.evidence["device"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    devices.sort();
    assert_eq!(
        devices,
        vec![
            ("policy.new_device", "127.0.0.1".to_string()),
            ("policy.new_device", "192.168.1.6".to_string()),
        ]
    );
}

#[test]
fn every_capture_of_the_corpus_monitors_quietly_after_learning_it() {
    let Some(corpus) = support::corpus() else {
        return;
    };
    for path in support::captures(&corpus) {
        second_pass_is_quiet(&path);
    }
}
