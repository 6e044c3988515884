//! The policy engine: deviations from the learned baseline.
//!
//! In learning mode it folds what it sees into the [`Baseline`]; in monitoring mode it only
//! reads it and raises what the baseline does not have, without learning it: an analyst
//! folds an alert in with `rampart baseline learn`. Repeats of a deviation are raised again
//! and the alert book counts them.
//!
//! One root cause, one alert: a new device hides the new edges it opens; a new edge hides
//! its new protocols; a new protocol on an edge hides its new commands; a new command hides
//! its address range. What counts as an edge: a conversation the server answered or that
//! carried a protocol message, so a scan's unanswered probes do not become edges (scans are
//! the anomaly engine's). Connections from a new device are raised at their first packet.
//!
//! Every alert's evidence carries what `rampart baseline learn` needs to fold it back: `edge`
//! (`client`, `server`), `device`, `protocol`, `command` (the baseline's key), `range`,
//! `attribute` and `value`.
//!
//! Bounds: per-flow notes of what was raised ([`MAX_FLOW_NOTES`], cleared when full, so a
//! long flow may raise a device or edge twice), devices seen speaking an industrial protocol
//! in this run ([`MAX_OT_SEEN`]), link-layer group sources raised in the current second
//! ([`MAX_FRAME_NOTES`]).

use crate::{FastMap as HashMap, FastSet as HashSet};
use std::net::IpAddr;

use arrayvec::ArrayString;
use rampart_event::{
    Attribute, Confidence, Event, FlowContext, FrameContext, Identity, Mac, Origin, Record,
    subject_address,
};
use serde_json::{Value, json};

use crate::alert::{AlertDraft, AlertId, Endpoint, EngineKind, Rule, Severity};
use crate::baseline::command::{self, Observed, changes_state};
use crate::baseline::{self, Baseline, BaselineHandle, OT_PROTOCOLS, Peer, role_names};
use crate::flow_slots::FlowSlots;
use crate::{Context, Detector, FlowEnd, Interest, Mode, Observation, Suppress};

/// Flows with notes of what was raised, at most.
pub const MAX_FLOW_NOTES: usize = 65_536;
/// Devices remembered as speaking an industrial protocol in this run, at most.
pub const MAX_OT_SEEN: usize = 65_536;
/// Link-layer group sources remembered for the once-a-second raise, at most.
pub const MAX_FRAME_NOTES: usize = 4096;
/// Flows with a [`FlowMemo`], by flow id modulo this (a cache: a flow that lost its slot
/// has its next record handled in full).
const MEMO_FLOWS: usize = 4096;

const REMEDIATE_DEVICE: &str = "Identify the device and its owner. If it is authorised, learn the alert into the baseline; otherwise isolate it and find how it got on the network.";

/// A device the baseline does not have.
pub static NEW_DEVICE: Rule = Rule {
    id: "policy.new_device",
    title: "New device",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0864"],
    remediation: REMEDIATE_DEVICE,
};

/// Two known devices talking for the first time.
pub static NEW_EDGE: Rule = Rule {
    id: "policy.new_edge",
    title: "New communication between devices",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Minor,
    techniques: &["T0886"],
    remediation: "Check that the client is meant to reach this server (a new HMI, a maintenance laptop). Learn the alert if so; otherwise block the connection.",
};

/// A protocol new on a known edge.
pub static NEW_PROTOCOL: Rule = Rule {
    id: "policy.new_protocol",
    title: "New protocol between devices",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0869"],
    remediation: "Find the application that spoke the protocol. Learn the alert if the change is planned; otherwise block the port between these devices.",
};

/// A command new on an edge that does not change state (a read, an identify).
pub static NEW_COMMAND: Rule = Rule {
    id: "policy.new_command",
    title: "New command between devices",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Minor,
    techniques: &["T0855"],
    remediation: "Confirm the client is meant to send this command (a new poll, a configuration change). Learn the alert if so.",
};

/// A command new on an edge that writes or otherwise changes state.
pub static NEW_WRITE_COMMAND: Rule = Rule {
    id: "policy.new_command",
    title: "New write command between devices",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0855", "T0836"],
    remediation: "A client wrote to or commanded the device in a way it never did before. Confirm with the process owner that the change was intended; if not, isolate the client and check the device's values and logic.",
};

/// A Modbus address outside the learned ranges of an edge, unit and function.
pub static REGISTER_RANGE: Rule = Rule {
    id: "policy.register_range",
    title: "Modbus address outside the learned range",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0836", "T0861"],
    remediation: "Check which registers the client touched and why. Learn the alert if the process map changed; otherwise treat it as tampering or reconnaissance.",
};

