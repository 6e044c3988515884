//! MMS: tshark 4.0 writes no `protocol_fields` for it, so the transport units are counted
//! against tshark's protocol stacks: every ISO session SPDU (`ses`) tshark decodes must be
//! a unit Rampart's MMS dissector reported, in a record of its own or one side of a
//! transaction. tshark decodes MMS itself only where it saw the presentation context being
//! defined, but the session layer everywhere, so `ses` is the count that can agree.

use serde_json::Value;

use crate::common::{layer_count, units};
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// Session SPDUs decoded by tshark against MMS units reported by Rampart.
pub fn check(oracle: &Value, run: &Analysis) -> Vec<String> {
    let Some(want) = layer_count(oracle, &["ses"]) else {
        return vec!["tshark's stacks are cut at 50: session units cannot be counted".into()];
    };
    let got = units(run, "mms", |r| {
        if r["direction"] == "transaction" {
            2
        } else {
            1
        }
    });
    if want == got {
        Vec::new()
    } else {
        vec![format!("session units: tshark {want}, rampart {got}")]
    }
}
