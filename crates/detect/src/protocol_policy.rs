//! Protocol-aware policy: what is worth an alert because of what the protocol says it does,
//! baseline or not. A program download, a PLC stop or a Profinet name change is engineering:
//! from anything but a marked engineering workstation it is what an attacker does.
//!
//! The engine reads the activity every industrial dissector puts on its records
//! ([`Activity::ProgramDownload`], [`Activity::PlcStop`], …), so one rule covers S7comm,
//! S7comm-plus, UMAS, CIP/PCCC, MMS, FINS, SLMP, SRTP, DNP3 and IEC 104 alike; a few
//! protocol-specific rules read the protocol's fields (Profinet DCP Set, BACnet
//! ReinitializeDevice and DeviceCommunicationControl, IEC 104 commands, OPC UA writes, MQTT
//! subscriptions). It raises in learning and monitoring mode; the two "new peer" rules learn
//! their peers in learning mode (see [`Familiar`]).
//!
//! Records arriving as responses are not acts and are skipped: a transaction (request and
//! response paired) counts once, as its request.

use std::net::IpAddr;

use rampart_event::{Activity, Direction, Event, Origin, Record, Value};
use serde::Deserialize;

use crate::alert::{Alert, AlertDraft, AlertKey, Endpoint, EngineKind, Rule, Severity};
use crate::capped::Familiar;
use crate::config::Marks;
use crate::facts::{self, Parties};
use crate::{Context, Detector, Mode, Observation};

/// The protocol-aware policy engine's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolPolicyConfig {
    /// (master, outstation) and (client, server) pairs remembered for the new-master and
    /// new-client rules; past it the oldest are forgotten.
    pub max_known_peers: usize,
    /// MQTT subscription filters that read everything a broker carries.
    pub mqtt_filters: Vec<String>,
    /// Also alert on any subscription to the broker's own `$SYS` tree.
    pub mqtt_sys_topics: bool,
}

impl Default for ProtocolPolicyConfig {
    fn default() -> Self {
        ProtocolPolicyConfig {
            max_known_peers: 8192,
            mqtt_filters: vec!["#".to_string(), "+/#".to_string(), "$SYS/#".to_string()],
            mqtt_sys_topics: true,
        }
    }
}

/// A controller received a program or logic.
pub static PROGRAM_DOWNLOAD: Rule = Rule {
    id: "protocol_policy.program_download",
    title: "PLC program download",
    engine: EngineKind::ProtocolPolicy,
    category: "program_change",
    severity: Severity::Major,
    techniques: &["T0843", "T0889"],
    remediation: "Confirm with the control engineers that this download was planned and \
        came from an authorised engineering workstation; compare the controller's program with \
        the approved version. If it was not planned, isolate the source host and restore the \
        known-good program. Mark engineering workstations in the detection configuration.",
};

/// A controller's program was read out.
pub static PROGRAM_UPLOAD: Rule = Rule {
    id: "protocol_policy.program_upload",
    title: "PLC program upload",
    engine: EngineKind::ProtocolPolicy,
    category: "program_change",
    severity: Severity::Minor,
    techniques: &["T0845"],
    remediation: "Check that the source is an engineering workstation or backup server \
        allowed to read controller logic. An unknown host reading programs is reconnaissance \
        before an attack: investigate and block it.",
};

/// A block or program was deleted from a controller.
pub static PROGRAM_DELETE: Rule = Rule {
    id: "protocol_policy.program_delete",
    title: "PLC program deleted",
    engine: EngineKind::ProtocolPolicy,
    category: "program_change",
    severity: Severity::Major,
    techniques: &["T0889", "T0809"],
    remediation: "Confirm the deletion with the control engineers. If unplanned, isolate the \
        source, check the controller is still running the intended logic and restore it.",
};

/// A controller was told to stop.
pub static PLC_STOP: Rule = Rule {
    id: "protocol_policy.plc_stop",
    title: "PLC stop command",
    engine: EngineKind::ProtocolPolicy,
    category: "operating_mode",
    severity: Severity::Critical,
    techniques: &["T0858", "T0816"],
    remediation: "A stopped controller no longer runs the process. Confirm with operations \
        at once whether the stop was intended; if not, put the process in a safe state, \
        restart the controller from an authorised station and isolate the source.",
};

/// A controller was told to run.
pub static PLC_START: Rule = Rule {
    id: "protocol_policy.plc_start",
    title: "PLC start command",
    engine: EngineKind::ProtocolPolicy,
    category: "operating_mode",
    severity: Severity::Major,
    techniques: &["T0858"],
    remediation: "Confirm the start was planned (after maintenance or a download) and came \
        from an authorised engineering workstation; an unplanned start can move equipment.",
};