/// A device reporting another firmware version.
pub static FIRMWARE_CHANGE: Rule = Rule {
    id: "policy.firmware_change",
    title: "Firmware version changed",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0857", "T0839"],
    remediation: "Confirm a planned firmware update took place on this device. If none was planned, verify the firmware image and the device's integrity.",
};

/// A device reporting another model.
pub static MODEL_CHANGE: Rule = Rule {
    id: "policy.model_change",
    title: "Device model changed",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0849"],
    remediation: "A different model answers at this address: confirm the hardware was replaced on purpose, or look for a device impersonating it.",
};

/// A DHCP or LLDP identity the baseline does not have.
pub static NEW_IDENTITY: Rule = Rule {
    id: "policy.new_identity",
    title: "New DHCP or LLDP identity",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Minor,
    techniques: &["T0849"],
    remediation: "A device announced a host name, vendor class or switch port it never had. Confirm the change (renamed, moved, replaced) or look for an impostor.",
};

/// An industrial device talking to a public address.
pub static INTERNET_CONNECTIVITY: Rule = Rule {
    id: "policy.internet_connectivity",
    title: "Industrial device talking to the internet",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Major,
    techniques: &["T0883", "T0822"],
    remediation: "Industrial devices should not reach or be reached from the internet. Find the path (firewall rule, modem, cloud agent) and close it unless it is an approved remote service.",
};

/// A device sending to a broadcast or multicast group it never sent to.
pub static UNAUTHORIZED_GROUP_SOURCE: Rule = Rule {
    id: "policy.unauthorized_group_source",
    title: "New broadcast or multicast source",
    engine: EngineKind::Policy,
    category: "baseline",
    severity: Severity::Minor,
    techniques: &["T0848", "T0856"],
    remediation: "A device started sending to a group (GOOSE, BACnet broadcasts, discovery). Confirm it is a legitimate publisher; a rogue publisher can spoof process data.",
};

/// Every rule of the policy engine (`policy.new_command` twice: reads and writes differ in
/// severity and techniques).
pub static RULES: &[&Rule] = &[
    &NEW_DEVICE,
    &NEW_EDGE,
    &NEW_PROTOCOL,
    &NEW_COMMAND,
    &NEW_WRITE_COMMAND,
    &REGISTER_RANGE,
    &FIRMWARE_CHANGE,
    &MODEL_CHANGE,
    &NEW_IDENTITY,
    &INTERNET_CONNECTIVITY,
    &UNAUTHORIZED_GROUP_SOURCE,
];

/// Link-layer protocols whose group traffic is not a source worth a policy alert: ARP is the
/// anomaly engine's, LLDP and CDP sources are covered by identities.
const QUIET_FRAME_PROTOCOLS: &[&str] = &["arp", "lldp", "cdp"];

/// Protocols whose identities are a device's network identity (`policy.new_identity`).
const IDENTITY_PROTOCOLS: &[&str] = &["dhcp", "dhcpv6", "lldp", "cdp"];

/// What was already raised for a flow.
mod note {
    pub const CLIENT: u8 = 1;
    pub const SERVER: u8 = 2;
    pub const EDGE: u8 = 4;
    pub const PROTOCOL: u8 = 8;
}

/// What a flow's records showed the engine before, so its next records (a master polls
/// one protocol over one connection for hours) skip the work whose result cannot have
/// changed: classifying the addresses into the baseline's sides and, while learning,
/// checking that both devices play their roles in the protocol and the edge has it, and
/// claiming the devices' MACs; while monitoring, noting the addresses as industrial. The
/// devices, the edge and the commands are still learned in full, since their last-seen
/// times, MACs and counts move with every record.
#[derive(Debug, Clone, Copy)]
struct FlowMemo {
    /// The flow's addresses as its records saw them (a flow turned around mid-stream swaps
    /// its sides, and so its roles).
    addresses: (IpAddr, IpAddr),
    /// The flow's sides, as [`sides`] gives them for these addresses.
    sides: Option<(Peer, Peer)>,
    /// The protocol a record learned the roles and edge entry of, with the baseline's
    /// [`Baseline::forgets`] then: learning only adds, so they stay learned while that
    /// count does.
    learned: Option<(ProtocolName, u64)>,
    /// The client's and server's MACs a record learned the devices with, and the
    /// baseline's [`Baseline::mac_epoch`] then: claiming them again changes nothing while
    /// the epoch stands still.
    claimed: Option<(Option<Mac>, Option<Mac>, u64)>,
    /// Both addresses are noted as speaking an industrial protocol (the set only grows).
    ot_noted: bool,
}

