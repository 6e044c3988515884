//! What a plugin declares about itself, and the checks that keep a bad declaration out.

use rampart_dissect::Transport;
use rampart_event::Attribute;
use serde::Deserialize;

/// The version of the host–guest interface this host speaks.
pub const ABI_VERSION: i32 = 1;

/// The longest protocol, record kind or field name a plugin may declare.
const MAX_NAME: usize = 32;
/// The most record kinds or fields a plugin may declare.
const MAX_DECLARED: usize = 256;
/// The most well-known ports a plugin may declare.
const MAX_PORTS: usize = 64;

/// A plugin's declaration, as JSON in its `rampart_manifest` export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The protocol name used in records: lowercase letters, digits and `_`.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// One line saying what it dissects.
    #[serde(default)]
    pub description: String,
    /// `tcp`, `udp` or both.
    pub transports: Vec<String>,
    /// Well-known server ports: a hint for the probe, never a requirement.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// The record kinds it emits.
    pub records: Vec<String>,
    /// The field names its records may carry.
    pub fields: Vec<String>,
    /// The identity attributes it may report (`vendor`, `model`, `serial`, …).
    #[serde(default)]
    pub identity: Vec<String>,
}

/// A declaration the host refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not the JSON shape above.
    #[error("manifest is not valid: {0}")]
    Json(String),
    /// A name with characters or a length records cannot carry.
    #[error("{what} {name:?} must be 1–{MAX_NAME} characters of a–z, 0–9 and _")]
    BadName {
        /// Which declaration.
        what: &'static str,
        /// The offending name.
        name: String,
    },
    /// A transport other than `tcp` or `udp`, or none at all.
    #[error("transport {0:?} is neither tcp nor udp")]
    BadTransport(String),
    /// No transport declared.
    #[error("the manifest declares no transport")]
    NoTransport,
    /// An identity attribute Rampart does not know.
    #[error("identity attribute {0:?} is not one of Rampart's")]
    UnknownAttribute(String),
    /// More declarations than the host keeps.
    #[error("{what}: {count} declared, at most {limit}")]
    TooMany {
        /// Which declaration.
        what: &'static str,
        /// How many were declared.
        count: usize,
        /// The limit.
        limit: usize,
    },
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_names(what: &'static str, names: &[String]) -> Result<(), ManifestError> {
    if names.len() > MAX_DECLARED {
        return Err(ManifestError::TooMany {
            what,
            count: names.len(),
            limit: MAX_DECLARED,
        });
    }
    match names.iter().find(|n| !valid_name(n)) {
        Some(name) => Err(ManifestError::BadName {
            what,
            name: name.clone(),
        }),
        None => Ok(()),
    }
}

/// A manifest that passed the checks, with its names resolved.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The declaration.
    pub manifest: Manifest,
    /// The transports, parsed.
    pub transports: Vec<Transport>,
    /// The identity attributes, parsed.
    pub identity: Vec<Attribute>,
}

impl Manifest {
    /// Parse and check a manifest.
    pub fn parse(json: &[u8]) -> Result<Checked, ManifestError> {
        let manifest: Manifest =
            serde_json::from_slice(json).map_err(|e| ManifestError::Json(e.to_string()))?;
        if !valid_name(&manifest.name) {
            return Err(ManifestError::BadName {
                what: "protocol name",
                name: manifest.name,
            });
        }
        check_names("record kind", &manifest.records)?;
        check_names("field", &manifest.fields)?;
        if manifest.ports.len() > MAX_PORTS {
            return Err(ManifestError::TooMany {
                what: "ports",
                count: manifest.ports.len(),
                limit: MAX_PORTS,
            });
        }
        let transports = manifest
            .transports
            .iter()
            .map(|t| match t.as_str() {
                "tcp" => Ok(Transport::Tcp),
                "udp" => Ok(Transport::Udp),
                other => Err(ManifestError::BadTransport(other.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if transports.is_empty() {
            return Err(ManifestError::NoTransport);
        }
        let identity = manifest
            .identity
            .iter()
            .map(|a| {
                Attribute::from_name(a).ok_or_else(|| ManifestError::UnknownAttribute(a.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Checked {
            manifest,
            transports,
            identity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"name":"hart_ip","version":"0.1.0","transports":["udp","tcp"],
        "ports":[5094],"records":["message"],"fields":["command"],"identity":["vendor"]}"#;

    #[test]
    fn accepts_a_complete_declaration() {
        let checked = Manifest::parse(GOOD.as_bytes()).expect("valid");
        assert_eq!(checked.transports, vec![Transport::Udp, Transport::Tcp]);
        assert_eq!(checked.identity, vec![Attribute::Vendor]);
        assert_eq!(checked.manifest.ports, vec![5094]);
    }

    #[test]
    fn refuses_names_records_cannot_carry() {
        let bad = GOOD.replace("hart_ip", "Hart-IP");
        assert_eq!(
            Manifest::parse(bad.as_bytes()).expect_err("bad name"),
            ManifestError::BadName {
                what: "protocol name",
                name: "Hart-IP".to_string()
            }
        );
        let bad = GOOD.replace(r#""command""#, r#""x\"y""#);
        assert!(matches!(
            Manifest::parse(bad.as_bytes()),
            Err(ManifestError::BadName { what: "field", .. })
        ));
    }

    #[test]
    fn refuses_unknown_transports_attributes_and_keys() {
        let bad = GOOD.replace(r#"["udp","tcp"]"#, r#"["sctp"]"#);
        assert_eq!(
            Manifest::parse(bad.as_bytes()).expect_err("sctp"),
            ManifestError::BadTransport("sctp".to_string())
        );
        let bad = GOOD.replace(r#"["vendor"]"#, r#"["colour"]"#);
        assert_eq!(
            Manifest::parse(bad.as_bytes()).expect_err("colour"),
            ManifestError::UnknownAttribute("colour".to_string())
        );
        let bad = GOOD.replace(r#""ports""#, r#""portz""#);
        let err = Manifest::parse(bad.as_bytes()).expect_err("unknown key");
        assert!(err.to_string().contains("unknown field `portz`"), "{err}");
    }
}
