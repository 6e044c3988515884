//! Detection settings, from a TOML file (`rampart analyze --detect-config FILE`).
//!
//! Every section is optional and every threshold has the documented default, so an empty
//! file is a valid configuration. Unknown keys are errors: a misspelt threshold that silently
//! kept its default would be worse than a refusal to start.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

use crate::incident::IncidentConfig;
use crate::suppress::{Exclusion, MaintenanceWindow};

/// What a configuration file could not be.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid configuration; the message names the line and column.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

/// Devices the operator has marked, whose behaviour is expected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marks {
    /// Engineering workstations: program downloads, mode changes and the like from these are
    /// their job, so the protocol-aware engine does not alert on them.
    #[serde(default)]
    pub engineering_stations: Vec<IpNet>,
    /// Authorised scanners (vulnerability scanners, asset discovery): scans from these are
    /// not alerts.
    #[serde(default)]
    pub scanners: Vec<IpNet>,
}

impl Marks {
    /// True when `ip` is a marked engineering workstation.
    pub fn is_engineering_station(&self, ip: IpAddr) -> bool {
        self.engineering_stations.iter().any(|n| n.contains(&ip))
    }

    /// True when `ip` is a marked scanner.
    pub fn is_scanner(&self, ip: IpAddr) -> bool {
        self.scanners.iter().any(|n| n.contains(&ip))
    }
}

/// The whole detection configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Marked devices.
    #[serde(default)]
    pub devices: Marks,
    /// The protocol-aware policy engine.
    #[serde(default)]
    pub protocol_policy: crate::protocol_policy::ProtocolPolicyConfig,
    /// The protocol violation engine.
    #[serde(default)]
    pub protocol_violation: crate::violation::ViolationConfig,
    /// The operational engine.
    #[serde(default)]
    pub operational: crate::operational::OperationalConfig,
    /// The malware behaviour engine (Industroyer, Triton).
    #[serde(default)]
    pub malware_behaviour: crate::malware::MalwareBehaviourConfig,
    /// The anomaly engine's thresholds.
    #[serde(default)]
    pub anomaly: crate::anomaly::AnomalyConfig,
    /// Alert exclusion rules (`[[exclusion]]`).
    #[serde(default, rename = "exclusion")]
    pub exclusions: Vec<Exclusion>,
    /// Maintenance windows (`[[maintenance]]`).
    #[serde(default)]
    pub maintenance: Vec<MaintenanceWindow>,
    /// How alerts group into incidents.
    #[serde(default)]
    pub incidents: IncidentConfig,
    /// Threat intelligence: indicator files and how often they are re-read.
    #[serde(default)]
    pub intel: crate::intel::IntelConfig,
    /// Custom rules: the files they are written in.
    #[serde(default)]
    pub rules: crate::rules::RulesConfig,
}

impl DetectConfig {
    /// Parse a configuration; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<DetectConfig, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let config: DetectConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        crate::suppress::validate(&config.exclusions, &config.maintenance).map_err(invalid)?;
        Ok(config)
    }

    /// Read and parse a configuration file.
    pub fn load(path: &Path) -> Result<DetectConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        DetectConfig::parse(&text, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_defaults() {
        let c = DetectConfig::parse("", Path::new("d.toml")).expect("empty is valid");
        assert_eq!(c, DetectConfig::default());
    }

    #[test]
    fn marks_match_addresses_and_networks() {
        let c = DetectConfig::parse(
            "[devices]\nengineering_stations = [\"10.0.0.5/32\", \"10.1.0.0/16\"]\nscanners = [\"192.168.9.9/32\"]\n",
            Path::new("d.toml"),
        )
        .expect("valid");
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert!(c.devices.is_engineering_station(ip("10.0.0.5")));
        assert!(c.devices.is_engineering_station(ip("10.1.200.3")));
        assert!(!c.devices.is_engineering_station(ip("10.0.0.6")));
        assert!(c.devices.is_scanner(ip("192.168.9.9")));
    }

    #[test]
    fn mistakes_name_the_line() {
        let err = DetectConfig::parse("[devices]\nscaners = []\n", Path::new("d.toml"))
            .expect_err("unknown key");
        let text = err.to_string();
        assert!(text.contains("d.toml") && text.contains("line 2"), "{text}");
        let err = DetectConfig::parse(
            "[devices]\nscanners = [\"10.0.0.300/32\"]\n",
            Path::new("d.toml"),
        )
        .expect_err("bad network");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