impl FlowMemo {
    fn new(ctx: &FlowContext) -> FlowMemo {
        FlowMemo {
            addresses: (ctx.client.0, ctx.server.0),
            sides: sides(ctx),
            learned: None,
            claimed: None,
            ot_noted: false,
        }
    }

    /// The memo of `ctx`'s flow in `memos`, made afresh unless its addresses are the flow's.
    fn of<'m>(memos: &'m mut FlowSlots<FlowMemo>, ctx: &FlowContext) -> &'m mut FlowMemo {
        let addresses = (ctx.client.0, ctx.server.0);
        memos.get_or_insert(ctx.id, |m| m.addresses == addresses, || FlowMemo::new(ctx))
    }

    /// True when a record of `protocol` has its roles and edge entry learned, with
    /// `forgets` the baseline's count now.
    fn has_learned(&self, protocol: &str, forgets: u64) -> bool {
        self.learned
            .is_some_and(|(name, then)| then == forgets && name.as_str() == protocol)
    }

    /// True when `ctx`'s MACs were claimed for the flow's devices, with `mac_epoch` the
    /// baseline's epoch now.
    fn has_claimed(&self, ctx: &FlowContext, mac_epoch: u64) -> bool {
        self.claimed == Some((ctx.client_mac, ctx.server_mac, mac_epoch))
    }
}

/// What a [`FlowMemo`] says a record need not learn again.
#[derive(Debug, Clone, Copy)]
struct Known {
    /// The devices' roles in the record's protocol and the edge's protocol.
    roles: bool,
    /// The devices' claims of the flow's MACs.
    claims: bool,
}

/// A protocol name kept inline, so a flow's memo is `Copy` and allocates nothing; longer
/// names are not remembered.
type ProtocolName = ArrayString<16>;

/// The policy engine.
pub struct PolicyEngine {
    baseline: BaselineHandle,
    /// What the records of recent flows showed.
    memos: FlowSlots<FlowMemo>,
    flows: HashMap<u64, u8>,
    ot_seen: HashSet<IpAddr>,
    frames: HashMap<(Mac, Mac), u64>,
}

impl PolicyEngine {
    /// An engine that learns into and checks against `baseline`.
    pub fn new(baseline: BaselineHandle) -> PolicyEngine {
        PolicyEngine {
            baseline,
            memos: FlowSlots::new(MEMO_FLOWS),
            flows: HashMap::default(),
            ot_seen: HashSet::default(),
            frames: HashMap::default(),
        }
    }

    /// Raise once per flow: true the first time `flag` is asked for `flow`.
    fn first_in_flow(&mut self, flow: u64, flag: u8) -> bool {
        if self.flows.len() >= MAX_FLOW_NOTES && !self.flows.contains_key(&flow) {
            self.flows.clear();
        }
        let notes = self.flows.entry(flow).or_default();
        let first = *notes & flag == 0;
        *notes |= flag;
        first
    }

    fn note_ot(&mut self, ip: IpAddr) {
        if self.ot_seen.len() < MAX_OT_SEEN {
            self.ot_seen.insert(ip);
        }
    }

    fn is_ot(&self, b: &Baseline, peer: Peer) -> bool {
        b.device(&peer).is_some_and(|d| d.is_ot())
            || peer.ip().is_some_and(|ip| self.ot_seen.contains(&ip))
    }

    fn flow_start(&mut self, ctx: &FlowContext, cx: &mut Context<'_>) {
        let Some((client, server)) = sides(ctx) else {
            return;
        };
        let handle = self.baseline.clone();
        let mut b = baseline::lock(&handle);
        if cx.mode == Mode::Learning {
            // What monitoring checks at a flow's first packet is learned there too: the
            // client, and edges to groups and to the internet, answered or not.
            if server.is_group() || server == Peer::Internet {
                learn_sides(&mut b, ctx, client, server, cx);
            } else {
                b.learn_device(client, ctx.client_mac, cx.time);
            }
            return;
        }
        if client.is_device() && b.device(&client).is_none() {
            if self.first_in_flow(ctx.id, note::CLIENT) {
                cx.raise(new_device(ctx, client, true, cx));
            }
            return;
        }
        if server.is_group() {
            if b.edge(client, server).is_none() && self.first_in_flow(ctx.id, note::EDGE) {
                cx.raise(edge_draft(
                    &UNAUTHORIZED_GROUP_SOURCE,
                    ctx,
                    client,
                    server,
                    cx,
                    format!(
                        "{client} sent {} to the group address {server} for the first time.",
                        ctx.app.unwrap_or(ctx.transport)
                    ),
                ));
            }
            return;
        }
        if server == Peer::Internet && self.is_ot(&b, client) {
            self.check_edge(&b, ctx, client, server, cx);
        }
    }

