//! The alert book: every alert of a run, repeats folded into the first occurrence.

use crate::FastMap;
use crate::alert::{Alert, AlertDraft, AlertId, Repeat};

/// Alerts kept at most; past it, new alerts are counted and dropped (repeats still fold in).
/// A storm of distinct alerts is itself reported by the count, and memory stays bounded.
pub const MAX_ALERTS: usize = 100_000;

/// What raising a draft did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    /// A new alert.
    New(AlertId),
    /// A repeat of an alert already in the book.
    Repeat(AlertId),
    /// The book was full.
    Dropped,
}

/// Alerts by id, in the order they were first raised.
#[derive(Debug, Default)]
pub struct AlertBook {
    index: FastMap<AlertId, usize>,
    alerts: Vec<Alert>,
    dropped: u64,
}

impl AlertBook {
    /// Raise a draft: open a new alert or fold it into the one with its id.
    pub fn raise(&mut self, draft: AlertDraft) -> Raised {
        let id = draft.alert_id();
        if let Some(&i) = self.index.get(&id) {
            self.alerts[i].repeat(draft);
            return Raised::Repeat(id);
        }
        if self.alerts.len() >= MAX_ALERTS {
            self.dropped += 1;
            return Raised::Dropped;
        }
        self.index.insert(id, self.alerts.len());
        self.alerts.push(Alert::open(draft));
        Raised::New(id)
    }

    /// Count a repeat of an open alert; false when the alert is not in the book.
    pub fn repeat(&mut self, repeat: &Repeat) -> bool {
        let Some(alert) = self.get_mut(repeat.id) else {
            return false;
        };
        alert.count_again(repeat.time, repeat.severity, repeat.flows());
        true
    }

    /// True when the alert with this id is in the book.
    pub fn is_open(&self, id: AlertId) -> bool {
        self.index.contains_key(&id)
    }

    /// The alert with this id.
    pub fn get(&self, id: AlertId) -> Option<&Alert> {
        self.index.get(&id).map(|&i| &self.alerts[i])
    }

    /// The alert with this id, to change its state.
    pub fn get_mut(&mut self, id: AlertId) -> Option<&mut Alert> {
        self.index.get(&id).map(|&i| &mut self.alerts[i])
    }

    /// Every alert, in the order first raised.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// Occurrences over all alerts.
    pub fn occurrences(&self) -> u64 {
        self.alerts.iter().map(|a| a.count).sum()
    }

    /// New alerts dropped because the book was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Take every alert out, leaving the book empty.
    pub fn into_alerts(self) -> Vec<Alert> {
        self.alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Endpoint, EngineKind, Repeat, Rule, Severity};
    use proptest::prelude::*;
    use rampart_event::Timestamp;

    static RULE_A: Rule = Rule {
        id: "test.a",
        title: "A",
        engine: EngineKind::Anomaly,
        category: "test",
        severity: Severity::Minor,
        techniques: &["T0846"],
        remediation: "none",
    };
    static RULE_B: Rule = Rule {
        id: "test.b",
        title: "B",
        engine: EngineKind::Policy,
        category: "test",
        severity: Severity::Major,
        techniques: &[],
        remediation: "none",
    };

    fn draft(rule: u8, src: u8, dst: u8, disc: u8, t: u64, sev: u8) -> AlertDraft {
        let ep = |b: u8| Endpoint {
            ip: Some(std::net::IpAddr::from([10, 0, 0, b])),
            mac: None,
            port: Some(u16::from(b) + 1000),
        };
        let rule = if rule.is_multiple_of(2) {
            &RULE_A
        } else {
            &RULE_B
        };
        AlertDraft::new(rule, Timestamp(t), "d")
            .between(Some(ep(src)), Some(ep(dst)))
            .discriminator(disc.to_string())
            .severity(Severity::ALL[usize::from(sev % 4)])
    }

