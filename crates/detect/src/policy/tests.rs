use std::net::IpAddr;

use rampart_event::{
    Activity, Attribute, Confidence, Direction, Event, Fields, FlowContext, FrameContext, Identity,
    Mac, Origin, Record, Subject, Timestamp, Value,
};

use super::*;
use crate::baseline::{Command, handle, lock};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn flow(id: u64, client: &str, server: &str, port: u16, app: Option<&'static str>) -> FlowContext {
    FlowContext {
        id,
        transport: if port == 47808 { "udp" } else { "tcp" },
        app,
        client: (ip(client), 40000 + id as u16),
        server: (ip(server), port),
        client_mac: None,
        server_mac: None,
        vlan: 0,
    }
}

fn end(ctx: FlowContext, answered: bool) -> FlowEnd {
    FlowEnd {
        context: ctx,
        start: Timestamp(0),
        end: Timestamp(0),
        packets: [4, if answered { 4 } else { 0 }],
        bytes: [400, if answered { 400 } else { 0 }],
        conn_state: Some(if answered { "SF" } else { "S0" }),
    }
}

/// The policy engine over a shared baseline, with the drafts it raised.
struct Rig {
    engine: PolicyEngine,
    baseline: BaselineHandle,
    second: u64,
}

impl Rig {
    fn new() -> Rig {
        let baseline = handle(Baseline::default());
        Rig {
            engine: PolicyEngine::new(baseline.clone()),
            baseline,
            second: 1_600_000_000,
        }
    }

    fn show(&mut self, mode: Mode, observation: &Observation<'_>) -> Vec<AlertDraft> {
        self.second += 1;
        let mut drafts = Vec::new();
        let mut cx = Context {
            time: Timestamp::from_parts(self.second, 0),
            mode,
            drafts: &mut drafts,
            open: None,
            refused: None,
        };
        self.engine.observe(observation, &mut cx);
        drafts
    }

    fn record(&mut self, mode: Mode, ctx: &FlowContext, r: Record<'_>) -> Vec<AlertDraft> {
        let origin = Origin::Flow(*ctx);
        let event = Event::Record(r);
        self.show(
            mode,
            &Observation::Event {
                origin: &origin,
                event: &event,
            },
        )
    }

    fn identity(&mut self, mode: Mode, origin: Origin, i: Identity<'_>) -> Vec<AlertDraft> {
        let event = Event::Identity(i);
        self.show(
            mode,
            &Observation::Event {
                origin: &origin,
                event: &event,
            },
        )
    }

    /// A whole Modbus conversation: flow start, one transaction, flow end (answered).
    fn modbus(
        &mut self,
        mode: Mode,
        ctx: &FlowContext,
        function: u64,
        address: u64,
        quantity: u64,
    ) -> Vec<AlertDraft> {
        let mut all = self.show(mode, &Observation::FlowStart(ctx));
        let f = modbus_fields(function, address, quantity);
        all.extend(self.record(mode, ctx, modbus_record(function, &f)));
        all.extend(self.show(mode, &Observation::FlowEnd(&end(*ctx, true))));
        all
    }
}

fn modbus_fields(
    function: u64,
    address: u64,
    quantity: u64,
) -> [(&'static str, Value<'static>); 4] {
    [
        ("unit_id", Value::U64(1)),
        ("function_code", Value::U64(function)),
        ("address", Value::U64(address)),
        (
            if function == 6 { "value" } else { "quantity" },
            Value::U64(quantity),
        ),
    ]
}

fn modbus_record<'a>(function: u64, fields: &'a [(&'a str, Value<'a>)]) -> Record<'a> {
    Record {
        protocol: "modbus",
        kind: if function == 6 {
            "write_single_register"
        } else {
            "read_holding_registers"
        },
        direction: None,
        activity: Some(if function == 6 {
            Activity::Write
        } else {
            Activity::Read
        }),
        fields: Fields(fields),
    }
}

fn rule_ids(drafts: &[AlertDraft]) -> Vec<&'static str> {
    drafts.iter().map(|d| d.rule.id).collect()
}