    /// Raise for a conversation's unknown device or edge; true when the edge is known.
    fn check_edge(
        &mut self,
        b: &Baseline,
        ctx: &FlowContext,
        client: Peer,
        server: Peer,
        cx: &mut Context<'_>,
    ) -> bool {
        for (side, is_client, flag) in [(client, true, note::CLIENT), (server, false, note::SERVER)]
        {
            if side.is_device() && b.device(&side).is_none() {
                if self.first_in_flow(ctx.id, flag) {
                    cx.raise(new_device(ctx, side, is_client, cx));
                }
                return false;
            }
        }
        if b.edge(client, server).is_some() {
            return true;
        }
        if !self.first_in_flow(ctx.id, note::EDGE) {
            return false;
        }
        let local = if client == Peer::Internet {
            server
        } else {
            client
        };
        let draft =
            if (client == Peer::Internet || server == Peer::Internet) && self.is_ot(b, local) {
                let (way, other) = if client == Peer::Internet {
                    ("was reached from", ctx.client.0)
                } else {
                    ("reached", ctx.server.0)
                };
                edge_draft(
                    &INTERNET_CONNECTIVITY,
                    ctx,
                    client,
                    server,
                    cx,
                    format!(
                        "The industrial device {local} {way} the public address {other} ({}).",
                        ctx.app.unwrap_or(ctx.transport)
                    ),
                )
            } else {
                edge_draft(
                    &NEW_EDGE,
                    ctx,
                    client,
                    server,
                    cx,
                    format!(
                        "{} talked to {} ({} port {}) for the first time.",
                        ctx.client.0,
                        ctx.server.0,
                        ctx.app.unwrap_or(ctx.transport),
                        ctx.server.1
                    ),
                )
            };
        cx.raise(draft);
        false
    }

    fn flow_record(&mut self, ctx: &FlowContext, r: &Record<'_>, cx: &mut Context<'_>) {
        if cx.mode == Mode::Learning {
            self.learn_record(ctx, r, cx);
            return;
        }
        let memo = FlowMemo::of(&mut self.memos, ctx);
        let Some((client, server)) = memo.sides else {
            return;
        };
        // Noting the flow's addresses again would change nothing.
        let note = !memo.ot_noted && OT_PROTOCOLS.contains(&r.protocol);
        memo.ot_noted |= note;
        let handle = self.baseline.clone();
        let b = baseline::lock(&handle);
        if note {
            self.note_ot(ctx.client.0);
            self.note_ot(ctx.server.0);
        }
        if server.is_group() || !self.check_edge(&b, ctx, client, server, cx) {
            return;
        }
        let Some(edge) = b.edge(client, server) else {
            return;
        };
        if !edge.has_protocol(r.protocol) {
            if self.first_in_flow(ctx.id, note::PROTOCOL) {
                cx.raise(new_protocol(ctx, client, server, r.protocol, None, cx));
            }
            return;
        }
        command::observe(r, &mut |o| {
            check_command(edge, ctx, client, server, r, o, cx)
        });
    }

    /// Learn a record, skipping what the flow's memo makes certain.
    fn learn_record(&mut self, ctx: &FlowContext, r: &Record<'_>, cx: &Context<'_>) {
        // Learning needs nothing of `self` but the baseline and the memo: no handle to clone.
        let memo = FlowMemo::of(&mut self.memos, ctx);
        let Some((client, server)) = memo.sides else {
            return;
        };
        let mut b = baseline::lock(&self.baseline);
        let known = Known {
            roles: memo.has_learned(r.protocol, b.forgets()),
            claims: memo.has_claimed(ctx, b.mac_epoch()),
        };
        if !learn_record(&mut b, ctx, client, server, r, cx, known) {
            memo.claimed = None;
            return;
        }
        if !known.roles {
            memo.learned = ProtocolName::from(r.protocol)
                .ok()
                .map(|name| (name, b.forgets()));
        }
        memo.claimed = Some((ctx.client_mac, ctx.server_mac, b.mac_epoch()));
    }

