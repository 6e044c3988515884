//! Alerts out to the SOC.
//!
//! Payloads: CEF ([`cef`]), LEEF 2.0 ([`leef`]) and the alerts.jsonl object ([`json`]).
//! Transports: syslog (RFC 5424) over UDP, TCP with octet counting (RFC 6587) and TLS
//! (RFC 5425), and HMAC-signed webhooks ([`webhook`]). Each destination has its own rules
//! ([`Filter`]), bounded queue and worker thread ([`Forwarder`]), so a slow or dead receiver
//! never blocks packet processing: its alerts are dropped and counted instead.
//!
//! The seam is an [`Alert`](rampart_detect::Alert) that detection has just opened; this crate
//! knows nothing of packets or engines. Formatting happens on the caller's thread (only for
//! alerts that go somewhere), network I/O only on the workers'.

#![forbid(unsafe_code)]

pub mod cef;
pub mod config;
pub mod deliver;
pub mod filter;
pub mod forwarder;
pub mod json;
pub mod leef;
mod net;
mod pairs;
pub mod syslog;
pub mod tls;
pub mod webhook;

use std::path::Path;

pub use config::{ConfigError, Destination, Format, ForwardConfig, Target, Transport};
pub use filter::Filter;
pub use forwarder::{ForwardStats, Forwarder, StartError};
pub use json::serialize_alert_json;

/// Load the forwarding configuration at `path` and start its workers
/// (`rampart analyze --forward FILE`).
pub fn start(path: &Path) -> Result<Forwarder, StartError> {
    Forwarder::start(ForwardConfig::load(path)?)
}

#[cfg(test)]
pub(crate) mod fixture {
    use rampart_detect::{AlertDraft, Endpoint, EngineKind, Rule, Severity};
    use rampart_event::{Mac, Timestamp};

    /// A description with everything that breaks naive formats.
    pub const HOSTILE: &str = "pipe | equals = backslash \\ tab \t newline \n return \r ünïcødé ☃";

    static RULE: Rule = Rule {
        id: "policy.new_command",
        title: "New command on an edge",
        engine: EngineKind::Policy,
        category: "command",
        severity: Severity::Major,
        techniques: &["T0855", "T0836"],
        remediation: "Check with the owner of the source.",
    };

    /// A Modbus write alert seen three times, the first at 2024-03-01T10:00:00.250Z.
    pub fn alert() -> rampart_detect::Alert {
        let first = Timestamp::from_parts(1_709_287_200, 250_000_000);
        let draft = AlertDraft::new(&RULE, first, HOSTILE)
            .between(
                Some(Endpoint {
                    ip: Some([10, 0, 0, 5].into()),
                    mac: Some(Mac([0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c])),
                    port: Some(40001),
                }),
                Some(Endpoint {
                    ip: Some([10, 0, 0, 9].into()),
                    mac: None,
                    port: Some(502),
                }),
            )
            .protocol("modbus")
            .discriminator("fc16")
            .evidence("function_code", 16);
        let mut alert = rampart_detect::Alert::open(draft.clone());
        alert.repeat(AlertDraft {
            time: first.plus_nanos(60_000_000_000),
            ..draft.clone()
        });
        alert.repeat(AlertDraft {
            time: Timestamp::from_parts(1_709_287_500, 0),
            ..draft
        });
        alert
    }
}