/// A rig that learned: 10.0.0.5 polls 10.0.0.10 (Modbus FC 3, addresses 0-9), and the HMI
/// 10.0.0.6 polls it too.
fn learned() -> Rig {
    let mut rig = Rig::new();
    let poll = flow(1, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    assert!(rig.modbus(Mode::Learning, &poll, 3, 0, 10).is_empty());
    let hmi = flow(2, "10.0.0.6", "10.0.0.10", 502, Some("modbus"));
    assert!(rig.modbus(Mode::Learning, &hmi, 3, 0, 10).is_empty());
    rig
}

#[test]
fn learning_is_silent_and_builds_the_edge() {
    let rig = learned();
    let b = lock(&rig.baseline);
    let edge = b
        .edge(Peer::Ip(ip("10.0.0.5")), Peer::Ip(ip("10.0.0.10")))
        .expect("edge learned");
    assert_eq!(edge.protocols, vec!["modbus".to_string()]);
    assert!(edge.has_service("tcp", 502));
    let read = &edge.commands[&Command::Modbus {
        unit: 1,
        function: 3,
        sub: None,
    }];
    assert_eq!(read.ranges, vec![(0, 9)]);
    assert_eq!(edge.volume.flows, 1);
    assert_eq!(edge.volume.packets, [4, 4]);
    let server = b.device(&Peer::Ip(ip("10.0.0.10"))).expect("server");
    assert!(server.has_role("modbus", "server"));
    assert!(server.is_ot());
}

#[test]
fn monitoring_the_learned_traffic_raises_nothing() {
    let mut rig = learned();
    let poll = flow(3, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    assert!(rig.modbus(Mode::Monitoring, &poll, 3, 2, 5).is_empty());
}

#[test]
fn a_first_write_from_a_host_that_only_read_is_a_major_new_command() {
    let mut rig = learned();
    let before = lock(&rig.baseline).clone();
    let poll = flow(3, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    let drafts = rig.modbus(Mode::Monitoring, &poll, 6, 4, 99);
    assert_eq!(rule_ids(&drafts), vec!["policy.new_command"]);
    let d = &drafts[0];
    assert_eq!(d.severity, Severity::Major);
    assert_eq!(d.rule.techniques, &["T0855", "T0836"]);
    assert_eq!(d.discriminator, "modbus unit 1 function 6");
    assert_eq!(
        d.evidence["command"],
        json!({"protocol": "modbus", "unit": 1, "function": 6})
    );
    assert_eq!(
        d.evidence["edge"],
        json!({"client": "10.0.0.5", "server": "10.0.0.10"})
    );
    assert_eq!(d.evidence["ranges"], json!([[4, 4]]));
    assert_eq!(d.flows, vec![3]);
    assert_eq!(d.source.and_then(|s| s.ip), Some(ip("10.0.0.5")));
    // Monitoring learns nothing: the same write raises again, for the book to count.
    assert_eq!(*lock(&rig.baseline), before);
    let again = flow(4, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    assert_eq!(
        rule_ids(&rig.modbus(Mode::Monitoring, &again, 6, 4, 99)),
        vec!["policy.new_command"]
    );
}

#[test]
fn a_first_read_on_another_unit_is_a_minor_new_command() {
    let mut rig = learned();
    let poll = flow(3, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    let f = [
        ("unit_id", Value::U64(2)),
        ("function_code", Value::U64(3)),
        ("address", Value::U64(0)),
        ("quantity", Value::U64(1)),
    ];
    let drafts = rig.record(Mode::Monitoring, &poll, modbus_record(3, &f));
    assert_eq!(rule_ids(&drafts), vec!["policy.new_command"]);
    assert_eq!(drafts[0].severity, Severity::Minor);
    assert_eq!(drafts[0].rule.techniques, &["T0855"]);
    assert_eq!(drafts[0].discriminator, "modbus unit 2 function 3");
}

#[test]
fn a_read_outside_the_learned_addresses_is_a_register_range_violation() {
    let mut rig = learned();
    let poll = flow(3, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    let drafts = rig.modbus(Mode::Monitoring, &poll, 3, 8, 4);
    assert_eq!(rule_ids(&drafts), vec!["policy.register_range"]);
    assert_eq!(drafts[0].evidence["range"], json!([8, 11]));
    assert_eq!(drafts[0].evidence["learned_ranges"], json!([[0, 9]]));
    assert_eq!(
        drafts[0].discriminator,
        "modbus unit 1 function 3 addresses 8-11"
    );
}

#[test]
fn a_new_device_is_one_alert_per_flow_and_hides_its_edges() {
    let mut rig = learned();
    let rogue = flow(3, "10.0.0.66", "10.0.0.10", 502, Some("modbus"));
    let drafts = rig.modbus(Mode::Monitoring, &rogue, 6, 4, 1);
    assert_eq!(rule_ids(&drafts), vec!["policy.new_device"]);
    assert_eq!(drafts[0].rule.techniques, &["T0864"]);
    assert_eq!(drafts[0].evidence["device"], "10.0.0.66");
    assert_eq!(drafts[0].destination, None);
    // A later flow that carries the MAC is the same alert: ids key on the IP.
    let mut second = flow(4, "10.0.0.66", "10.0.0.10", 502, Some("modbus"));
    second.client_mac = Some(Mac([0, 0x1b, 0x1b, 0, 0, 0x66]));
    let again = rig.modbus(Mode::Monitoring, &second, 3, 0, 1);
    assert_eq!(rule_ids(&again), vec!["policy.new_device"]);
    assert_eq!(again[0].alert_id(), drafts[0].alert_id());
    assert_eq!(again[0].evidence["client_mac"], "00:1b:1b:00:00:66");
}

#[test]
fn an_unknown_server_is_new_only_once_it_answers() {
    let mut rig = learned();
    let probe = flow(3, "10.0.0.5", "10.0.0.77", 502, None);
    assert!(
        rig.show(Mode::Monitoring, &Observation::FlowStart(&probe))
            .is_empty()
    );
    assert!(
        rig.show(Mode::Monitoring, &Observation::FlowEnd(&end(probe, false)))
            .is_empty()
    );
    let answered = flow(4, "10.0.0.5", "10.0.0.77", 502, None);
    assert!(
        rig.show(Mode::Monitoring, &Observation::FlowStart(&answered))
            .is_empty()
    );
    let drafts = rig.show(
        Mode::Monitoring,
        &Observation::FlowEnd(&end(answered, true)),
    );
    assert_eq!(rule_ids(&drafts), vec!["policy.new_device"]);
    assert_eq!(drafts[0].evidence["device"], "10.0.0.77");
}

#[test]
fn known_devices_talking_for_the_first_time_are_a_new_edge() {
    let mut rig = learned();
    let sideways = flow(3, "10.0.0.6", "10.0.0.5", 502, Some("modbus"));
    let drafts = rig.modbus(Mode::Monitoring, &sideways, 3, 0, 1);
    assert_eq!(rule_ids(&drafts), vec!["policy.new_edge"]);
    assert_eq!(drafts[0].rule.techniques, &["T0886"]);
    assert_eq!(
        drafts[0].evidence["edge"],
        json!({"client": "10.0.0.6", "server": "10.0.0.5"})
    );
}

#[test]
fn a_new_protocol_on_a_known_edge_is_raised_once_per_flow() {
    let mut rig = learned();
    let s7 = flow(3, "10.0.0.5", "10.0.0.10", 102, Some("s7comm"));
    let mut drafts = rig.show(Mode::Monitoring, &Observation::FlowStart(&s7));
    let f = [("function_code", Value::U64(4))];
    for _ in 0..3 {
        drafts.extend(rig.record(
            Mode::Monitoring,
            &s7,
            Record {
                protocol: "s7comm",
                kind: "read_var",
                direction: None,
                activity: Some(Activity::Read),
                fields: Fields(&f),
            },
        ));
    }
    drafts.extend(rig.show(Mode::Monitoring, &Observation::FlowEnd(&end(s7, true))));
    assert_eq!(rule_ids(&drafts), vec!["policy.new_protocol"]);
    assert_eq!(drafts[0].rule.techniques, &["T0869"]);
    assert_eq!(drafts[0].evidence["protocol"], "s7comm");
    let unknown = flow(4, "10.0.0.5", "10.0.0.10", 8080, None);
    rig.show(Mode::Monitoring, &Observation::FlowStart(&unknown));
    let drafts = rig.show(Mode::Monitoring, &Observation::FlowEnd(&end(unknown, true)));
    assert_eq!(rule_ids(&drafts), vec!["policy.new_protocol"]);
    assert_eq!(drafts[0].discriminator, "tcp/8080");
    assert_eq!(drafts[0].evidence["port"], 8080);
}

#[test]
fn firmware_and_model_changes_compare_with_the_learned_values() {
    let mut rig = learned();
    let origin = Origin::Flow(flow(1, "10.0.0.5", "10.0.0.10", 502, Some("modbus")));
    let say = |attribute, value, confidence| Identity {
        protocol: "modbus",
        subject: Subject::Server,
        attribute,
        value,
        confidence,
    };
    assert!(
        rig.identity(
            Mode::Learning,
            origin,
            say(Attribute::Firmware, "V3.2", Confidence::STATED)
        )
        .is_empty()
    );
    assert!(
        rig.identity(
            Mode::Monitoring,
            origin,
            say(Attribute::Firmware, "V3.2", Confidence::STATED)
        )
        .is_empty()
    );
    let drafts = rig.identity(
        Mode::Monitoring,
        origin,
        say(Attribute::Firmware, "V4.0", Confidence::STATED),
    );
    assert_eq!(rule_ids(&drafts), vec!["policy.firmware_change"]);
    assert_eq!(drafts[0].evidence["value"], "V4.0");
    assert_eq!(drafts[0].evidence["learned"], json!(["V3.2"]));
    assert_eq!(drafts[0].evidence["device"], "10.0.0.10");
    // A weak hint is not a change, and a model never learned is news, not a change.
    assert!(
        rig.identity(
            Mode::Monitoring,
            origin,
            say(Attribute::Firmware, "V5", Confidence::WEAK)
        )
        .is_empty()
    );
    assert!(
        rig.identity(
            Mode::Monitoring,
            origin,
            say(Attribute::Model, "M340", Confidence::STATED)
        )
        .is_empty()
    );
    rig.identity(
        Mode::Learning,
        origin,
        say(Attribute::Model, "M340", Confidence::STATED),
    );
    let drafts = rig.identity(
        Mode::Monitoring,
        origin,
        say(Attribute::Model, "M580", Confidence::STATED),
    );
    assert_eq!(rule_ids(&drafts), vec!["policy.model_change"]);
}

#[test]
fn a_new_dhcp_host_name_is_a_new_identity() {
    let mut rig = Rig::new();
    let mac = Mac([0, 0x1b, 0x1b, 0, 0, 7]);
    let origin = Origin::Flow(flow(1, "10.0.0.1", "10.0.0.2", 67, Some("dhcp")));
    let say = |value| Identity {
        protocol: "dhcp",
        subject: Subject::Host {
            mac: Some(mac),
            ip: None,
        },
        attribute: Attribute::Hostname,
        value,
        confidence: Confidence::STATED,
    };
    assert!(
        rig.identity(Mode::Learning, origin, say("hmi-1"))
            .is_empty()
    );
    assert!(
        rig.identity(Mode::Monitoring, origin, say("hmi-1"))
            .is_empty()
    );
    let drafts = rig.identity(Mode::Monitoring, origin, say("kali"));
    assert_eq!(rule_ids(&drafts), vec!["policy.new_identity"]);
    assert_eq!(drafts[0].discriminator, "hostname=kali");
    assert_eq!(drafts[0].evidence["device"], mac.to_string());
    // Host names from DNS are not network identities.
    let dns = Identity {
        protocol: "dns",
        ..say("other")
    };
    assert!(rig.identity(Mode::Monitoring, origin, dns).is_empty());
}

#[test]
fn an_ot_device_reaching_the_internet_is_internet_connectivity_and_an_it_host_a_new_edge() {
    let mut rig = learned();
    let call_home = flow(3, "10.0.0.10", "52.1.2.3", 443, None);
    let drafts = rig.show(Mode::Monitoring, &Observation::FlowStart(&call_home));
    assert_eq!(rule_ids(&drafts), vec!["policy.internet_connectivity"]);
    assert_eq!(
        drafts[0].evidence["edge"],
        json!({"client": "10.0.0.10", "server": "internet"})
    );
    assert!(
        rig.show(
            Mode::Monitoring,
            &Observation::FlowEnd(&end(call_home, true))
        )
        .is_empty()
    );
    // An IT host: learned with web traffic only.
    let web = flow(4, "10.0.0.20", "10.0.0.21", 80, Some("http"));
    rig.show(Mode::Learning, &Observation::FlowStart(&web));
    rig.show(Mode::Learning, &Observation::FlowEnd(&end(web, true)));
    let browse = flow(5, "10.0.0.20", "1.1.1.1", 443, Some("tls"));
    assert!(
        rig.show(Mode::Monitoring, &Observation::FlowStart(&browse))
            .is_empty()
    );
    let drafts = rig.show(Mode::Monitoring, &Observation::FlowEnd(&end(browse, true)));
    assert_eq!(rule_ids(&drafts), vec!["policy.new_edge"]);
}

#[test]
fn a_new_sender_to_a_group_is_an_unauthorized_group_source() {
    let mut rig = learned();
    let who_is = flow(3, "10.0.0.5", "10.0.0.255", 47808, Some("bacnet"));
    assert!(
        rig.show(Mode::Learning, &Observation::FlowStart(&who_is))
            .is_empty()
    );
    let again = flow(4, "10.0.0.5", "10.0.0.255", 47808, Some("bacnet"));
    assert!(
        rig.show(Mode::Monitoring, &Observation::FlowStart(&again))
            .is_empty()
    );
    let other = flow(5, "10.0.0.10", "10.0.0.255", 47808, Some("bacnet"));
    let drafts = rig.show(Mode::Monitoring, &Observation::FlowStart(&other));
    assert_eq!(rule_ids(&drafts), vec!["policy.unauthorized_group_source"]);
    assert_eq!(
        drafts[0].evidence["edge"],
        json!({"client": "10.0.0.10", "server": "10.0.0.255"})
    );

    let publisher = Mac([0, 0x1b, 0x1b, 0, 0, 0x42]);
    let frame = Origin::Frame(FrameContext {
        src: publisher,
        dst: Mac([0x01, 0x0c, 0xcd, 0x01, 0x00, 0x01]),
        vlan: 0,
    });
    let goose = Event::Record(Record {
        protocol: "goose",
        kind: "goose",
        direction: Some(Direction::ToServer),
        activity: None,
        fields: Fields(&[]),
    });
    let mut cx_drafts = Vec::new();
    for _ in 0..3 {
        let mut cx = Context {
            time: Timestamp::from_parts(1_700_000_000, 0),
            mode: Mode::Monitoring,
            drafts: &mut cx_drafts,
            open: None,
            refused: None,
        };
        rig.engine.observe(
            &Observation::Event {
                origin: &frame,
                event: &goose,
            },
            &mut cx,
        );
    }
    assert_eq!(
        rule_ids(&cx_drafts),
        vec!["policy.unauthorized_group_source"],
        "once a second"
    );
}

fn publish<'a>(fields: &'a [(&'a str, Value<'a>)]) -> Record<'a> {
    Record {
        protocol: "mqtt",
        kind: "publish",
        direction: Some(Direction::ToServer),
        activity: None,
        fields: Fields(fields),
    }
}

#[test]
fn mqtt_topics_are_learned_per_client() {
    let mut rig = Rig::new();
    let client = flow(1, "10.0.0.30", "10.0.0.2", 1883, Some("mqtt"));
    rig.show(Mode::Learning, &Observation::FlowStart(&client));
    let level = [("topic", Value::Str("plant/tank1/level"))];
    assert!(
        rig.record(Mode::Learning, &client, publish(&level))
            .is_empty()
    );
    rig.show(Mode::Learning, &Observation::FlowEnd(&end(client, true)));
    let next = flow(2, "10.0.0.30", "10.0.0.2", 1883, Some("mqtt"));
    assert!(
        rig.record(Mode::Monitoring, &next, publish(&level))
            .is_empty()
    );
    let valve = [("topic", Value::Str("plant/tank1/valve/set"))];
    let drafts = rig.record(Mode::Monitoring, &next, publish(&valve));
    assert_eq!(rule_ids(&drafts), vec!["policy.new_command"]);
    assert_eq!(
        drafts[0].evidence["command"],
        json!({"protocol": "mqtt", "action": "publish", "topic": "plant/tank1/valve/set"})
    );
}

#[test]
fn mutes_in_the_baseline_suppress_by_alert_id() {
    let mut rig = learned();
    let poll = flow(3, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    let drafts = rig.modbus(Mode::Monitoring, &poll, 6, 4, 99);
    let id = drafts[0].alert_id().to_string();
    let mut b = Baseline::default();
    b.mutes.insert(
        id,
        crate::baseline::Mute {
            rule: Some("policy.new_command".into()),
            note: "commissioning".into(),
            time: "t".into(),
        },
    );
    let mutes = Mutes::of(&b);
    assert_eq!(
        mutes.suppress(&drafts[0]).as_deref(),
        Some("muted in the baseline: commissioning")
    );
    let read = rig.modbus(
        Mode::Monitoring,
        &flow(4, "10.0.0.5", "10.0.0.10", 502, Some("modbus")),
        3,
        50,
        1,
    );
    assert_eq!(mutes.suppress(&read[0]), None);
}

#[test]
fn the_rules_are_the_contract_ids_with_known_techniques() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.dedup();
    assert_eq!(
        ids,
        vec![
            "policy.new_device",
            "policy.new_edge",
            "policy.new_protocol",
            "policy.new_command",
            "policy.register_range",
            "policy.firmware_change",
            "policy.model_change",
            "policy.new_identity",
            "policy.internet_connectivity",
            "policy.unauthorized_group_source",
        ]
    );
    for rule in RULES {
        for t in rule.techniques {
            assert!(crate::technique::name(t).is_some(), "{t} of {}", rule.id);
        }
    }
}

/// A change to the baseline between records, before the record at its index.
type BaselineEdit<'e> = (usize, &'e dyn Fn(&mut Baseline));

/// Learn `records` on their flows, one engine for all (its per-flow memo in play) or a fresh
/// engine per record (no memo), into one baseline each; each edit runs before the record
/// at its index.
fn learn_each(
    records: &[(FlowContext, Record<'_>)],
    edits: &[BaselineEdit<'_>],
    fresh: bool,
) -> Baseline {
    let mut rig = Rig::new();
    for (i, (ctx, r)) in records.iter().enumerate() {
        for (_, edit) in edits.iter().filter(|(at, _)| *at == i) {
            edit(&mut lock(&rig.baseline));
        }
        if fresh {
            rig.engine = PolicyEngine::new(rig.baseline.clone());
        }
        assert!(rig.record(Mode::Learning, ctx, *r).is_empty());
    }
    lock(&rig.baseline).clone()
}

#[test]
fn a_flows_repeated_records_learn_what_records_learned_alone_do() {
    let read = modbus_fields(3, 0, 10);
    let write = modbus_fields(6, 4, 1);
    let mac = Mac([0, 1, 2, 3, 4, 5]);
    let unseen = flow(1, "10.0.0.5", "10.0.0.10", 502, Some("modbus"));
    let poll = FlowContext {
        client_mac: Some(mac),
        ..unseen
    };
    let turned = FlowContext {
        client: poll.server,
        server: poll.client,
        server_mac: Some(mac),
        ..unseen
    };
    let dnp3 = Record {
        protocol: "dnp3",
        kind: "transaction",
        direction: None,
        activity: Some(Activity::Read),
        fields: Fields(&[("function_code", Value::U64(1))]),
    };
    let records = [
        (unseen, modbus_record(3, &read)),
        // The client's MAC shows up mid-flow; a link-layer device of it is learned (LLDP,
        // say) before record 3.
        (poll, modbus_record(3, &read)),
        (poll, modbus_record(3, &read)),
        // Another command, then another protocol, on the same flow.
        (poll, modbus_record(6, &write)),
        (poll, dnp3),
        (poll, modbus_record(3, &read)),
        // The flow turned around mid-stream: the sides swap roles.
        (turned, modbus_record(3, &read)),
        (poll, modbus_record(3, &read)),
        // The server is forgotten (an edit) before record 11.
        (poll, modbus_record(3, &read)),
        (poll, modbus_record(3, &read)),
        (poll, modbus_record(3, &read)),
        (poll, modbus_record(3, &read)),
        (poll, modbus_record(3, &read)),
    ];
    let server = Peer::Ip(ip("10.0.0.10"));
    let link_layer = |b: &mut Baseline| {
        b.learn_device(Peer::Mac(mac), None, Timestamp(1));
    };
    let forget = |b: &mut Baseline| {
        b.unlearn_device(&server);
    };
    let edits: [BaselineEdit<'_>; 2] = [(3, &link_layer), (11, &forget)];
    for n in 0..records.len() {
        let (memo, alone) = (
            learn_each(&records[..n], &edits, false),
            learn_each(&records[..n], &edits, true),
        );
        assert_eq!(memo, alone, "after {n} records");
    }
    let memo = learn_each(&records, &edits, false);
    assert_eq!(memo, learn_each(&records, &edits, true));
    assert!(
        memo.device(&Peer::Mac(mac)).is_none(),
        "the link-layer device is absorbed by the IP device that has its MAC"
    );
    let d = memo.device(&server).expect("server learned again");
    assert!(
        d.has_role("modbus", "server"),
        "role learned after forgetting"
    );
    let e = memo
        .edge(Peer::Ip(ip("10.0.0.5")), server)
        .expect("edge learned again");
    assert_eq!(e.protocols, vec!["modbus".to_string()]);
    assert_eq!(e.commands.len(), 1);
    let before = learn_each(&records[..8], &[], false);
    let e = before.edge(Peer::Ip(ip("10.0.0.5")), server).expect("edge");
    assert_eq!(e.protocols, vec!["dnp3".to_string(), "modbus".to_string()]);
    let fc = |function| Command::Modbus {
        unit: 1,
        function,
        sub: None,
    };
    assert_eq!(e.commands[&fc(3)].usage.count, 5);
    assert_eq!(e.commands[&fc(6)].usage.count, 1);
    let client = before.device(&Peer::Ip(ip("10.0.0.5"))).expect("client");
    assert!(client.has_role("modbus", "client") && client.has_role("modbus", "server"));
    assert!(client.has_role("dnp3", "master"));
    assert_eq!(client.mac, Some(mac));
}

#[test]
fn an_industrial_record_late_in_a_flow_makes_its_devices_industrial() {
    let mut rig = learned();
    let web = flow(4, "10.0.0.20", "10.0.0.21", 80, Some("http"));
    rig.show(Mode::Learning, &Observation::FlowStart(&web));
    rig.show(Mode::Learning, &Observation::FlowEnd(&end(web, true)));
    let record = |protocol| Record {
        protocol,
        kind: "request",
        direction: None,
        activity: None,
        fields: Fields(&[]),
    };
    let mixed = flow(6, "10.0.0.20", "10.0.0.21", 80, Some("http"));
    rig.record(Mode::Monitoring, &mixed, record("http"));
    rig.record(Mode::Monitoring, &mixed, record("http"));
    // The flow's memo has seen it speak only HTTP so far.
    rig.record(Mode::Monitoring, &mixed, record("modbus"));
    let call_home = flow(7, "10.0.0.20", "52.1.2.3", 443, None);
    let drafts = rig.show(Mode::Monitoring, &Observation::FlowStart(&call_home));
    assert_eq!(rule_ids(&drafts), vec!["policy.internet_connectivity"]);
}
