//! OPC UA: message types and service encoding ids counted per message; endpoint URLs of
//! Hello messages, security policies of OpenSecureChannel, application and product URIs of
//! application descriptions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common;
use crate::support::Analysis;

/// (capture, reason).
pub const EXCEPTIONS: &[(&str, &str)] = &[];

fn strings(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.as_array().into_iter().flatten().map(common::text)
}

/// Compare tshark's opcua fields with Rampart's records. A paired `service` record stands
/// for two messages: its request and its `response_*` answer.
pub fn check(expected: &Value, run: &Analysis) -> Vec<String> {
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    let mut services: BTreeMap<String, u64> = BTreeMap::new();
    let mut urls = BTreeSet::new();
    let mut policies = BTreeSet::new();
    let mut applications = BTreeSet::new();
    let mut products = BTreeSet::new();
    for r in run.records("opcua") {
        for key in ["message_type", "response_message_type"] {
            if let Some(t) = r[key].as_str() {
                *types.entry(t.to_string()).or_default() += 1;
            }
        }
        for key in ["service_type_id", "response_type_id"] {
            if let Some(id) = r[key].as_u64() {
                *services.entry(id.to_string()).or_default() += 1;
            }
        }
        if r["kind"] == "hello" {
            urls.extend(r["endpoint_url"].as_str().map(str::to_string));
        }
        policies.extend(r["security_policy_uri"].as_str().map(str::to_string));
        applications.extend(strings(&r["application_uris"]));
        applications.extend(r["client_application_uri"].as_str().map(str::to_string));
        products.extend(strings(&r["product_uris"]));
        products.extend(r["client_product_uri"].as_str().map(str::to_string));
    }
    applications.remove("");
    products.remove("");
    [
        common::counts(
            "message_type_counts",
            &expected["message_type_counts"],
            &types,
        ),
        common::counts(
            "service_nodeid_counts",
            &expected["service_nodeid_counts"],
            &services,
        ),
        common::set("endpoint_urls", &expected["endpoint_urls"], &urls),
        common::set(
            "security_policy_uris",
            &expected["security_policy_uris"],
            &policies,
        ),
        common::set(
            "application_uris",
            &expected["application_uris"],
            &applications,
        ),
        common::set("product_uris", &expected["product_uris"], &products),
    ]
    .into_iter()
    .flatten()
    .collect()
}
