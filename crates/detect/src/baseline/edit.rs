//! Editing the baseline from an alert: "learn" folds the alert's deviation in (the new edge,
//! command or firmware is now normal), "unlearn" takes it out again.
//!
//! The alert is read back from `alerts.jsonl` as written (shape in the detection contract);
//! the policy engine puts in its `evidence` exactly what a fold needs: the edge, the device,
//! the protocol, the command key, the address range, the identity value.

use std::path::{Path, PathBuf};

use rampart_event::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::{Baseline, Command, Peer, Span, TopicAction};

/// What an edit from an alert could not do.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The alerts file could not be read.
    #[error("cannot read alerts {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of the alerts file is not JSON.
    #[error("{path}:{line}:{column}: not a JSON alert: {message}")]
    BadLine {
        /// The file.
        path: PathBuf,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// No alert with the id.
    #[error("no alert {id} in {path}")]
    NotFound {
        /// The id asked for.
        id: String,
        /// The file searched.
        path: PathBuf,
    },
    /// The alert is not a deviation from the baseline.
    #[error("alert {id} is {rule}, not a policy deviation: it cannot be learned (mute it instead)")]
    NotLearnable {
        /// The alert.
        id: String,
        /// Its rule.
        rule: String,
    },
    /// The alert lacks a piece of evidence its rule needs.
    #[error("alert {id} ({rule}) has no usable evidence.{field}")]
    MissingEvidence {
        /// The alert.
        id: String,
        /// Its rule.
        rule: String,
        /// The evidence field.
        field: &'static str,
    },
}

/// A deviation that can be folded into the baseline or taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fold {
    /// A device.
    Device {
        /// The device.
        device: Peer,
    },
    /// An edge (and its devices).
    Edge {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
    },
    /// A protocol (or a transport and port) on an edge.
    Protocol {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// The application protocol, when one was recognised.
        protocol: Option<String>,
        /// The transport and server port.
        service: Option<(String, u16)>,
    },
    /// A command on an edge.
    Command {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// The command.
        command: Command,
        /// The Modbus address ranges the alerting occurrence touched.
        ranges: Vec<Span>,
    },
    /// An MQTT topic on an edge.
    Topic {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// Publish or subscribe.
        action: TopicAction,
        /// The topic.
        topic: String,
    },
    /// A Modbus address range of a command.
    Range {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// The command.
        command: Command,
        /// First and last address.
        range: Span,
    },
    /// An identity value of a device.
    Identity {
        /// The device.
        device: Peer,
        /// The attribute.
        attribute: String,
        /// The value.
        value: String,
    },
}

/// The MQTT form of a command in evidence.
#[derive(Deserialize)]
struct TopicEvidence {
    action: TopicAction,
    topic: String,
}

/// Find the alert with `id` in the text of an `alerts.jsonl`; `path` names it in errors.
pub fn find_alert(text: &str, path: &Path, id: &str) -> Result<Value, EditError> {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let alert: Value = serde_json::from_str(line).map_err(|e| EditError::BadLine {
            path: path.to_path_buf(),
            line: i + 1,
            column: e.column(),
            message: e.to_string(),
        })?;
        if alert["id"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case(id))
        {
            return Ok(alert);
        }
    }
    Err(EditError::NotFound {
        id: id.to_string(),
        path: path.to_path_buf(),
    })
}

