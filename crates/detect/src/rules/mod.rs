//! Custom rules: what an operator knows about their plant, written as conditions on the
//! records the dissectors produce ("any Modbus write to unit 1 registers 0–9 from a host
//! other than the HMI"), loaded from TOML files (see `docs/rules.md`).
//!
//! Each rule is compiled once into an expression tree and checked against every record of
//! its protocol, kind and action: string comparisons first, then the tree, no allocation
//! until a rule matches. Custom rules raise in learning and monitoring mode alike: they are
//! the operator's own statements of what must not happen, not deviations from a baseline.

pub mod expr;
pub mod file;

use std::path::PathBuf;

use rampart_event::{Direction, Event, Origin, Record};
use serde::Deserialize;

use crate::{AlertDraft, Context, Detector, Endpoint, EngineKind, Interest, Observation, Rule};
pub use expr::{Expr, Field, Subject};
pub use file::{CustomRule, MAX_RULES, RuleError};

/// The `[rules]` section of the detection configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Rule files (`rampart analyze --rules FILE` adds to these).
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

/// Read, compile and check every rule of `files`.
pub fn load(files: &[PathBuf]) -> Result<Vec<CustomRule>, RuleError> {
    let mut rules = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
            path: path.clone(),
            source,
        })?;
        rules.extend(file::parse(&text, path)?);
        file::check_set(&rules)?;
    }
    Ok(rules)
}

/// One loaded rule with the alert rule it raises and the fields its evidence shows.
#[derive(Debug)]
struct Loaded {
    rule: CustomRule,
    alert: &'static Rule,
    fields: Vec<Field>,
}

/// The detector of custom rules.
#[derive(Debug, Default)]
pub struct RulesDetector {
    rules: Vec<Loaded>,
}

impl RulesDetector {
    /// Load the configured files; a failure is logged and no rule runs (check with [`load`]
    /// first to refuse to start instead).
    pub fn new(config: &RulesConfig) -> RulesDetector {
        match load(&config.files) {
            Ok(rules) => {
                if !rules.is_empty() {
                    tracing::info!(
                        rules = rules.len(),
                        files = config.files.len(),
                        "Custom rules loaded."
                    );
                }
                RulesDetector::with_rules(rules)
            }
            Err(e) => {
                tracing::error!(error = %e, "Custom rules not loaded; none will run.");
                RulesDetector::default()
            }
        }
    }

    /// A detector running `rules` (at most [`MAX_RULES`]).
    pub fn with_rules(rules: Vec<CustomRule>) -> RulesDetector {
        let rules = rules
            .into_iter()
            .take(MAX_RULES)
            .map(|rule| Loaded {
                alert: alert_rule(&rule),
                fields: rule
                    .condition
                    .as_ref()
                    .map(Expr::fields)
                    .unwrap_or_default(),
                rule,
            })
            .collect();
        RulesDetector { rules }
    }

    /// How many rules run.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule runs.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The static alert rule of a custom rule. Alerts refer to their rule for the life of the
/// process, so its text is leaked once per rule loaded (bounded by [`MAX_RULES`] a set).
fn alert_rule(rule: &CustomRule) -> &'static Rule {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    Box::leak(Box::new(Rule {
        id: leak(format!("custom.{}", rule.id)),
        title: leak(rule.title.clone()),
        engine: EngineKind::Custom,
        category: "custom",
        severity: rule.severity,
        techniques: Box::leak(rule.techniques.clone().into_boxed_slice()),
        remediation: leak(rule.remediation.clone()),
    }))
}

impl CustomRule {
    /// True when the record satisfies the rule's filters and condition.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        let r = subject.record;
        self.protocol.as_deref().is_none_or(|p| p == r.protocol)
            && self.kind.as_deref().is_none_or(|k| k == r.kind)
            && self.action.is_none_or(|a| r.activity == Some(a))
            && self.condition.as_ref().is_none_or(|c| c.eval(subject))
    }
}

impl Detector for RulesDetector {
    fn interest(&self) -> Interest {
        if self.rules.is_empty() {
            Interest::NOTHING
        } else {
            Interest::RECORDS
        }
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        let Observation::Event {
            origin,
            event: Event::Record(record),
        } = observation
        else {
            return;
        };
        let subject = Subject { record, origin };
        for loaded in &self.rules {
            if loaded.rule.matches(&subject) {
                cx.raise(draft(loaded, &subject, origin, record, cx.time));
            }
        }
    }
}

fn draft(
    loaded: &Loaded,
    subject: &Subject<'_>,
    origin: &Origin,
    record: &Record<'_>,
    time: rampart_event::Timestamp,
) -> AlertDraft {
    let (mut source, mut destination, flow) = crate::intel::parties(origin);
    if record.direction == Some(Direction::ToClient) {
        std::mem::swap(&mut source, &mut destination);
    }
    let side = |e: Option<Endpoint>| {
        e.and_then(|e| {
            e.ip.map(|ip| ip.to_string())
                .or(e.mac.map(|m| m.to_string()))
        })
        .unwrap_or_else(|| "?".into())
    };
    let rule = &loaded.rule;
    let description = rule.description.clone().unwrap_or_else(|| {
        format!(
            "{} {} from {} to {} matched custom rule `{}`.",
            record.protocol,
            record.kind,
            side(source),
            side(destination),
            rule.id
        )
    });
    let fields: serde_json::Map<String, serde_json::Value> = loaded
        .fields
        .iter()
        .filter_map(|f| Some((f.name(), serde_json::to_value(subject.get(f)?).ok()?)))
        .collect();
    let mut draft = AlertDraft::new(loaded.alert, time, description)
        .between(source, destination)
        .protocol(record.protocol)
        .flow(flow)
        .evidence("kind", record.kind)
        .evidence("fields", fields)
        .evidence(
            "rule_file",
            format!("{}:{}", rule.origin.0.display(), rule.origin.1),
        );
    if let Some(a) = record.activity {
        draft = draft.evidence("action", a.as_str());
    }
    if let Some(c) = &rule.condition {
        draft = draft.evidence("where", c.to_string());
    }
    draft
}

