//! S7comm-plus: tshark 4.0 has no dissector for it and shows the COTP payloads as `data`, so
//! the frames are counted: every COTP data unit tshark leaves undecoded in a capture must be
//! a frame of an S7comm-plus message Rampart reported (counted by the `fragments` of each
//! side of its records).

use serde_json::Value;

use crate::common::{layer_count, units};
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Undecoded COTP data units by tshark against S7comm-plus frames by Rampart.
pub fn check(oracle: &Value, run: &Analysis) -> Vec<String> {
    let Some(want) = layer_count(oracle, &["cotp", "data"]) else {
        return vec!["tshark's stacks are cut at 50: COTP data units cannot be counted".into()];
    };
    let got = units(run, "s7commplus", |e| {
        let body = &e["s7commplus"];
        body["fragments"].as_u64().unwrap_or(1) + body["response_fragments"].as_u64().unwrap_or(0)
    });
    if want == got {
        Vec::new()
    } else {
        vec![format!("COTP data units: tshark {want}, rampart {got}")]
    }
}
