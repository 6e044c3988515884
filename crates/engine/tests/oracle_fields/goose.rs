//! GOOSE: tshark 4.0 writes no `protocol_fields` for it; every frame tshark decodes as GOOSE
//! must be a GOOSE record of Rampart's.

use serde_json::Value;

use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// GOOSE frames by tshark against GOOSE records.
pub fn check(oracle: &Value, run: &Analysis) -> Vec<String> {
    let want = oracle["protocol_frame_counts"]["goose"]
        .as_u64()
        .unwrap_or(0);
    let got = run
        .records("goose")
        .filter(|r| r["kind"] == "goose")
        .count() as u64;
    if want == got {
        Vec::new()
    } else {
        vec![format!("frames: tshark {want}, rampart {got}")]
    }
}