/// Read `alerts.jsonl` and find the alert with `id`.
pub fn read_alert(path: &Path, id: &str) -> Result<Value, EditError> {
    let text = std::fs::read_to_string(path).map_err(|source| EditError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    find_alert(&text, path, id)
}

impl Fold {
    /// The deviation an alert (an `alerts.jsonl` object) reports.
    pub fn from_alert(alert: &Value) -> Result<Fold, EditError> {
        let id = alert["id"].as_str().unwrap_or_default().to_string();
        let rule = alert["rule"]["id"].as_str().unwrap_or_default().to_string();
        let evidence = &alert["evidence"];
        let missing = |field: &'static str| EditError::MissingEvidence {
            id: id.clone(),
            rule: rule.clone(),
            field,
        };
        let peer = |v: &Value, field: &'static str| -> Result<Peer, EditError> {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| missing(field))
        };
        let edge = || -> Result<(Peer, Peer), EditError> {
            Ok((
                peer(&evidence["edge"]["client"], "edge")?,
                peer(&evidence["edge"]["server"], "edge")?,
            ))
        };
        let command = || -> Result<Command, EditError> {
            serde_json::from_value(evidence["command"].clone()).map_err(|_| missing("command"))
        };
        Ok(match rule.as_str() {
            "policy.new_device" => Fold::Device {
                device: peer(&evidence["device"], "device")?,
            },
            "policy.new_edge"
            | "policy.internet_connectivity"
            | "policy.unauthorized_group_source" => {
                let (client, server) = edge()?;
                Fold::Edge { client, server }
            }
            "policy.new_protocol" => {
                let (client, server) = edge()?;
                let protocol = evidence["protocol"].as_str().map(str::to_string);
                let service = match (evidence["transport"].as_str(), evidence["port"].as_u64()) {
                    (Some(t), Some(p)) => u16::try_from(p).ok().map(|p| (t.to_string(), p)),
                    _ => None,
                };
                if protocol.is_none() && service.is_none() {
                    return Err(missing("protocol"));
                }
                Fold::Protocol {
                    client,
                    server,
                    protocol,
                    service,
                }
            }
            "policy.new_command" => {
                let (client, server) = edge()?;
                match serde_json::from_value::<TopicEvidence>(evidence["command"].clone()) {
                    Ok(t) => Fold::Topic {
                        client,
                        server,
                        action: t.action,
                        topic: t.topic,
                    },
                    Err(_) => Fold::Command {
                        client,
                        server,
                        command: command()?,
                        ranges: serde_json::from_value::<Vec<Span>>(evidence["ranges"].clone())
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|(a, b)| a <= b)
                            .collect(),
                    },
                }
            }
            "policy.register_range" => {
                let (client, server) = edge()?;
                let range: Span = serde_json::from_value(evidence["range"].clone())
                    .ok()
                    .filter(|(a, b): &Span| a <= b)
                    .ok_or_else(|| missing("range"))?;
                Fold::Range {
                    client,
                    server,
                    command: command()?,
                    range,
                }
            }
            "policy.firmware_change" | "policy.model_change" | "policy.new_identity" => {
                Fold::Identity {
                    device: peer(&evidence["device"], "device")?,
                    attribute: evidence["attribute"]
                        .as_str()
                        .ok_or_else(|| missing("attribute"))?
                        .to_string(),
                    value: evidence["value"]
                        .as_str()
                        .ok_or_else(|| missing("value"))?
                        .to_string(),
                }
            }
            _ => return Err(EditError::NotLearnable { id, rule }),
        })
    }

    /// Fold the deviation into the baseline; true when something was added.
    pub fn learn(&self, b: &mut Baseline, time: Timestamp) -> bool {
        let before = b.clone();
        match self {
            Fold::Device { device } => {
                b.learn_device(*device, None, time);
            }
            Fold::Edge { client, server } => {
                learn_edge(b, *client, *server, time);
            }
            Fold::Protocol {
                client,
                server,
                protocol,
                service,
            } => {
                if let Some(e) = learn_edge(b, *client, *server, time) {
                    if let Some(p) = protocol {
                        e.learn_protocol(p);
                    }
                    if let Some((t, port)) = service {
                        e.learn_service(t, *port);
                    }
                }
            }
            Fold::Command {
                client,
                server,
                command,
                ranges,
            } => {
                if let Some(e) = learn_edge(b, *client, *server, time) {
                    e.learn_protocol(command.protocol());
                    e.learn_command(*command, [None, None], time);
                    for &range in ranges {
                        e.learn_command(*command, [Some(range), None], time);
                    }
                }
            }
            Fold::Topic {
                client,
                server,
                action,
                topic,
            } => {
                if let Some(e) = learn_edge(b, *client, *server, time) {
                    e.learn_protocol("mqtt");
                    e.learn_topic(*action, topic, time);
                }
            }
            Fold::Range {
                client,
                server,
                command,
                range,
            } => {
                if let Some(e) = learn_edge(b, *client, *server, time) {
                    e.learn_protocol(command.protocol());
                    e.learn_command(*command, [Some(*range), None], time);
                }
            }
            Fold::Identity {
                device,
                attribute,
                value,
            } => {
                if let Some(d) = b.learn_device(*device, None, time) {
                    d.learn_identity(attribute, value);
                }
            }
        }
        !super::Diff::between(&before, b).is_empty()
    }

    /// Take the deviation out of the baseline; true when something was removed.
    pub fn unlearn(&self, b: &mut Baseline) -> bool {
        let removed = match self {
            Fold::Device { device } => b.unlearn_device(device),
            Fold::Edge { client, server } => b.edges.remove(&(*client, *server)).is_some(),
            Fold::Protocol {
                client,
                server,
                protocol,
                service,
            } => b.edge_mut(*client, *server).is_some_and(|e| {
                let before = (e.protocols.len(), e.services.len(), e.commands.len());
                if let Some(p) = protocol {
                    e.protocols.retain(|x| x != p);
                    e.commands.retain(|c, _| c.protocol() != p);
                    if p == "mqtt" {
                        e.published.clear();
                        e.subscribed.clear();
                    }
                }
                if let Some((t, port)) = service {
                    e.services
                        .retain(|s| !(s.transport == *t && s.port == *port));
                }
                before != (e.protocols.len(), e.services.len(), e.commands.len())
            }),
            Fold::Command {
                client,
                server,
                command,
                ..
            } => b
                .edge_mut(*client, *server)
                .is_some_and(|e| e.commands.remove(command).is_some()),
            Fold::Topic {
                client,
                server,
                action,
                topic,
            } => b
                .edge_mut(*client, *server)
                .is_some_and(|e| e.topics_mut(*action).remove(topic).is_some()),
            Fold::Range {
                client,
                server,
                command,
                range,
            } => b
                .edge_mut(*client, *server)
                .and_then(|e| e.commands.get_mut(command))
                .is_some_and(|c| {
                    let before = c.ranges.clone();
                    c.unlearn_span(*range);
                    before != c.ranges
                }),
            Fold::Identity {
                device,
                attribute,
                value,
            } => b
                .device_mut(device)
                .is_some_and(|d| d.unlearn_identity(attribute, value)),
        };
        if removed {
            b.touch();
            b.forgot();
        }
        removed
    }
}

