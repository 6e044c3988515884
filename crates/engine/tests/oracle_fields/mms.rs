//! MMS: tshark 4.0 writes no `protocol_fields` for it, so the transport units are counted
//! against tshark's protocol stacks: every ISO session SPDU (`ses`) tshark decodes must be
//! a unit Rampart's MMS dissector reported, in a record of its own or one side of a
//! transaction. tshark decodes MMS itself only where it saw the presentation context being
//! defined, but the session layer everywhere, so `ses` is the count that can agree.

use serde_json::Value;

use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

/// How many times `layer` occurs in the frames of tshark's protocol stacks, or `None` when
/// the oracle lists only the 50 commonest stacks and may have left some out.
pub fn layer_count(oracle: &Value, layer: &str) -> Option<u64> {
    let stacks = oracle["protocol_stacks"].as_object()?;
    if stacks.len() >= 50 {
        return None;
    }
    Some(
        stacks
            .iter()
            .map(|(stack, frames)| {
                let n = stack.split(':').filter(|l| *l == layer).count() as u64;
                n * frames.as_u64().unwrap_or(0)
            })
            .sum(),
    )
}

/// How many units a protocol's records account for: a transaction is two, COTP connection
/// records none.
pub fn units(run: &Analysis, protocol: &str) -> u64 {
    run.events
        .iter()
        .filter(|e| e["kind"] == "protocol" && e["network"]["protocol"] == protocol)
        .filter(|e| {
            !e[protocol]["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("cotp_"))
        })
        .map(|e| {
            if e["direction"] == "transaction" {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Session SPDUs decoded by tshark against MMS units reported by Rampart.
pub fn check(oracle: &Value, run: &Analysis) -> Vec<String> {
    let Some(want) = layer_count(oracle, "ses") else {
        return vec!["tshark's stacks are cut at 50: session units cannot be counted".into()];
    };
    let got = units(run, "mms");
    if want == got {
        Vec::new()
    } else {
        vec![format!("session units: tshark {want}, rampart {got}")]
    }
}
