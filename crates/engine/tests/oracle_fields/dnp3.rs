//! DNP3: application function codes per fragment, link function codes per frame, and the
//! link address pairs.
//!
//! tshark counts `dnp3.al.func` once per reassembled application fragment (in the frame that
//! completes it) and `dnp3.ctl.prifunc` / `dnp3.ctl.secfunc` once per link frame. Rampart's
//! records carry the same facts: a `transaction` holds two fragments (request and response),
//! every other application record one, each with the number of link frames that carried it
//! (`frames`, `response_frames`) and their link function code; `link` records are the frames
//! without user data.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "dnp3/dnp3-example-zeek.pcap",
        "tshark 4.0 does not reassemble an application fragment whose transport segments wrap \
         the six-bit sequence from 63 to 0 (frames 18, 114 and 210, responses, and 810, an \
         unsolicited response: it shows only the first segment), and it decodes frame 311, a \
         single-segment response with transport sequence 0 right after sequence 63, as a \
         confirm with sequence 0; Rampart reassembles all of them, so it counts 364 responses \
         and 4 unsolicited responses where tshark has 360, 3 and one confirm",
    ),
    (
        "dnp3/dnp3-ndpi.pcapng",
        "the capture holds most frames two or three times over (the same TCP segment, same \
         sequence numbers, as in frames 49-51): tshark dissects every copy, Rampart's TCP \
         reassembly delivers each byte once. Counting only the first copy of each segment, \
         tshark's figures are Rampart's exactly (129: 23, 130: 30, 0: 13, primary function 4: \
         93 frames)",
    ),
];

/// Compare function-code counts and address pairs.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let mut app: BTreeMap<String, u64> = BTreeMap::new();
    let mut primary: BTreeMap<String, u64> = BTreeMap::new();
    let mut secondary: BTreeMap<String, u64> = BTreeMap::new();
    let mut pairs: BTreeSet<String> = BTreeSet::new();
    let n = |v: &Value| v.as_u64().unwrap_or_default();
    for r in run.records("dnp3") {
        if r["kind"] == "link" {
            let counts = if r["prm"] == true {
                &mut primary
            } else {
                &mut secondary
            };
            *counts
                .entry(common::text(&r["link_function_code"]))
                .or_default() += 1;
            pairs.insert(pair(&r["src"], &r["dst"]));
            continue;
        }
        let (master, outstation) = (&r["master"], &r["outstation"]);
        let mut fragment = |prefix: &str| {
            let code = &r[format!("{prefix}function_code")];
            *app.entry(common::text(code)).or_default() += 1;
            *primary
                .entry(common::text(&r[format!("{prefix}link_function_code")]))
                .or_default() += n(&r[format!("{prefix}frames")]);
            // Responses travel from the outstation, everything else from the master.
            if n(code) >= 129 {
                pairs.insert(pair(outstation, master));
            } else {
                pairs.insert(pair(master, outstation));
            }
        };
        fragment("");
        if r["kind"] == "transaction" {
            fragment("response_");
        }
    }
    let want_pairs: BTreeSet<String> = expected["src_dst_address_pairs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some(pair(p.get(0)?, p.get(1)?)))
        .collect();
    let differs = (want_pairs != pairs)
        .then(|| format!("src_dst_address_pairs: tshark {want_pairs:?}, rampart {pairs:?}"));
    [
        common::counts(
            "app_function_code_counts",
            &expected["app_function_code_counts"],
            &app,
        ),
        common::counts(
            "link_primary_function_counts",
            &expected["link_primary_function_counts"],
            &primary,
        ),
        common::counts(
            "link_secondary_function_counts",
            &expected["link_secondary_function_counts"],
            &secondary,
        ),
        differs,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A source and destination address, as `src>dst`.
fn pair(src: &Value, dst: &Value) -> String {
    format!("{}>{}", common::text(src), common::text(dst))
}