/// A controller's operating mode was changed otherwise (program, test, debug stepping).
pub static MODE_CHANGE: Rule = Rule {
    id: "protocol_policy.mode_change",
    title: "PLC operating mode change",
    engine: EngineKind::ProtocolPolicy,
    category: "operating_mode",
    severity: Severity::Major,
    techniques: &["T0858"],
    remediation: "Confirm the mode change with the control engineers; debugging or program \
        mode on a production controller should be planned work from an engineering station.",
};

/// Firmware was sent to a device.
pub static FIRMWARE_UPDATE: Rule = Rule {
    id: "protocol_policy.firmware_update",
    title: "Firmware update",
    engine: EngineKind::ProtocolPolicy,
    category: "firmware_change",
    severity: Severity::Major,
    techniques: &["T0857", "T0839"],
    remediation: "Confirm the update with the asset owner and check the firmware's version \
        and signature against the vendor's release. Unplanned firmware changes are a \
        persistence technique: isolate the source and verify the device.",
};

/// A device was told to restart (cold or warm restart, reset, reinitialise).
pub static RESTART: Rule = Rule {
    id: "protocol_policy.restart",
    title: "Device restart command",
    engine: EngineKind::ProtocolPolicy,
    category: "restart",
    severity: Severity::Major,
    techniques: &["T0816"],
    remediation: "Confirm the restart was planned maintenance. A restart interrupts control \
        and can clear evidence; if unplanned, check the device and isolate the source.",
};

/// A Profinet DCP Set changed a device's name or address, or reset it.
pub static DCP_SET: Rule = Rule {
    id: "protocol_policy.dcp_set",
    title: "Profinet DCP Set (name, IP or factory reset)",
    engine: EngineKind::ProtocolPolicy,
    category: "configuration_change",
    severity: Severity::Major,
    techniques: &["T0836", "T0813"],
    remediation: "A new station name or IP address breaks the controller's IO connection to \
        the device. Confirm the commissioning work with the engineers; if unplanned, restore \
        the name and address from the project and find the host that sent the Set.",
};

/// A BACnet device was told to reinitialise.
pub static BACNET_REINITIALIZE: Rule = Rule {
    id: "protocol_policy.bacnet_reinitialize",
    title: "BACnet ReinitializeDevice",
    engine: EngineKind::ProtocolPolicy,
    category: "restart",
    severity: Severity::Major,
    techniques: &["T0816"],
    remediation: "Confirm with building management that the restart, backup or restore was \
        planned; if not, check the device and block the source.",
};

/// A BACnet device was told to stop or resume communicating.
pub static BACNET_COMMUNICATION_CONTROL: Rule = Rule {
    id: "protocol_policy.bacnet_communication_control",
    title: "BACnet DeviceCommunicationControl",
    engine: EngineKind::ProtocolPolicy,
    category: "denial_of_service",
    severity: Severity::Major,
    techniques: &["T0814", "T0804"],
    remediation: "A device told to disable communication stops reporting and taking \
        commands. Confirm the maintenance; if unplanned, re-enable communication and block \
        the source.",
};

/// IEC 104 commands from a host that had not commanded this outstation.
pub static IEC104_COMMAND_NEW_MASTER: Rule = Rule {
    id: "protocol_policy.iec104_command_new_master",
    title: "IEC 104 command from a new master",
    engine: EngineKind::ProtocolPolicy,
    category: "unauthorized_command",
    severity: Severity::Major,
    techniques: &["T0855", "T0848", "T0831"],
    remediation: "Only the SCADA front ends should command an outstation. Check whether this \
        host is a new, authorised master; if not, block it at the substation firewall and \
        verify the state of the commanded points.",
};

/// OPC UA writes or method calls from a client that had not written to this server.
pub static OPCUA_WRITE_NEW_CLIENT: Rule = Rule {
    id: "protocol_policy.opcua_write_new_client",
    title: "OPC UA write or call from a new client",
    engine: EngineKind::ProtocolPolicy,
    category: "unauthorized_command",
    severity: Severity::Major,
    techniques: &["T0855", "T0836"],
    remediation: "Check that the client is an authorised HMI or gateway; restrict writes and \
        method calls with OPC UA user roles and require signed and encrypted sessions.",
};

/// An MQTT client subscribed to everything, or to the broker's internals.
pub static MQTT_WILDCARD_SUBSCRIPTION: Rule = Rule {
    id: "protocol_policy.mqtt_wildcard_subscription",
    title: "MQTT subscription to all topics",
    engine: EngineKind::ProtocolPolicy,
    category: "collection",
    severity: Severity::Minor,
    techniques: &["T0801", "T0861"],
    remediation: "A client reading every topic (or the broker's $SYS tree) collects the whole \
        plant's data. Check the client; restrict subscriptions with broker ACLs.",
};