/// Records the tests of the rule language share.
#[cfg(test)]
pub(crate) mod fixture {
    use std::net::IpAddr;

    use rampart_event::{Activity, Fields, FlowContext, Origin, Record, Value};

    /// A Modbus write transaction with `fields`, from 10.0.0.`client` to 10.0.0.1:502 on
    /// flow 3.
    pub(crate) fn modbus_write<'a>(
        fields: &'a [(&'a str, Value<'a>)],
        client: u8,
    ) -> (Record<'a>, Origin) {
        let record = Record {
            protocol: "modbus",
            kind: "write_multiple_registers",
            direction: None,
            activity: Some(Activity::Write),
            fields: Fields(fields),
        };
        let origin = Origin::Flow(FlowContext {
            id: 3,
            transport: "tcp",
            app: Some("modbus"),
            client: (IpAddr::from([10, 0, 0, client]), 40000),
            server: (IpAddr::from([10, 0, 0, 1]), 502),
            client_mac: None,
            server_mac: None,
            vlan: 0,
        });
        (record, origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mode, Severity};
    use rampart_event::{Timestamp, Value};
    use std::net::IpAddr;
    use std::path::Path;

    const RULES: &str = r#"
[[rule]]
id = "unit1-setpoints"
title = "Write to unit 1 set-points"
severity = "critical"
techniques = ["T0836"]
protocol = "modbus"
action = "write"
where = "unit_id == 1 and address in 0..9 and source.ip not in [10.0.0.5]"
"#;

    fn run(d: &mut RulesDetector, client: u8, unit: u64, address: u64) -> Vec<AlertDraft> {
        let fields = [
            ("unit_id", Value::U64(unit)),
            ("address", Value::U64(address)),
            ("quantity", Value::U64(2)),
        ];
        let (record, origin) = fixture::modbus_write(&fields, client);
        let event = Event::Record(record);
        let mut drafts = Vec::new();
        let mut cx = Context {
            time: Timestamp(9),
            mode: Mode::Learning,
            drafts: &mut drafts,
            open: None,
            refused: None,
        };
        d.observe(
            &Observation::Event {
                origin: &origin,
                event: &event,
            },
            &mut cx,
        );
        drafts
    }

    #[test]
    fn raises_on_a_matching_record_with_the_devices_and_the_fields() {
        let rules = file::parse(RULES, Path::new("plant.toml")).expect("valid");
        let mut d = RulesDetector::with_rules(rules);
        let drafts = run(&mut d, 9, 1, 4);
        assert_eq!(drafts.len(), 1);
        let a = &drafts[0];
        assert_eq!(a.rule.id, "custom.unit1-setpoints");
        assert_eq!(a.rule.engine, EngineKind::Custom);
        assert_eq!(a.rule.techniques, ["T0836"]);
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(
            a.source.and_then(|s| s.ip),
            Some(IpAddr::from([10, 0, 0, 9]))
        );
        assert_eq!(
            a.destination.and_then(|s| s.ip),
            Some(IpAddr::from([10, 0, 0, 1]))
        );
        assert_eq!(
            a.description,
            "modbus write_multiple_registers from 10.0.0.9 to 10.0.0.1 matched custom rule `unit1-setpoints`."
        );
        assert_eq!(
            a.evidence["fields"],
            serde_json::json!({"unit_id": 1, "address": 4, "source.ip": "10.0.0.9"})
        );
        assert_eq!(a.evidence["rule_file"], "plant.toml:3");
        assert_eq!(a.flows, vec![3]);
        assert!(run(&mut d, 5, 1, 4).is_empty(), "the HMI may write");
        assert!(run(&mut d, 9, 2, 4).is_empty(), "another unit");
        assert!(run(&mut d, 9, 1, 10).is_empty(), "outside the registers");
    }

    #[test]
    fn loads_files_and_refuses_a_bad_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = dir.path().join("good.toml");
        std::fs::write(&good, RULES).expect("write");
        assert_eq!(load(std::slice::from_ref(&good)).expect("valid").len(), 1);
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[[rule]]\nid = \"x\"\nwhere = \"a ==\"\n").expect("write");
        let e = load(&[good.clone(), bad.clone()])
            .expect_err("bad file")
            .to_string();
        assert!(
            e.ends_with(
                "bad.toml:3: rule `x` (line 2): where, column 5: expected a value at the end"
            ),
            "{e}"
        );
        assert!(
            RulesDetector::new(&RulesConfig {
                files: vec![good, bad]
            })
            .is_empty()
        );
        let c = crate::DetectConfig::parse("[rules]\nfiles = [\"r.toml\"]\n", Path::new("d.toml"))
            .expect("valid");
        assert_eq!(c.rules.files, [PathBuf::from("r.toml")]);
    }
}
