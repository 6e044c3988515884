//! DNS: the names and types of queries.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[(
    "attack/wireshark-fuzz-2006-06-26-ndpi.pcap",
    "a fuzzed copy of NBNS and DNS traffic: NBNS datagrams whose mutation broke NBNS's shape \
     are recognised by the DNS probe (the same wire format) where tshark goes by port 137; \
     mutated label bytes are escaped as \\DDD by Rampart (RFC 4343 presentation form) and \
     replaced by tshark; queries with a zero question count have no name",
)];

/// Query names and query-type counts of requests (tshark: `dns.flags.response==0`).
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let queries: Vec<&Value> = run
        .records("dns")
        .filter(|r| r["kind"] == "query")
        .collect();
    let names: BTreeSet<String> = queries.iter().map(|q| common::text(&q["qname"])).collect();
    let types = common::tally(queries.iter().map(|q| &q["qtype"]));
    [
        common::set("query_names", &expected["query_names"], &names),
        common::counts("query_type_counts", &expected["query_type_counts"], &types),
    ]
    .into_iter()
    .flatten()
    .collect()
}