/// Every rule of the engine.
pub static RULES: &[&Rule] = &[
    &PROGRAM_DOWNLOAD,
    &PROGRAM_UPLOAD,
    &PROGRAM_DELETE,
    &PLC_STOP,
    &PLC_START,
    &MODE_CHANGE,
    &FIRMWARE_UPDATE,
    &RESTART,
    &DCP_SET,
    &BACNET_REINITIALIZE,
    &BACNET_COMMUNICATION_CONTROL,
    &IEC104_COMMAND_NEW_MASTER,
    &OPCUA_WRITE_NEW_CLIENT,
    &MQTT_WILDCARD_SUBSCRIPTION,
];

/// IEC 60870-5-101 §7.2.3: causes 6 (activation) and 8 (deactivation) are a master's orders.
const IEC104_ORDERS: [u64; 2] = [6, 8];

/// What kind of check a record needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// The activity alone decides.
    Activity(&'static Rule),
    /// A Profinet DCP Set that changes the configuration.
    DcpSet,
    /// BACnet ReinitializeDevice.
    BacnetReinitialize,
    /// BACnet DeviceCommunicationControl.
    BacnetCommunicationControl,
    /// An IEC 104 command: is the master new to the outstation?
    Iec104Command,
    /// An OPC UA write, call or node change: is the client new to the server?
    OpcuaWrite,
    /// An MQTT subscription with a wildcard or a `$SYS` filter.
    MqttSubscribe,
}

/// The check a record needs, if any: a match on the protocol and activity, nothing more, so
/// the common record costs nothing.
fn check(r: &Record<'_>) -> Option<Check> {
    if r.direction == Some(Direction::ToClient) {
        return None;
    }
    let activity = r.activity;
    let check = match (r.protocol, activity?) {
        ("profinet_dcp", Activity::ConfigChange) => Check::DcpSet,
        ("bacnet", _) => match facts::text(&r.fields, "service")? {
            "reinitialize_device" => Check::BacnetReinitialize,
            "device_communication_control" => Check::BacnetCommunicationControl,
            _ => return None,
        },
        ("iec104", Activity::Command) => Check::Iec104Command,
        ("opcua", Activity::Write | Activity::Command) => Check::OpcuaWrite,
        // Node management changes the address space; a server registering itself with a
        // discovery server (also a configuration change) is what servers do.
        ("opcua", Activity::ConfigChange)
            if facts::text(&r.fields, "service")
                .is_some_and(|s| s.starts_with("add_") || s.starts_with("delete_")) =>
        {
            Check::OpcuaWrite
        }
        (_, Activity::ProgramDownload) => Check::Activity(&PROGRAM_DOWNLOAD),
        (_, Activity::ProgramUpload) => Check::Activity(&PROGRAM_UPLOAD),
        (_, Activity::ProgramDelete) => Check::Activity(&PROGRAM_DELETE),
        (_, Activity::PlcStop) => Check::Activity(&PLC_STOP),
        (_, Activity::PlcStart) => Check::Activity(&PLC_START),
        (_, Activity::ModeChange) => Check::Activity(&MODE_CHANGE),
        (_, Activity::FirmwareUpdate) => Check::Activity(&FIRMWARE_UPDATE),
        (_, Activity::Restart) => Check::Activity(&RESTART),
        _ => return None,
    };
    Some(check)
}

/// True for an MQTT subscribe record (which carries no activity).
fn is_mqtt_subscribe(r: &Record<'_>) -> bool {
    r.protocol == "mqtt"
        && r.kind == "subscribe"
        && (facts::flag(&r.fields, "wildcard") == Some(true)
            || facts::flag(&r.fields, "sys_topic") == Some(true))
}

/// The protocol-aware policy engine.
#[derive(Debug)]
pub struct ProtocolPolicy {
    config: ProtocolPolicyConfig,
    marks: Marks,
    masters: Familiar,
    opcua_clients: Familiar,
}

impl ProtocolPolicy {
    /// The engine with these settings and marked devices.
    pub fn new(config: &ProtocolPolicyConfig, marks: &Marks) -> ProtocolPolicy {
        ProtocolPolicy {
            config: config.clone(),
            marks: marks.clone(),
            masters: Familiar::new(config.max_known_peers, true),
            opcua_clients: Familiar::new(config.max_known_peers, true),
        }
    }

