//! One indicator of compromise, as loaded from a list or a STIX bundle.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use rampart_event::Timestamp;

use crate::Severity;

/// What an indicator names, with its normalised value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One address.
    Ip(IpAddr),
    /// A network: every address in it.
    Cidr(IpNet),
    /// A domain and its subdomains, lowercase, without a trailing dot.
    Domain(String),
    /// A URL as host (lowercase, without port) and path with query; an empty path stands for
    /// every path on the host.
    Url {
        /// The host.
        host: String,
        /// The path and query (`/a/b?c`), or empty.
        path: String,
    },
    /// A JA3 client hash (32 lowercase hex digits).
    Ja3(String),
    /// A JA4 client fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`), lowercase.
    Ja4(String),
}

impl Target {
    /// The type name lists use as a prefix (`ip:`, `cidr:`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Target::Ip(_) => "ip",
            Target::Cidr(_) => "cidr",
            Target::Domain(_) => "domain",
            Target::Url { .. } => "url",
            Target::Ja3(_) => "ja3",
            Target::Ja4(_) => "ja4",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ip(ip) => write!(f, "{ip}"),
            Target::Cidr(net) => write!(f, "{net}"),
            Target::Domain(d) | Target::Ja3(d) | Target::Ja4(d) => f.write_str(d),
            Target::Url { host, path } => write!(f, "http://{host}{path}"),
        }
    }
}

/// An indicator with what an analyst needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// What it matches.
    pub target: Target,
    /// The file it came from, and the line for lists.
    pub source: String,
    /// STIX id, for indicators from a bundle.
    pub stix_id: Option<String>,
    /// STIX name.
    pub name: Option<String>,
    /// STIX description.
    pub description: Option<String>,
    /// STIX labels and indicator types.
    pub labels: Vec<String>,
    /// Severity of a match.
    pub severity: Severity,
    /// No match at or after this capture time (STIX `valid_until`).
    pub valid_until: Option<Timestamp>,
}

impl Indicator {
    /// An indicator from a plain list: no metadata, the default severity.
    pub fn listed(target: Target, source: String) -> Indicator {
        Indicator {
            target,
            source,
            stix_id: None,
            name: None,
            description: None,
            labels: Vec::new(),
            severity: Severity::Major,
            valid_until: None,
        }
    }

    /// True when the indicator still holds at capture time `time`.
    pub fn valid_at(&self, time: Timestamp) -> bool {
        self.valid_until.is_none_or(|until| time < until)
    }
}