/// Learn an edge with the devices at its ends.
fn learn_edge(
    b: &mut Baseline,
    client: Peer,
    server: Peer,
    time: Timestamp,
) -> Option<&mut super::Edge> {
    for side in [client, server] {
        if side.is_device() {
            b.learn_device(side, None, time);
        }
    }
    b.learn_edge(client, server, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ip(s: &str) -> Peer {
        Peer::Ip(s.parse().expect("ip"))
    }

    fn alert(rule: &str, evidence: Value) -> Value {
        json!({"id": "00000000000000aa", "rule": {"id": rule}, "evidence": evidence,
               "alert": {"discriminator": ""}, "network": {"protocol": "modbus"}})
    }

    #[test]
    fn finds_an_alert_by_id_and_names_bad_lines() {
        let text = "{\"id\":\"00000000000000aa\"}\n\n{\"id\":\"00000000000000bb\",\"x\":1}\n";
        let a = find_alert(text, Path::new("a.jsonl"), "00000000000000BB").expect("found");
        assert_eq!(a["x"], 1);
        let err = find_alert(text, Path::new("a.jsonl"), "00000000000000cc").expect_err("absent");
        assert_eq!(err.to_string(), "no alert 00000000000000cc in a.jsonl");
        let err = find_alert("{\"id\":1}\n{oops\n", Path::new("a.jsonl"), "x").expect_err("bad");
        assert!(err.to_string().starts_with("a.jsonl:2:"), "{err}");
    }

    #[test]
    fn learning_a_write_command_then_unlearning_it_restores_the_baseline() {
        let mut b = Baseline::default();
        let a = alert(
            "policy.new_command",
            json!({"edge": {"client": "10.0.0.5", "server": "10.0.0.10"},
                   "command": {"protocol": "modbus", "unit": 1, "function": 6}, "ranges": [[4, 4]]}),
        );
        let fold = Fold::from_alert(&a).expect("fold");
        assert!(fold.learn(&mut b, Timestamp(1)));
        let e = b
            .edge(ip("10.0.0.5"), ip("10.0.0.10"))
            .expect("edge learned");
        assert!(e.has_protocol("modbus"));
        let write = Command::Modbus {
            unit: 1,
            function: 6,
            sub: None,
        };
        assert_eq!(e.commands[&write].ranges, vec![(4, 4)]);
        assert!(
            !fold.learn(&mut b, Timestamp(2)),
            "learning twice adds nothing"
        );
        assert!(fold.unlearn(&mut b));
        assert!(
            b.edge(ip("10.0.0.5"), ip("10.0.0.10"))
                .expect("edge")
                .commands
                .is_empty()
        );
        assert!(!fold.unlearn(&mut b));
    }

    #[test]
    fn ranges_topics_and_identities_fold_both_ways() {
        let mut b = Baseline::default();
        let range = Fold::from_alert(&alert(
            "policy.register_range",
            json!({"edge": {"client": "10.0.0.5", "server": "10.0.0.10"},
                   "command": {"protocol": "modbus", "unit": 1, "function": 3}, "range": [100, 109]}),
        ))
        .expect("fold");
        assert!(range.learn(&mut b, Timestamp(1)));
        let key = Command::Modbus {
            unit: 1,
            function: 3,
            sub: None,
        };
        let ranges = |b: &Baseline| {
            b.edge(ip("10.0.0.5"), ip("10.0.0.10"))
                .expect("edge")
                .commands[&key]
                .ranges
                .clone()
        };
        assert_eq!(ranges(&b), vec![(100, 109)]);
        assert!(range.unlearn(&mut b));
        assert!(ranges(&b).is_empty());
        let topic = Fold::from_alert(&alert(
            "policy.new_command",
            json!({"edge": {"client": "10.0.0.7", "server": "10.0.0.2"},
                   "command": {"protocol": "mqtt", "action": "subscribe", "topic": "#"}}),
        ))
        .expect("fold");
        assert!(matches!(topic, Fold::Topic { .. }));
        assert!(topic.learn(&mut b, Timestamp(1)));
        assert!(topic.unlearn(&mut b));
        let firmware = Fold::from_alert(&alert(
            "policy.firmware_change",
            json!({"device": "10.0.0.10", "attribute": "firmware", "value": "V4.0"}),
        ))
        .expect("fold");
        assert!(firmware.learn(&mut b, Timestamp(1)));
        assert_eq!(
            b.device(&ip("10.0.0.10"))
                .expect("device")
                .identity("firmware"),
            ["V4.0"]
        );
        assert!(firmware.unlearn(&mut b));
    }

    #[test]
    fn other_engines_alerts_and_thin_evidence_are_refused() {
        let err = Fold::from_alert(&alert("anomaly.port_scan", json!({}))).expect_err("not policy");
        assert!(err.to_string().contains("mute it instead"), "{err}");
        let err = Fold::from_alert(&alert(
            "policy.new_edge",
            json!({"edge": {"client": "10.0.0.5"}}),
        ))
        .expect_err("no server");
        assert!(err.to_string().contains("evidence.edge"), "{err}");
    }
}