    /// True when the sender's marks make the rule expected behaviour.
    fn expected(&self, rule: &Rule, sender: Option<IpAddr>) -> bool {
        let Some(ip) = sender else {
            return false;
        };
        self.marks.is_engineering_station(ip)
            || (rule.id == MQTT_WILDCARD_SUBSCRIPTION.id && self.marks.is_scanner(ip))
    }

    fn record(&mut self, origin: &Origin, r: &Record<'_>, cx: &mut Context<'_>) {
        let check = match check(r) {
            Some(c) => c,
            None if is_mqtt_subscribe(r) => Check::MqttSubscribe,
            None => return,
        };
        let p = facts::parties(origin, r.direction);
        if self.repeated(check, r, &p, cx) {
            return;
        }
        let draft = match check {
            Check::Activity(rule) => Some(activity_draft(rule, r, &p, cx)),
            Check::DcpSet => Some(dcp_draft(r, &p, cx)),
            Check::BacnetReinitialize => Some(bacnet_reinitialize_draft(r, &p, cx)),
            Check::BacnetCommunicationControl => Some(bacnet_dcc_draft(r, &p, cx)),
            Check::Iec104Command => self.iec104_draft(r, &p, cx),
            Check::OpcuaWrite => self.opcua_draft(r, &p, cx),
            Check::MqttSubscribe => self.mqtt_draft(r, &p, cx),
        };
        if let Some(draft) = draft
            && !self.expected(draft.rule, p.sender.and_then(|s| s.ip))
        {
            cx.raise(draft);
        }
    }

    /// Count an occurrence of an open alert without building its draft, for the checks
    /// that raise on every occurrence (the others remember what they raised): true when
    /// counted, or when the sender's marks make it expected.
    fn repeated(&self, check: Check, r: &Record<'_>, p: &Parties, cx: &mut Context<'_>) -> bool {
        let object;
        let (rule, discriminator) = match check {
            Check::Activity(rule) => {
                let discriminator = match r.activity {
                    Some(
                        Activity::ProgramDownload
                        | Activity::ProgramUpload
                        | Activity::ProgramDelete,
                    ) => {
                        object = facts::object(&r.fields).unwrap_or_default();
                        object.as_str()
                    }
                    Some(Activity::Restart) => facts::operation(r),
                    _ => "",
                };
                (rule, discriminator)
            }
            Check::BacnetReinitialize => (
                &BACNET_REINITIALIZE,
                facts::text(&r.fields, "reinitialized_state").unwrap_or("unspecified"),
            ),
            _ => return false,
        };
        if self.expected(rule, p.sender.and_then(|s| s.ip)) {
            return true;
        }
        let key = AlertKey {
            rule,
            source: p.sender,
            destination: p.receiver,
            discriminator: &[discriminator],
        };
        cx.repeat_if(&key, rule.severity, p.flow, |alert| {
            covers_evidence(alert, r)
        })
    }

    fn iec104_draft(
        &mut self,
        r: &Record<'_>,
        p: &Parties,
        cx: &Context<'_>,
    ) -> Option<AlertDraft> {
        let cot = facts::number(&r.fields, "cot")?;
        if !IEC104_ORDERS.contains(&cot) {
            return None;
        }
        let (master, outstation) = (p.sender?.ip?, p.receiver?.ip?);
        if !self.masters.is_new((master, outstation), cx.mode) {
            return None;
        }
        let type_name = facts::text(&r.fields, "type_name").unwrap_or("command");
        let mut ioas = Vec::new();
        facts::each_number(r.fields.get("ioa"), |ioa| ioas.push(ioa.to_string()));
        let description = format!(
            "{master} sent {type_name} {} to IOA {} of outstation {outstation} (common address {}); \
             it had not commanded this outstation before",
            facts::text(&r.fields, "command").unwrap_or("command"),
            ioas.join(", "),
            facts::number(&r.fields, "common_address").map_or("?".to_string(), |a| a.to_string()),
        );
        Some(draft(&IEC104_COMMAND_NEW_MASTER, r, p, cx, description))
    }

    fn opcua_draft(&mut self, r: &Record<'_>, p: &Parties, cx: &Context<'_>) -> Option<AlertDraft> {
        let (client, server) = (p.sender?.ip?, p.receiver?.ip?);
        if !self.opcua_clients.is_new((client, server), cx.mode) {
            return None;
        }
        let service = facts::operation(r);
        let description = format!(
            "{client} sent OPC UA {service} to server {server}; it had not written to or called \
             methods on this server before"
        );
        Some(draft(&OPCUA_WRITE_NEW_CLIENT, r, p, cx, description).discriminator(service))
    }