    fn flow_end(&mut self, end: &FlowEnd, cx: &mut Context<'_>) {
        let ctx = &end.context;
        let Some((client, server)) = sides(ctx) else {
            self.flows.remove(&ctx.id);
            return;
        };
        let answered = end.packets[1] > 0 && end.conn_state != Some("REJ");
        let handle = self.baseline.clone();
        let mut b = baseline::lock(&handle);
        if cx.mode == Mode::Learning || server.is_group() || !answered {
            self.flows.remove(&ctx.id);
            if cx.mode == Mode::Learning && (answered || server.is_group()) {
                learn_flow(&mut b, end, client, server, cx);
            }
            return;
        }
        let known = self.check_edge(&b, ctx, client, server, cx);
        let notes = self.flows.remove(&ctx.id).unwrap_or(0);
        let Some(edge) = b.edge(client, server).filter(|_| known) else {
            return;
        };
        if notes & note::PROTOCOL != 0 {
            return;
        }
        match ctx.app {
            Some(app) if !edge.has_protocol(app) => {
                cx.raise(new_protocol(ctx, client, server, app, None, cx))
            }
            None if ctx.transport == "tcp" && !edge.has_service(ctx.transport, ctx.server.1) => cx
                .raise(new_protocol(
                    ctx,
                    client,
                    server,
                    ctx.transport,
                    Some(ctx.server.1),
                    cx,
                )),
            _ => {}
        }
    }

    fn frame_record(&mut self, frame: &FrameContext, r: &Record<'_>, cx: &mut Context<'_>) {
        if !frame.dst.is_group()
            || frame.src.is_group()
            || QUIET_FRAME_PROTOCOLS.contains(&r.protocol)
        {
            return;
        }
        let (source, group) = (Peer::Mac(frame.src), Peer::Mac(frame.dst));
        let handle = self.baseline.clone();
        let mut b = baseline::lock(&handle);
        if cx.mode == Mode::Learning {
            let (client_role, _) = role_names(r.protocol);
            if let Some(d) = b.learn_device(source, None, cx.time)
                && !d.learn_role(r.protocol, client_role)
            {
                b.refused();
            }
            if let Some(e) = b.learn_edge(source, group, cx.time)
                && !e.learn_protocol(r.protocol)
            {
                b.refused();
            }
            return;
        }
        if b.edge(source, group).is_some() {
            return;
        }
        let second = cx.time.secs();
        if self.frames.get(&(frame.src, frame.dst)) == Some(&second) {
            return;
        }
        if self.frames.len() >= MAX_FRAME_NOTES {
            self.frames.clear();
        }
        self.frames.insert((frame.src, frame.dst), second);
        let mac = |m: Mac| Endpoint {
            mac: Some(m),
            ..Endpoint::default()
        };
        cx.raise(
            AlertDraft::new(
                &UNAUTHORIZED_GROUP_SOURCE,
                cx.time,
                format!(
                    "{} sent {} to the group address {} for the first time.",
                    frame.src, r.protocol, frame.dst
                ),
            )
            .between(Some(mac(frame.src)), Some(mac(frame.dst)))
            .protocol(r.protocol)
            .evidence("edge", edge_json(source, group))
            .evidence("kind", r.kind)
            .evidence("vlan", frame.vlan),
        );
    }

    fn identity(&mut self, origin: &Origin, i: &Identity<'_>, cx: &mut Context<'_>) {
        let tracked = matches!(i.attribute, Attribute::Firmware | Attribute::Model)
            && i.confidence >= Confidence::STRONG;
        let network = IDENTITY_PROTOCOLS.contains(&i.protocol)
            && matches!(
                i.attribute,
                Attribute::Hostname | Attribute::DhcpVendorClass | Attribute::Port
            );
        let plc_mode = i.attribute == Attribute::PlcMode;
        if !(tracked || network || plc_mode) || i.value.is_empty() {
            return;
        }
        let (ip, mac) = subject_address(origin, i.subject);
        let handle = self.baseline.clone();
        let mut b = baseline::lock(&handle);
        let Some(peer) = b.resolve(ip, mac).filter(Peer::is_device) else {
            return;
        };
        let attribute = i.attribute.as_str();
        if cx.mode == Mode::Learning {
            if let Some(d) = b.learn_device(peer, mac, cx.time)
                && !d.learn_identity(attribute, i.value)
            {
                b.refused();
            }
            return;
        }
        if plc_mode || b.identity_known(peer, mac, attribute, i.value) {
            return;
        }
        let learned: Vec<&String> = [Some(peer), mac.map(Peer::Mac)]
            .into_iter()
            .flatten()
            .filter_map(|p| b.device(&p))
            .flat_map(|d| d.identity(attribute))
            .collect();
        let (rule, description) = match i.attribute {
            Attribute::Firmware | Attribute::Model if learned.is_empty() => return,
            Attribute::Firmware => (
                &FIRMWARE_CHANGE,
                format!(
                    "{peer} reports firmware {:?} ({}); the baseline has {}.",
                    i.value,
                    i.protocol,
                    joined(&learned)
                ),
            ),
            Attribute::Model => (
                &MODEL_CHANGE,
                format!(
                    "{peer} reports model {:?} ({}); the baseline has {}.",
                    i.value,
                    i.protocol,
                    joined(&learned)
                ),
            ),
            _ => (
                &NEW_IDENTITY,
                format!(
                    "{peer} announced {attribute} {:?} over {} for the first time.",
                    i.value, i.protocol
                ),
            ),
        };
        // An IP device is named by its IP alone, so the alert id does not depend on whether
        // this observation carried its MAC.
        let side = Endpoint {
            ip: peer.ip(),
            mac: if peer.ip().is_some() { None } else { mac },
            port: None,
        };
        let flow = match origin {
            Origin::Flow(c) => Some(c.id),
            _ => None,
        };
        let discriminator = if rule.id == NEW_IDENTITY.id {
            format!("{attribute}={}", i.value)
        } else {
            i.value.to_string()
        };
        cx.raise(
            AlertDraft::new(rule, cx.time, description)
                .between(Some(side), None)
                .protocol(i.protocol)
                .discriminator(discriminator)
                .evidence("device", peer.to_string())
                .evidence("attribute", attribute)
                .evidence("value", i.value)
                .evidence(
                    "learned",
                    learned
                        .iter()
                        .map(|v| Value::from(v.as_str()))
                        .collect::<Vec<_>>(),
                )
                .flow(flow),
        );
    }
}

