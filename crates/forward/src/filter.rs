//! Which alerts a destination wants: a minimum severity, and engines and protocols to include
//! or exclude. An empty include list means all; an exclusion wins over an inclusion.

use rampart_detect::{Alert, EngineKind, Severity};

/// The forwarding rules of one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Alerts below this severity stay home.
    pub min_severity: Severity,
    /// Only these engines (all when empty).
    pub engines: Vec<EngineKind>,
    /// Never these engines.
    pub exclude_engines: Vec<EngineKind>,
    /// Only alerts on these protocols (all when empty; an alert without a protocol is then out).
    pub protocols: Vec<String>,
    /// Never these protocols.
    pub exclude_protocols: Vec<String>,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            min_severity: Severity::Warning,
            engines: Vec::new(),
            exclude_engines: Vec::new(),
            protocols: Vec::new(),
            exclude_protocols: Vec::new(),
        }
    }
}

impl Filter {
    /// True when `alert` goes to this destination. Suppressed alerts never do.
    pub fn admits(&self, alert: &Alert) -> bool {
        let protocol = alert.protocol.as_deref();
        let named = |list: &[String]| {
            protocol.is_some_and(|p| list.iter().any(|l| l.eq_ignore_ascii_case(p)))
        };
        alert.suppressed.is_none()
            && alert.severity >= self.min_severity
            && (self.engines.is_empty() || self.engines.contains(&alert.engine))
            && !self.exclude_engines.contains(&alert.engine)
            && (self.protocols.is_empty() || named(&self.protocols))
            && !named(&self.exclude_protocols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn minimum_severity_is_inclusive() {
        let alert = fixture::alert(); // major
        let at = |min_severity| {
            Filter {
                min_severity,
                ..Filter::default()
            }
            .admits(&alert)
        };
        assert!(at(Severity::Warning));
        assert!(at(Severity::Major));
        assert!(!at(Severity::Critical));
    }

    #[test]
    fn engines_include_and_exclude() {
        let alert = fixture::alert(); // policy
        let only = |engines: Vec<EngineKind>| {
            Filter {
                engines,
                ..Filter::default()
            }
            .admits(&alert)
        };
        assert!(only(vec![EngineKind::Anomaly, EngineKind::Policy]));
        assert!(!only(vec![EngineKind::Anomaly]));
        let both = Filter {
            engines: vec![EngineKind::Policy],
            exclude_engines: vec![EngineKind::Policy],
            ..Filter::default()
        };
        assert!(!both.admits(&alert));
    }

    #[test]
    fn protocols_include_and_exclude_case_blind() {
        let mut alert = fixture::alert(); // modbus
        let f = |protocols: &[&str], exclude: &[&str]| Filter {
            protocols: protocols.iter().map(|s| s.to_string()).collect(),
            exclude_protocols: exclude.iter().map(|s| s.to_string()).collect(),
            ..Filter::default()
        };
        assert!(f(&["Modbus"], &[]).admits(&alert));
        assert!(!f(&["dnp3"], &[]).admits(&alert));
        assert!(!f(&[], &["modbus"]).admits(&alert));
        alert.protocol = None;
        assert!(!f(&["modbus"], &[]).admits(&alert));
        assert!(f(&[], &["modbus"]).admits(&alert));
    }

    #[test]
    fn suppressed_alerts_are_never_forwarded() {
        let mut alert = fixture::alert();
        alert.suppressed = Some("muted".into());
        assert!(!Filter::default().admits(&alert));
    }
}