    fn mqtt_draft(&self, r: &Record<'_>, p: &Parties, cx: &Context<'_>) -> Option<AlertDraft> {
        let mut matched = None;
        facts::any_text(r.fields.get("topics"), |filter| {
            let hit = self.config.mqtt_filters.iter().any(|f| f == filter)
                || (self.config.mqtt_sys_topics && filter.starts_with("$SYS"));
            if hit {
                matched = Some(filter.to_string());
            }
            hit
        });
        let filter = matched?;
        let description = format!(
            "{} subscribed to '{filter}' on MQTT broker {}",
            side(p.sender),
            side(p.receiver)
        );
        Some(draft(&MQTT_WILDCARD_SUBSCRIPTION, r, p, cx, description).discriminator(filter))
    }
}

impl Detector for ProtocolPolicy {
    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        if cx.mode == Mode::Learning {
            self.masters.note_learning();
            self.opcua_clients.note_learning();
        }
        if let Observation::Event {
            origin,
            event: Event::Record(r),
        } = observation
        {
            self.record(origin, r, cx);
        }
    }
}

/// An address for a description: the IP, else the MAC, else `an unknown host`.
pub(crate) fn side(e: Option<Endpoint>) -> String {
    match e {
        Some(Endpoint { ip: Some(ip), .. }) => ip.to_string(),
        Some(Endpoint { mac: Some(mac), .. }) => mac.to_string(),
        _ => "an unknown host".to_string(),
    }
}

/// True when the alert's evidence has every key [`draft`] would give record `r`, so that
/// counting `r` without its evidence loses nothing.
fn covers_evidence(alert: &Alert, r: &Record<'_>) -> bool {
    let has = |key: &str| alert.evidence.contains_key(key);
    r.fields
        .0
        .iter()
        .take(facts::MAX_EVIDENCE_FIELDS)
        .all(|(name, _)| has(name))
        && has("kind")
        && (r.activity.is_none() || has("action"))
}

/// A draft of `rule` for record `r` between the parties, with the record as evidence.
fn draft(
    rule: &'static Rule,
    r: &Record<'_>,
    p: &Parties,
    cx: &Context<'_>,
    description: String,
) -> AlertDraft {
    let mut d = AlertDraft::new(rule, cx.time, description)
        .between(p.sender, p.receiver)
        .protocol(r.protocol)
        .flow(p.flow);
    d.evidence = facts::evidence(&r.fields);
    d.evidence.insert("kind".to_string(), r.kind.into());
    if let Some(a) = r.activity {
        d.evidence.insert("action".to_string(), a.as_str().into());
    }
    d
}

/// The draft of a rule decided by the activity alone.
fn activity_draft(
    rule: &'static Rule,
    r: &Record<'_>,
    p: &Parties,
    cx: &Context<'_>,
) -> AlertDraft {
    let (src, dst) = (side(p.sender), side(p.receiver));
    let op = facts::operation(r);
    let object = facts::object(&r.fields);
    let what = object.as_deref().map_or(String::new(), |o| format!(" {o}"));
    let act = match r.activity {
        Some(Activity::ProgramDownload) => format!("sent program{what} to controller {dst}"),
        Some(Activity::ProgramUpload) => format!("read program{what} out of controller {dst}"),
        Some(Activity::ProgramDelete) => format!("deleted{what} on controller {dst}"),
        Some(Activity::PlcStop) => format!("stopped controller {dst}"),
        Some(Activity::PlcStart) => format!("started controller {dst}"),
        Some(Activity::ModeChange) => format!("changed the operating mode of controller {dst}"),
        Some(Activity::FirmwareUpdate) => format!("sent firmware to {dst}"),
        _ => format!("restarted {dst}"),
    };
    let description = format!("{src} {act} ({} {op})", r.protocol);
    let discriminator = match r.activity {
        Some(Activity::ProgramDownload | Activity::ProgramUpload | Activity::ProgramDelete) => {
            object.unwrap_or_default()
        }
        Some(Activity::Restart) => op.to_string(),
        _ => String::new(),
    };
    draft(rule, r, p, cx, description).discriminator(discriminator)
}