impl Detector for PolicyEngine {
    fn interest(&self) -> Interest {
        Interest::FLOW_STARTS
            .and(Interest::FLOW_ENDS)
            .and(Interest::RECORDS)
            .and(Interest::IDENTITIES)
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        match observation {
            Observation::FlowStart(ctx) => self.flow_start(ctx, cx),
            Observation::FlowEnd(end) => self.flow_end(end, cx),
            Observation::Event { origin, event } => match (event, origin) {
                (Event::Record(r), Origin::Flow(ctx)) => self.flow_record(ctx, r, cx),
                (Event::Record(r), Origin::Frame(frame)) => self.frame_record(frame, r, cx),
                (Event::Identity(i), _) => self.identity(origin, i, cx),
                _ => {}
            },
        }
    }
}

/// The two sides of a flow as the baseline keys them; `None` when one has no address or
/// both are public (transit traffic says nothing about the plant).
fn sides(ctx: &FlowContext) -> Option<(Peer, Peer)> {
    let client = Peer::of_ip(ctx.client.0)?;
    let server = Peer::of_ip(ctx.server.0)?;
    (client != Peer::Internet || server != Peer::Internet).then_some((client, server))
}

fn joined(values: &[&String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    quoted.join(", ")
}

/// Learn the devices at both ends of a flow and the edge between them.
fn learn_sides<'b>(
    b: &'b mut Baseline,
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    cx: &Context<'_>,
) -> Option<&'b mut baseline::Edge> {
    b.learn_device(client, ctx.client_mac, cx.time);
    b.learn_device(server, ctx.server_mac, cx.time);
    if !b
        .learn_edge(client, server, cx.time)?
        .learn_service(ctx.transport, ctx.server.1)
    {
        b.refused();
    }
    b.edge_mut(client, server)
}

/// Learn a record's devices, edge and commands, skipping what `known` says is learned. True
/// when the devices (with their roles) and the edge (with the protocol) are learned now.
fn learn_record(
    b: &mut Baseline,
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    r: &Record<'_>,
    cx: &Context<'_>,
    known: Known,
) -> bool {
    let (client_role, server_role) = if known.roles {
        ("", "")
    } else {
        role_names(r.protocol)
    };
    let mut refused = 0;
    // Sides that are no device have no role to learn; a device the full baseline refused has.
    let mut unlearned = false;
    // A flow from an address to itself learns the one device with the client's MAC.
    let server_mac = if server == client {
        ctx.client_mac
    } else {
        ctx.server_mac
    };
    // Called once per side rather than looped over an array of the two: the array's copies
    // cost more than the learning itself.
    let mut learn_device = |b: &mut Baseline, side: Peer, mac: Option<Mac>, role: &str| match b
        .learn_device_claimed(side, mac, cx.time, known.claims)
    {
        Some(d) => {
            if !known.roles && !d.learn_role(r.protocol, role) {
                refused += 1;
            }
        }
        None => unlearned |= side.is_device(),
    };
    learn_device(b, client, ctx.client_mac, client_role);
    learn_device(b, server, server_mac, server_role);
    let edge = b.learn_edge(client, server, cx.time);
    unlearned |= edge.is_none();
    if let Some(edge) = edge {
        if !known.roles && !edge.learn_protocol(r.protocol) {
            refused += 1;
        }
        // Commands refused by a full edge do not make the roles and protocol less certain.
        unlearned |= refused > 0;
        let time = cx.time;
        command::observe(r, &mut |o| {
            let room = match o {
                Observed::Code { command, spans } => edge.learn_command(command, spans, time),
                Observed::Topic { action, topic } => edge.learn_topic(action, topic, time),
            };
            if !room {
                refused += 1;
            }
        });
    }
    for _ in 0..refused {
        b.refused();
    }
    !unlearned
}