    #[test]
    fn repeats_fold_into_one_alert() {
        let mut book = AlertBook::default();
        let first = book.raise(draft(0, 1, 2, 0, 100, 1));
        let Raised::New(id) = first else {
            panic!("first raise opens an alert")
        };
        assert_eq!(book.raise(draft(0, 1, 2, 0, 50, 3)), Raised::Repeat(id));
        assert_eq!(book.raise(draft(0, 1, 2, 0, 300, 0)), Raised::Repeat(id));
        let alert = book.get(id).expect("alert");
        assert_eq!(alert.count, 3);
        assert_eq!(alert.first_seen, Timestamp(50));
        assert_eq!(alert.last_seen, Timestamp(300));
        assert_eq!(alert.severity, Severity::Critical);
        // Another discriminator, source or rule is another alert.
        assert!(matches!(
            book.raise(draft(0, 1, 2, 1, 1, 0)),
            Raised::New(_)
        ));
        assert!(matches!(
            book.raise(draft(0, 3, 2, 0, 1, 0)),
            Raised::New(_)
        ));
        assert!(matches!(
            book.raise(draft(1, 1, 2, 0, 1, 0)),
            Raised::New(_)
        ));
        assert_eq!(book.alerts().len(), 4);
    }

    #[test]
    fn ports_do_not_split_an_alert() {
        let mut a = draft(0, 1, 2, 0, 1, 0);
        let b = a.clone();
        if let Some(src) = a.source.as_mut() {
            src.port = Some(55555);
        }
        assert_eq!(a.alert_id(), b.alert_id());
    }

    #[test]
    fn ids_are_pinned_so_they_survive_rebuilds() {
        // FNV-1a of "test.a|" 10.0.0.1 "/|" 10.0.0.2 "/|0", computed independently.
        assert_eq!(
            draft(0, 1, 2, 0, 1, 0).alert_id().to_string(),
            "f63694750e0ea1f7"
        );
    }

    #[test]
    fn a_key_in_pieces_has_its_drafts_id() {
        let d = draft(0, 1, 2, 0, 1, 0).discriminator("enip/timeout");
        let key = crate::alert::AlertKey {
            rule: d.rule,
            source: d.source,
            destination: d.destination,
            discriminator: &["enip", "/", "timeout"],
        };
        assert_eq!(key.id(), d.alert_id());
        let made = key.draft(d.time, "timed out");
        assert_eq!(made.alert_id(), d.alert_id());
        assert_eq!(made.discriminator, "enip/timeout");
    }

    #[test]
    fn a_repeat_counts_like_a_draft_without_evidence() {
        let (mut drafted, mut repeated) = (AlertBook::default(), AlertBook::default());
        let first = draft(0, 1, 2, 0, 100, 0).flow(Some(1));
        let Raised::New(id) = drafted.raise(first.clone()) else {
            panic!("opens")
        };
        repeated.raise(first);
        let flows: Vec<u64> = (0..12).map(|i| i % 10).collect();
        let mut again = draft(0, 1, 2, 0, 50, 3);
        for &f in &flows {
            again = again.flow(Some(f));
        }
        drafted.raise(again.clone());
        let repeat = Repeat::new(id, again.time, again.severity, flows);
        assert_eq!(repeat.flows(), &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(repeated.repeat(&repeat));
        assert_eq!(drafted.alerts(), repeated.alerts());
        assert!(!repeated.repeat(&Repeat::new(AlertId(7), Timestamp(1), Severity::Minor, [])));
    }

    #[test]
    fn ids_are_stable_text() {
        let id = draft(0, 1, 2, 0, 1, 0).alert_id();
        let text = id.to_string();
        assert_eq!(text.len(), 16);
        assert_eq!(text.parse::<AlertId>().ok(), Some(id));
    }

    proptest! {
        /// However drafts interleave, the occurrences the book holds equal the drafts raised,
        /// and each alert's window spans exactly its drafts' times.
        #[test]
        fn aggregation_never_loses_a_count(
            drafts in proptest::collection::vec((0u8..2, 0u8..4, 0u8..4, 0u8..3, 0u64..1_000_000, 0u8..4), 1..400)
        ) {
            let mut book = AlertBook::default();
            let mut expected: std::collections::HashMap<AlertId, (u64, u64, u64)> =
                std::collections::HashMap::new();
            for &(r, s, d, disc, t, sev) in &drafts {
                let draft = draft(r, s, d, disc, t, sev);
                let e = expected.entry(draft.alert_id()).or_insert((0, u64::MAX, 0));
                e.0 += 1;
                e.1 = e.1.min(t);
                e.2 = e.2.max(t);
                book.raise(draft);
            }
            prop_assert_eq!(book.occurrences(), drafts.len() as u64);
            prop_assert_eq!(book.alerts().len(), expected.len());
            for alert in book.alerts() {
                let (count, first, last) = expected[&alert.id];
                prop_assert_eq!(alert.count, count);
                prop_assert_eq!(alert.first_seen, Timestamp(first));
                prop_assert_eq!(alert.last_seen, Timestamp(last));
            }
        }
    }
}