/// A Profinet DCP Set: what it changes names the alert; a factory reset is critical.
fn dcp_draft(r: &Record<'_>, p: &Parties, cx: &Context<'_>) -> AlertDraft {
    let f = &r.fields;
    let target = match f.get("target_mac") {
        Some(Value::Mac(mac)) => Some(Endpoint {
            mac: Some(mac),
            ..Endpoint::default()
        }),
        _ => p.receiver,
    };
    let reset = facts::any_text(f.get("controls"), |c| c.starts_with("reset"));
    let mut changes = Vec::new();
    if let Some(name) = facts::text(f, "name_of_station") {
        changes.push(format!("station name '{name}'"));
    }
    if let Some(Value::Ip(ip)) = f.get("ip") {
        changes.push(format!("IP address {ip}"));
    }
    if reset {
        changes.push("a factory reset".to_string());
    }
    if changes.is_empty() {
        changes.push("new configuration".to_string());
    }
    let description = format!(
        "{} set {} on Profinet device {} (DCP Set)",
        side(p.sender),
        changes.join(" and "),
        side(target)
    );
    let discriminator = if reset {
        "factory_reset"
    } else if f.get("name_of_station").is_some() {
        "name_of_station"
    } else if f.get("ip").is_some() {
        "ip"
    } else {
        "other"
    };
    let parties = Parties {
        receiver: target,
        ..*p
    };
    let d = draft(&DCP_SET, r, &parties, cx, description).discriminator(discriminator);
    if reset {
        d.severity(Severity::Critical)
    } else {
        d
    }
}

fn bacnet_reinitialize_draft(r: &Record<'_>, p: &Parties, cx: &Context<'_>) -> AlertDraft {
    let state = facts::text(&r.fields, "reinitialized_state").unwrap_or("unspecified");
    let description = format!(
        "{} asked BACnet device {} to reinitialize ({state})",
        side(p.sender),
        side(p.receiver)
    );
    draft(&BACNET_REINITIALIZE, r, p, cx, description).discriminator(state)
}

fn bacnet_dcc_draft(r: &Record<'_>, p: &Parties, cx: &Context<'_>) -> AlertDraft {
    let order = facts::text(&r.fields, "enable_disable").unwrap_or("control");
    let minutes = facts::number(&r.fields, "duration_minutes")
        .map_or(String::new(), |m| format!(" for {m} minutes"));
    let description = format!(
        "{} told BACnet device {} to {order} communication{minutes}",
        side(p.sender),
        side(p.receiver)
    );
    draft(&BACNET_COMMUNICATION_CONTROL, r, p, cx, description).discriminator(order)
}

#[cfg(test)]
mod tests {
    use rampart_event::{Fields, FrameContext, Mac};

    use super::*;
    use crate::facts::testing::{Harness, flow};