fn learn_flow(b: &mut Baseline, end: &FlowEnd, client: Peer, server: Peer, cx: &Context<'_>) {
    let ctx = &end.context;
    let Some(edge) = learn_sides(b, ctx, client, server, cx) else {
        return;
    };
    let full = ctx.app.is_some_and(|app| !edge.learn_protocol(app));
    edge.volume.flows += 1;
    for i in 0..2 {
        edge.volume.packets[i] += end.packets[i];
        edge.volume.bytes[i] += end.bytes[i];
    }
    if full {
        b.refused();
    }
}

fn endpoint(ip: IpAddr, port: u16) -> Endpoint {
    Endpoint {
        ip: Some(ip),
        mac: None,
        port: Some(port),
    }
}

/// The two sides of a flow as alert endpoints, by IP and port only: a flow's MACs are not
/// known at its first packet and are later, and the alert id must not change with that.
/// The MACs go in the evidence.
fn ends(ctx: &FlowContext) -> (Endpoint, Endpoint) {
    (
        endpoint(ctx.client.0, ctx.client.1),
        endpoint(ctx.server.0, ctx.server.1),
    )
}

/// Add the flow's MACs, when known, to the evidence.
fn with_macs(mut draft: AlertDraft, ctx: &FlowContext) -> AlertDraft {
    for (name, mac) in [
        ("client_mac", ctx.client_mac),
        ("server_mac", ctx.server_mac),
    ] {
        if let Some(m) = mac {
            draft = draft.evidence(name, m.to_string());
        }
    }
    draft
}

fn edge_json(client: Peer, server: Peer) -> Value {
    json!({"client": client.to_string(), "server": server.to_string()})
}

fn new_device(ctx: &FlowContext, device: Peer, is_client: bool, cx: &Context<'_>) -> AlertDraft {
    let (client, server) = ends(ctx);
    let (side, peer, way) = if is_client {
        (client, ctx.server.0, "to")
    } else {
        (server, ctx.client.0, "from")
    };
    with_macs(
        AlertDraft::new(
            &NEW_DEVICE,
            cx.time,
            format!(
                "{device} is not in the baseline; first seen with {} {way} {peer}.",
                ctx.app.unwrap_or(ctx.transport)
            ),
        )
        .between(Some(side), None)
        .protocol(ctx.app.unwrap_or(ctx.transport))
        .evidence("device", device.to_string())
        .evidence("peer", peer.to_string())
        .evidence("transport", ctx.transport)
        .evidence("port", ctx.server.1)
        .flow(Some(ctx.id)),
        ctx,
    )
}

fn edge_draft(
    rule: &'static Rule,
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    cx: &Context<'_>,
    description: String,
) -> AlertDraft {
    let (c, s) = ends(ctx);
    with_macs(
        AlertDraft::new(rule, cx.time, description)
            .between(Some(c), Some(s))
            .protocol(ctx.app.unwrap_or(ctx.transport))
            .evidence("edge", edge_json(client, server))
            .evidence("transport", ctx.transport)
            .evidence("port", ctx.server.1)
            .flow(Some(ctx.id)),
        ctx,
    )
}

fn new_protocol(
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    protocol: &str,
    port: Option<u16>,
    cx: &Context<'_>,
) -> AlertDraft {
    let (c, s) = ends(ctx);
    let name = match port {
        Some(p) => format!("{protocol}/{p}"),
        None => protocol.to_string(),
    };
    let mut draft = AlertDraft::new(
        &NEW_PROTOCOL,
        cx.time,
        format!(
            "{} spoke {name} to {} for the first time.",
            ctx.client.0, ctx.server.0
        ),
    )
    .between(Some(c), Some(s))
    .protocol(protocol)
    .discriminator(name)
    .evidence("edge", edge_json(client, server))
    .flow(Some(ctx.id));
    draft = match port {
        Some(p) => draft.evidence("transport", protocol).evidence("port", p),
        None => draft.evidence("protocol", protocol),
    };
    with_macs(draft, ctx)
}