    fn record<'a>(
        protocol: &'a str,
        kind: &'a str,
        activity: Option<Activity>,
        fields: &'a [(&'a str, Value<'a>)],
    ) -> Event<'a> {
        Event::Record(Record {
            protocol,
            kind,
            direction: None,
            activity,
            fields: Fields(fields),
        })
    }

    fn engine(marks: Marks) -> ProtocolPolicy {
        ProtocolPolicy::new(&ProtocolPolicyConfig::default(), &marks)
    }

    const PLC: [u8; 4] = [10, 0, 0, 2];
    const ES: [u8; 4] = [10, 0, 0, 5];

    #[test]
    fn repeats_are_counted_and_only_new_evidence_keys_build_a_draft() {
        let mut d = crate::Detection::new(
            crate::Learning::Off,
            vec![Box::new(engine(Marks::default()))],
            0,
        );
        let origin = flow(7, ES, PLC, 102);
        let plain = [("function", Value::Str("plc_stop"))];
        let more = [
            ("function", Value::Str("plc_stop")),
            ("pi_service", Value::Str("P_PROGRAM")),
        ];
        for (sec, fields) in [
            (1, &plain[..]),
            (2, &plain[..]),
            (3, &more[..]),
            (4, &more[..]),
        ] {
            let event = record("s7comm", "plc_stop", Some(Activity::PlcStop), fields);
            let observation = Observation::Event {
                origin: &origin,
                event: &event,
            };
            d.observe(rampart_event::Timestamp::from_parts(sec, 0), &observation);
        }
        let alerts = d.book().alerts();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 4);
        assert_eq!(alerts[0].evidence["pi_service"], "P_PROGRAM");
        assert_eq!(
            alerts[0].description,
            "10.0.0.5 stopped controller 10.0.0.2 (s7comm plc_stop)"
        );
    }

    #[test]
    fn a_plc_stop_is_critical_with_its_techniques_in_both_modes() {
        let fields = [
            ("function", Value::Str("plc_stop")),
            ("pi_service", Value::Str("P_PROGRAM")),
        ];
        let event = record("s7comm", "plc_stop", Some(Activity::PlcStop), &fields);
        let origin = flow(7, ES, PLC, 102);
        let mut h = Harness::new();
        let mut e = engine(Marks::default());
        h.mode = Mode::Learning;
        h.event(&mut e, 1.0, &origin, &event);
        h.mode = Mode::Monitoring;
        h.event(&mut e, 2.0, &origin, &event);
        assert_eq!(
            h.rules(),
            ["protocol_policy.plc_stop", "protocol_policy.plc_stop"]
        );
        let d = &h.drafts[0];
        assert_eq!(d.severity, Severity::Critical);
        assert_eq!(d.rule.techniques, ["T0858", "T0816"]);
        assert_eq!(
            d.description,
            "10.0.0.5 stopped controller 10.0.0.2 (s7comm plc_stop)"
        );
        assert_eq!(d.flows, [7]);
        assert_eq!(d.evidence["pi_service"], "P_PROGRAM");
    }

    #[test]
    fn engineering_stations_are_expected_to_program() {
        let fields = [
            ("block_type", Value::Str("DB")),
            ("block_number", Value::U64(1)),
        ];
        let event = record(
            "s7comm",
            "download_block",
            Some(Activity::ProgramDownload),
            &fields,
        );
        let marks = Marks {
            engineering_stations: vec!["10.0.0.5/32".parse().expect("net")],
            scanners: Vec::new(),
        };
        let mut h = Harness::new();
        let mut e = engine(marks);
        let from_es = flow(1, ES, PLC, 102);
        let from_other = flow(2, [10, 0, 0, 9], PLC, 102);
        h.event(&mut e, 1.0, &from_es, &event);
        assert!(h.drafts.is_empty());
        h.event(&mut e, 2.0, &from_other, &event);
        assert_eq!(h.rules(), ["protocol_policy.program_download"]);
        assert_eq!(h.drafts[0].discriminator, "DB1");
        assert!(
            h.drafts[0]
                .description
                .contains("sent program DB1 to controller 10.0.0.2")
        );
    }

    #[test]
    fn responses_are_not_acts() {
        let event = Event::Record(Record {
            protocol: "fins",
            kind: "command",
            direction: Some(Direction::ToClient),
            activity: Some(Activity::PlcStop),
            fields: Fields(&[]),
        });
        let origin = flow(1, ES, PLC, 9600);
        let mut h = Harness::new();
        h.event(&mut engine(Marks::default()), 1.0, &origin, &event);
        assert!(h.drafts.is_empty());
    }

    fn iec104_command(cot: u64) -> [(&'static str, Value<'static>); 5] {
        [
            ("type_name", Value::Str("C_SC_NA_1")),
            ("cot", Value::U64(cot)),
            ("common_address", Value::U64(3)),
            ("ioa", Value::U64s(&[4501])),
            ("command", Value::Str("execute")),
        ]
    }

    #[test]
    fn an_iec104_master_learned_while_learning_is_not_new() {
        let act = iec104_command(6);
        let event = record("iec104", "i_format", Some(Activity::Command), &act);
        let known = flow(1, [10, 0, 0, 1], PLC, 2404);
        let rogue = flow(2, [10, 0, 0, 66], PLC, 2404);
        let mut h = Harness::new();
        let mut e = engine(Marks::default());
        h.mode = Mode::Learning;
        h.event(&mut e, 1.0, &known, &event);
        h.mode = Mode::Monitoring;
        h.event(&mut e, 2.0, &known, &event);
        assert!(h.drafts.is_empty());
        h.event(&mut e, 3.0, &rogue, &event);
        assert_eq!(h.rules(), ["protocol_policy.iec104_command_new_master"]);
        assert_eq!(
            h.drafts[0].description,
            "10.0.0.66 sent C_SC_NA_1 execute to IOA 4501 of outstation 10.0.0.2 (common address 3); \
             it had not commanded this outstation before"
        );
        let actcon = iec104_command(7);
        let confirmation = record("iec104", "i_format", Some(Activity::Command), &actcon);
        h.event(&mut e, 4.0, &rogue, &confirmation);
        assert_eq!(h.drafts.len(), 1, "a confirmation is not an order");
    }

    #[test]
    fn without_learning_the_first_master_of_an_outstation_is_its_own() {
        let act = iec104_command(6);
        let event = record("iec104", "i_format", Some(Activity::Command), &act);
        let mut h = Harness::new();
        let mut e = engine(Marks::default());
        let first = flow(1, [10, 0, 0, 1], PLC, 2404);
        let second = flow(2, [10, 0, 0, 66], PLC, 2404);
        h.event(&mut e, 1.0, &first, &event);
        h.event(&mut e, 2.0, &first, &event);
        assert!(h.drafts.is_empty());
        h.event(&mut e, 3.0, &second, &event);
        h.event(&mut e, 4.0, &second, &event);
        assert_eq!(h.drafts.len(), 2, "every command of the new master counts");
    }

    #[test]
    fn opcua_node_changes_count_as_writes_but_server_registration_does_not() {
        let mut e = engine(Marks::default());
        let mut h = Harness::new();
        h.mode = Mode::Learning;
        let lds = flow(1, [10, 0, 0, 30], PLC, 4840);
        let quiet = record("opcua", "service", Some(Activity::Read), &[]);
        h.event(&mut e, 0.0, &lds, &quiet);
        h.mode = Mode::Monitoring;
        let register = [("service", Value::Str("register_server2"))];
        let event = record("opcua", "service", Some(Activity::ConfigChange), &register);
        h.event(&mut e, 1.0, &lds, &event);
        assert!(h.drafts.is_empty());
        let add = [("service", Value::Str("add_nodes"))];
        let event = record("opcua", "service", Some(Activity::ConfigChange), &add);
        h.event(&mut e, 2.0, &lds, &event);
        assert_eq!(h.rules(), ["protocol_policy.opcua_write_new_client"]);
        assert_eq!(h.drafts[0].discriminator, "add_nodes");
    }

    #[test]
    fn a_dcp_factory_reset_names_the_target_and_is_critical() {
        let fields = [
            ("target_mac", Value::Mac(Mac([0, 0x0e, 0x8c, 1, 2, 3]))),
            ("controls", Value::Strs(&["reset_to_factory"])),
        ];
        let event = Event::Record(Record {
            protocol: "profinet_dcp",
            kind: "set",
            direction: Some(Direction::ToServer),
            activity: Some(Activity::ConfigChange),
            fields: Fields(&fields),
        });
        let origin = Origin::Frame(FrameContext {
            src: Mac([0, 0x1b, 0x1b, 9, 9, 9]),
            dst: Mac([0, 0x0e, 0x8c, 1, 2, 3]),
            vlan: 0,
        });
        let mut h = Harness::new();
        h.event(&mut engine(Marks::default()), 1.0, &origin, &event);
        let d = &h.drafts[0];
        assert_eq!(d.rule.id, "protocol_policy.dcp_set");
        assert_eq!(d.severity, Severity::Critical);
        assert_eq!(d.discriminator, "factory_reset");
        assert_eq!(
            d.description,
            "00:1b:1b:09:09:09 set a factory reset on Profinet device 00:0e:8c:01:02:03 (DCP Set)"
        );
    }

    #[test]
    fn bacnet_reinitialize_is_its_own_rule_whatever_the_state() {
        let fields = [
            ("service", Value::Str("reinitialize_device")),
            ("reinitialized_state", Value::Str("startbackup")),
        ];
        let event = record(
            "bacnet",
            "confirmed_request",
            Some(Activity::ProgramUpload),
            &fields,
        );
        let origin = flow(1, ES, PLC, 47808);
        let mut h = Harness::new();
        h.event(&mut engine(Marks::default()), 1.0, &origin, &event);
        assert_eq!(h.rules(), ["protocol_policy.bacnet_reinitialize"]);
        assert_eq!(h.drafts[0].discriminator, "startbackup");
    }

    #[test]
    fn mqtt_subscriptions_to_everything_alert_unless_from_a_scanner() {
        let everything = [
            ("topics", Value::Strs(&["plant/line1", "#"])),
            ("wildcard", Value::Bool(true)),
        ];
        let narrow = [
            ("topics", Value::Strs(&["plant/+/temp"])),
            ("wildcard", Value::Bool(true)),
        ];
        let sub = |fields| {
            Event::Record(Record {
                protocol: "mqtt",
                kind: "subscribe",
                direction: Some(Direction::ToServer),
                activity: None,
                fields: Fields(fields),
            })
        };
        let marks = Marks {
            engineering_stations: Vec::new(),
            scanners: vec!["10.0.0.7/32".parse().expect("net")],
        };
        let mut e = engine(marks);
        let mut h = Harness::new();
        let client = flow(1, [10, 0, 0, 3], PLC, 1883);
        let scanner = flow(2, [10, 0, 0, 7], PLC, 1883);
        h.event(&mut e, 1.0, &client, &sub(&narrow));
        h.event(&mut e, 2.0, &scanner, &sub(&everything));
        assert!(h.drafts.is_empty());
        h.event(&mut e, 3.0, &client, &sub(&everything));
        assert_eq!(h.rules(), ["protocol_policy.mqtt_wildcard_subscription"]);
        assert_eq!(h.drafts[0].discriminator, "#");
    }

    #[test]
    fn rules_have_unique_ids_in_the_engine_namespace_and_known_techniques() {
        crate::facts::testing::check_rules(RULES, EngineKind::ProtocolPolicy);
    }
}