fn check_command(
    edge: &baseline::Edge,
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    r: &Record<'_>,
    observed: Observed<'_>,
    cx: &mut Context<'_>,
) {
    match observed {
        Observed::Code { command, spans } => match edge.commands.get(&command) {
            None => {
                let ranges: Vec<Value> = spans
                    .iter()
                    .flatten()
                    .map(|&(a, b)| json!([a, b]))
                    .collect();
                let draft = command_draft(
                    ctx,
                    client,
                    server,
                    r,
                    command.to_string(),
                    serde_json::to_value(command).unwrap_or_default(),
                    cx,
                )
                .evidence("ranges", ranges);
                cx.raise(draft);
            }
            Some(learned) if !learned.ranges.is_empty() => {
                for span in spans.into_iter().flatten().filter(|&s| !learned.covers(s)) {
                    cx.raise(range_draft(ctx, client, server, r, learned, span, cx));
                }
            }
            Some(_) => {}
        },
        Observed::Topic { action, topic } => {
            if !edge.topics(action).contains_key(topic) {
                let key = json!({"protocol": "mqtt", "action": action.as_str(), "topic": topic});
                cx.raise(command_draft(
                    ctx,
                    client,
                    server,
                    r,
                    format!("mqtt {} {topic}", action.as_str()),
                    key,
                    cx,
                ));
            }
        }
    }
}

fn command_draft(
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    r: &Record<'_>,
    name: String,
    key: Value,
    cx: &Context<'_>,
) -> AlertDraft {
    let writes = changes_state(r.activity);
    let rule = if writes {
        &NEW_WRITE_COMMAND
    } else {
        &NEW_COMMAND
    };
    let (c, s) = ends(ctx);
    let action = r.activity.map_or("", |a| a.as_str());
    with_macs(
        AlertDraft::new(
            rule,
            cx.time,
            format!(
                "{} sent {name} ({}{}{}) to {} for the first time.",
                ctx.client.0,
                r.kind,
                if action.is_empty() { "" } else { ", " },
                action,
                ctx.server.0
            ),
        )
        .between(Some(c), Some(s))
        .protocol(r.protocol)
        .discriminator(name)
        .evidence("edge", edge_json(client, server))
        .evidence("command", key)
        .evidence("kind", r.kind)
        .evidence("action", action)
        .flow(Some(ctx.id)),
        ctx,
    )
}

fn range_draft(
    ctx: &FlowContext,
    client: Peer,
    server: Peer,
    r: &Record<'_>,
    learned: &baseline::Learned,
    span: command::Span,
    cx: &Context<'_>,
) -> AlertDraft {
    let (c, s) = ends(ctx);
    let ranges: Vec<String> = learned
        .ranges
        .iter()
        .map(|(a, b)| format!("{a}-{b}"))
        .collect();
    with_macs(
        AlertDraft::new(
            &REGISTER_RANGE,
            cx.time,
            format!(
                "{} used {} on addresses {}-{} of {}; the baseline has {}.",
                ctx.client.0,
                learned.command,
                span.0,
                span.1,
                ctx.server.0,
                ranges.join(", ")
            ),
        )
        .between(Some(c), Some(s))
        .protocol(r.protocol)
        .discriminator(format!(
            "{} addresses {}-{}",
            learned.command, span.0, span.1
        ))
        .evidence("edge", edge_json(client, server))
        .evidence(
            "command",
            serde_json::to_value(learned.command).unwrap_or_default(),
        )
        .evidence("range", json!([span.0, span.1]))
        .evidence(
            "learned_ranges",
            learned
                .ranges
                .iter()
                .map(|&(a, b)| json!([a, b]))
                .collect::<Vec<_>>(),
        )
        .evidence("kind", r.kind)
        .flow(Some(ctx.id)),
        ctx,
    )
}

/// Mutes from the baseline file, applied to every engine's alerts at analysis time.
#[derive(Debug, Clone, Default)]
pub struct Mutes {
    notes: HashMap<AlertId, String>,
}

impl Mutes {
    /// The mutes of a baseline (ids that do not parse were refused when it was loaded).
    pub fn of(baseline: &Baseline) -> Mutes {
        Mutes {
            notes: baseline
                .mutes
                .iter()
                .filter_map(|(id, m)| Some((id.parse().ok()?, m.note.clone())))
                .collect(),
        }
    }
}

impl Suppress for Mutes {
    fn suppress(&self, draft: &AlertDraft) -> Option<String> {
        if self.notes.is_empty() {
            return None;
        }
        self.notes
            .get(&draft.alert_id())
            .map(|note| format!("muted in the baseline: {note}"))
    }
}

#[cfg(test)]
mod tests;
