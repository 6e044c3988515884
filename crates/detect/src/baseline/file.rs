//! The baseline on disk: a JSON document with a format name and version, a revision
//! counter, the learned devices and edges, the mutes and a history of edits.
//!
//! Saving writes a temporary file beside the target and renames it over, so a crash or a
//! full disk never leaves half a baseline; loading names the path, line and column of what
//! it could not read. The portable export is the same document without the local history.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rampart_event::Timestamp;
use serde::{Deserialize, Serialize};

use super::{
    Baseline, Command, Device, Edge, EdgeKey, MAX_COMMANDS_PER_EDGE, MAX_DEVICES, MAX_EDGES, Peer,
    Span, TopicAction,
};

/// The `format` field of every baseline file.
pub const FORMAT: &str = "rampart-baseline";
/// The version of the layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Edits kept in the history; older ones are dropped first.
pub const MAX_HISTORY: usize = 10_000;

/// What a baseline file could not be.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read baseline {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the baseline's shape.
    #[error("{path}:{line}:{column}: not a valid baseline: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parsed but breaks a rule of the format.
    #[error("{path}: not a valid baseline: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The baseline could not be written; the previous file is untouched.
    #[error("cannot write baseline {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A muted alert: kept, not forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mute {
    /// The alert's rule, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why it is muted.
    pub note: String,
    /// When it was muted (RFC 3339, wall clock).
    pub time: String,
}

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `rampart analyze` learned traffic into the baseline.
    Analyze,
    /// An alert's deviation was folded in.
    Learn,
    /// An alert's deviation was taken out.
    Unlearn,
    /// An alert was muted.
    Mute,
    /// A mute was lifted.
    Unmute,
    /// A portable baseline was merged in.
    Import,
}

impl Action {
    /// The snake_case name, as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Analyze => "analyze",
            Action::Learn => "learn",
            Action::Unlearn => "unlearn",
            Action::Mute => "mute",
            Action::Unmute => "unmute",
            Action::Import => "import",
        }
    }
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    /// The revision the edit made.
    pub revision: u64,
    /// What it did.
    pub action: Action,
    /// The alert, for learn, unlearn, mute and unmute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The alert's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// When (RFC 3339, wall clock).
    pub time: String,
    /// The user's note, or what the edit was about (the imported file, the captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The document, as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    revision: u64,
    #[serde(default)]
    overflow: u64,
    devices: Vec<Device>,
    edges: Vec<Edge>,
    #[serde(default)]
    mutes: BTreeMap<String, Mute>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    history: Vec<Edit>,
}

/// The wall-clock time, as edits record it.
pub fn now() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    Timestamp(nanos).to_string()
}

impl Baseline {
    /// Parse a baseline document; `path` only names the source in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let doc: Document = serde_json::from_str(text).map_err(|e| BaselineError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| BaselineError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        check(&doc).map_err(invalid)?;
        let mut baseline = Baseline {
            revision: doc.revision,
            devices: doc.devices.into_iter().map(|d| (d.peer, d)).collect(),
            edges: doc
                .edges
                .into_iter()
                .map(|e| ((e.client, e.server), e))
                .collect(),
            mutes: doc.mutes,
            history: doc.history,
            overflow: doc.overflow,
            ..Baseline::default()
        };
        baseline.index_macs();
        Ok(baseline)
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::from_json(&text, path)
    }

    /// Read a baseline file, or start an empty baseline when there is none yet.
    pub fn load_or_new(path: &Path) -> Result<Baseline, BaselineError> {
        if path.exists() {
            Baseline::load(path)
        } else {
            Ok(Baseline::default())
        }
    }

    /// The document, pretty-printed, with the history.
    pub fn to_json(&self) -> String {
        self.document(true)
    }

    /// The portable document: the same without the local history.
    pub fn to_portable_json(&self) -> String {
        self.document(false)
    }

    fn document(&self, history: bool) -> String {
        let mut devices: Vec<Device> = self.devices.values().cloned().collect();
        devices.sort_by_key(|d| d.peer);
        let mut edges: Vec<Edge> = self.edges.values().cloned().collect();
        edges.sort_by_key(|e| (e.client, e.server));
        let doc = Document {
            format: FORMAT.to_string(),
            version: FORMAT_VERSION,
            revision: self.revision,
            overflow: self.overflow,
            devices,
            edges,
            mutes: self.mutes.clone(),
            history: if history {
                self.history.clone()
            } else {
                Vec::new()
            },
        };
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Make a new revision: bump the counter and record the edit.
    pub fn commit(
        &mut self,
        action: Action,
        alert: Option<String>,
        rule: Option<String>,
        note: Option<String>,
    ) {
        self.revision += 1;
        self.history.push(Edit {
            revision: self.revision,
            action,
            alert,
            rule,
            time: now(),
            note,
        });
        if self.history.len() > MAX_HISTORY {
            let excess = self.history.len() - MAX_HISTORY;
            self.history.drain(..excess);
        }
        self.changed = false;
    }

    /// Write the baseline to `path` through a temporary file renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        write_atomically(path, self.to_json().as_bytes())
    }

    /// Merge another baseline in (an import): devices, edges, commands, ranges, topics,
    /// identities and mutes are united, counts added. Returns how many entries were new.
    pub fn merge(&mut self, other: &Baseline) -> usize {
        let before = self.diff_count();
        for device in other.devices.values() {
            let time = Timestamp(device.first_seen_ns);
            if let Some(mine) = self.learn_device(device.peer, device.mac, time) {
                mine.absorb(device);
            }
        }
        for edge in other.edges.values() {
            let Some(mine) =
                self.learn_edge(edge.client, edge.server, Timestamp(edge.first_seen_ns))
            else {
                continue;
            };
            merge_edge(mine, edge);
        }
        for (id, mute) in &other.mutes {
            self.mutes.entry(id.clone()).or_insert_with(|| mute.clone());
        }
        self.overflow += other.overflow;
        self.diff_count().saturating_sub(before)
    }

    /// Entries in the baseline, for counting what a merge added.
    fn diff_count(&self) -> usize {
        let device_items: usize = self
            .devices
            .values()
            .map(|d| 1 + d.roles.len() + d.identity.values().map(Vec::len).sum::<usize>())
            .sum();
        let edge_items: usize = self
            .edges
            .values()
            .map(|e| {
                1 + e.protocols.len()
                    + e.services.len()
                    + e.commands
                        .values()
                        .map(|c| 1 + c.ranges.len())
                        .sum::<usize>()
                    + e.published.len()
                    + e.subscribed.len()
            })
            .sum();
        device_items + edge_items + self.mutes.len()
    }

    /// A readable summary: the counts, each device and each edge, the mutes, recent edits.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let commands: usize = self.edges.values().map(|e| e.commands.len()).sum();
        let _ = writeln!(
            out,
            "Baseline revision {} (format {FORMAT} {FORMAT_VERSION}): {} devices, {} edges, {commands} commands, {} mutes.",
            self.revision,
            self.devices.len(),
            self.edges.len(),
            self.mutes.len()
        );
        if self.overflow > 0 {
            let _ = writeln!(
                out,
                "Not learned because the baseline was full: {}.",
                self.overflow
            );
        }
        let mut devices: Vec<&Device> = self.devices.values().collect();
        devices.sort_by_key(|d| d.peer);
        if !devices.is_empty() {
            out.push_str("\nDevices:\n");
        }
        for d in devices {
            device_line(&mut out, d);
        }
        let mut edges: Vec<&Edge> = self.edges.values().collect();
        edges.sort_by_key(|e| (e.client, e.server));
        if !edges.is_empty() {
            out.push_str("\nEdges:\n");
        }
        for e in edges {
            edge_lines(&mut out, e);
        }
        if !self.mutes.is_empty() {
            out.push_str("\nMuted alerts:\n");
        }
        for (id, m) in &self.mutes {
            let _ = writeln!(
                out,
                "  {id} {}: {}",
                m.rule.as_deref().unwrap_or("-"),
                m.note
            );
        }
        if !self.history.is_empty() {
            out.push_str("\nRecent edits:\n");
        }
        for e in self.history.iter().rev().take(10) {
            let _ = writeln!(
                out,
                "  r{} {} {}{}{}",
                e.revision,
                e.time,
                e.action.as_str(),
                e.alert
                    .as_deref()
                    .map_or(String::new(), |a| format!(" {a}")),
                e.note
                    .as_deref()
                    .map_or(String::new(), |n| format!(": {n}"))
            );
        }
        out
    }
}

fn merge_edge(mine: &mut Edge, other: &Edge) {
    mine.first_seen_ns = mine.first_seen_ns.min(other.first_seen_ns);
    mine.last_seen_ns = mine.last_seen_ns.max(other.last_seen_ns);
    for s in &other.services {
        mine.learn_service(&s.transport, s.port);
    }
    for p in &other.protocols {
        mine.learn_protocol(p);
    }
    for (command, learned) in &other.commands {
        if !mine.commands.contains_key(command) && mine.commands.len() >= MAX_COMMANDS_PER_EDGE {
            continue;
        }
        let entry = mine
            .commands
            .entry(*command)
            .or_insert_with(|| super::Learned {
                command: *command,
                usage: super::Usage {
                    count: 0,
                    first_seen_ns: learned.usage.first_seen_ns,
                    last_seen_ns: learned.usage.last_seen_ns,
                    period_ns: None,
                },
                ranges: Vec::new(),
            });
        entry.usage.merge(&learned.usage);
        for &span in &learned.ranges {
            entry.learn_span(span);
        }
    }
    for action in [TopicAction::Publish, TopicAction::Subscribe] {
        for (name, topic) in other.topics(action) {
            let topics = mine.topics_mut(action);
            if let Some(t) = topics.get_mut(name) {
                t.usage.merge(&topic.usage);
            } else if topics.len() < super::MAX_TOPICS_PER_EDGE {
                topics.insert(name.clone(), topic.clone());
            }
        }
    }
    mine.volume.flows += other.volume.flows;
    for i in 0..2 {
        mine.volume.packets[i] += other.volume.packets[i];
        mine.volume.bytes[i] += other.volume.bytes[i];
    }
}

fn device_line(out: &mut String, d: &Device) {
    let _ = write!(out, "  {}", d.peer);
    if let Some(mac) = d.mac {
        let _ = write!(out, " ({mac})");
    }
    if !d.roles.is_empty() {
        let roles: Vec<String> = d
            .roles
            .iter()
            .map(|r| format!("{} {}", r.protocol, r.role))
            .collect();
        let _ = write!(out, " roles: {}", roles.join(", "));
    }
    for (attribute, values) in &d.identity {
        let _ = write!(out, "; {attribute}: {}", values.join(" | "));
    }
    out.push('\n');
}

fn edge_lines(out: &mut String, e: &Edge) {
    let services: Vec<String> = e
        .services
        .iter()
        .map(|s| format!("{}/{}", s.transport, s.port))
        .collect();
    let _ = writeln!(
        out,
        "  {} -> {} [{}] {} flows, {} packets, {} bytes{}",
        e.client,
        e.server,
        services.join(","),
        e.volume.flows,
        e.volume.packets[0] + e.volume.packets[1],
        e.volume.bytes[0] + e.volume.bytes[1],
        if e.protocols.is_empty() {
            String::new()
        } else {
            format!("; protocols: {}", e.protocols.join(", "))
        }
    );
    let mut commands: Vec<_> = e.commands.values().collect();
    commands.sort_by_key(|c| c.command);
    for c in commands {
        let _ = write!(out, "    {} x{}", c.command, c.usage.count);
        if let Some(p) = c.usage.period_ns {
            let _ = write!(out, " every {:.3} s", p as f64 / 1e9);
        }
        if !c.ranges.is_empty() {
            let ranges: Vec<String> = c.ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            let _ = write!(out, " addresses {}", ranges.join(","));
        }
        out.push('\n');
    }
    for action in [TopicAction::Publish, TopicAction::Subscribe] {
        let mut topics: Vec<_> = e.topics(action).values().collect();
        topics.sort_by(|a, b| a.topic.cmp(&b.topic));
        for t in topics {
            let _ = writeln!(
                out,
                "    mqtt {} {} x{}",
                action.as_str(),
                t.topic,
                t.usage.count
            );
        }
    }
}

/// Rules of the format beyond its shape.
fn check(doc: &Document) -> Result<(), String> {
    if doc.format != FORMAT {
        return Err(format!("format is {:?}, expected {FORMAT:?}", doc.format));
    }
    if doc.version != FORMAT_VERSION {
        return Err(format!(
            "format version {} is not the version this build reads ({FORMAT_VERSION})",
            doc.version
        ));
    }
    if doc.devices.len() > MAX_DEVICES || doc.edges.len() > MAX_EDGES {
        return Err(format!(
            "{} devices and {} edges exceed the bounds ({MAX_DEVICES}, {MAX_EDGES})",
            doc.devices.len(),
            doc.edges.len()
        ));
    }
    let mut peers = BTreeSet::new();
    for d in &doc.devices {
        if !d.peer.is_device() {
            return Err(format!("device {} is not a device address", d.peer));
        }
        if !peers.insert(d.peer) {
            return Err(format!("device {} is listed twice", d.peer));
        }
    }
    let mut keys = BTreeSet::new();
    for e in &doc.edges {
        if e.client == Peer::Internet && e.server == Peer::Internet {
            return Err("an edge cannot join the internet to itself".to_string());
        }
        if !keys.insert((e.client, e.server)) {
            return Err(format!("edge {} -> {} is listed twice", e.client, e.server));
        }
        if e.commands.len() > MAX_COMMANDS_PER_EDGE {
            return Err(format!(
                "edge {} -> {} has more than {MAX_COMMANDS_PER_EDGE} commands",
                e.client, e.server
            ));
        }
        for c in e.commands.values() {
            if c.ranges.iter().any(|(a, b)| a > b) {
                return Err(format!(
                    "edge {} -> {}: {} has a range that ends before it starts",
                    e.client, e.server, c.command
                ));
            }
        }
    }
    for id in doc.mutes.keys() {
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("mute {id:?} is not an alert id (16 hex digits)"));
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through `<path>.tmp`, synced and renamed over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BaselineError> {
    let err = |source| BaselineError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

/// One difference between two baselines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A device.
    Device {
        /// The device.
        device: Peer,
    },
    /// A role of a device.
    Role {
        /// The device.
        device: Peer,
        /// The protocol.
        protocol: String,
        /// The role.
        role: String,
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
    /// An edge.
    Edge {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
    },
    /// A transport and port of an edge.
    Service {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// Transport.
        transport: String,
        /// Server port.
        port: u16,
    },
    /// A protocol of an edge.
    Protocol {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// The protocol.
        protocol: String,
    },
    /// A command of an edge.
    Command {
        /// Client side.
        client: Peer,
        /// Server side.
        server: Peer,
        /// The command.
        command: Command,
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
    /// An MQTT topic of an edge.
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
    /// A mute.
    Mute {
        /// The alert id.
        alert: String,
        /// The note.
        note: String,
    },
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Item::Device { device } => write!(f, "device {device}"),
            Item::Role {
                device,
                protocol,
                role,
            } => write!(f, "role {device} {protocol} {role}"),
            Item::Identity {
                device,
                attribute,
                value,
            } => write!(f, "identity {device} {attribute} {value:?}"),
            Item::Edge { client, server } => write!(f, "edge {client} -> {server}"),
            Item::Service {
                client,
                server,
                transport,
                port,
            } => write!(f, "service {client} -> {server} {transport}/{port}"),
            Item::Protocol {
                client,
                server,
                protocol,
            } => {
                write!(f, "protocol {client} -> {server} {protocol}")
            }
            Item::Command {
                client,
                server,
                command,
            } => {
                write!(f, "command {client} -> {server} {command}")
            }
            Item::Range {
                client,
                server,
                command,
                range,
            } => write!(
                f,
                "range {client} -> {server} {command} addresses {}-{}",
                range.0, range.1
            ),
            Item::Topic {
                client,
                server,
                action,
                topic,
            } => write!(
                f,
                "topic {client} -> {server} mqtt {} {topic}",
                action.as_str()
            ),
            Item::Mute { alert, note } => write!(f, "mute {alert}: {note}"),
        }
    }
}

/// What changed from one baseline to another. A device or edge added or removed is one item;
/// its contents are compared only when both sides have it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Diff {
    /// In the second, not the first.
    pub added: Vec<Item>,
    /// In the first, not the second.
    pub removed: Vec<Item>,
}

impl Diff {
    /// Compare `a` (before) with `b` (after).
    pub fn between(a: &Baseline, b: &Baseline) -> Diff {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let older = items(a);
        let newer = items(b);
        for item in newer.difference(&older) {
            added.push(item.clone());
        }
        for item in older.difference(&newer) {
            removed.push(item.clone());
        }
        let (a_devices, b_devices) = (devices_of(a), devices_of(b));
        let (a_edges, b_edges) = (edges_of(a), edges_of(b));
        // Contents of a device or edge that only one side has are not listed.
        let keep = |item: &Item| match item {
            Item::Role { device, .. } | Item::Identity { device, .. } => {
                a_devices.contains(device) && b_devices.contains(device)
            }
            Item::Service { client, server, .. }
            | Item::Protocol { client, server, .. }
            | Item::Command { client, server, .. }
            | Item::Range { client, server, .. }
            | Item::Topic { client, server, .. } => {
                a_edges.contains(&(*client, *server)) && b_edges.contains(&(*client, *server))
            }
            _ => true,
        };
        added.retain(keep);
        removed.retain(keep);
        Diff { added, removed }
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// One line per change: `+ edge …`, `- command …`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.added {
            let _ = writeln!(out, "+ {item}");
        }
        for item in &self.removed {
            let _ = writeln!(out, "- {item}");
        }
        if self.is_empty() {
            out.push_str("No differences.\n");
        }
        out
    }
}

fn devices_of(b: &Baseline) -> BTreeSet<Peer> {
    b.devices.keys().copied().collect()
}

fn edges_of(b: &Baseline) -> BTreeSet<EdgeKey> {
    b.edges.keys().copied().collect()
}

fn items(b: &Baseline) -> BTreeSet<Item> {
    let mut set = BTreeSet::new();
    for d in b.devices.values() {
        set.insert(Item::Device { device: d.peer });
        for r in &d.roles {
            set.insert(Item::Role {
                device: d.peer,
                protocol: r.protocol.clone(),
                role: r.role.clone(),
            });
        }
        for (attribute, values) in &d.identity {
            for value in values {
                set.insert(Item::Identity {
                    device: d.peer,
                    attribute: attribute.clone(),
                    value: value.clone(),
                });
            }
        }
    }
    for e in b.edges.values() {
        let (client, server) = (e.client, e.server);
        set.insert(Item::Edge { client, server });
        for s in &e.services {
            set.insert(Item::Service {
                client,
                server,
                transport: s.transport.clone(),
                port: s.port,
            });
        }
        for p in &e.protocols {
            set.insert(Item::Protocol {
                client,
                server,
                protocol: p.clone(),
            });
        }
        for c in e.commands.values() {
            set.insert(Item::Command {
                client,
                server,
                command: c.command,
            });
            for &range in &c.ranges {
                set.insert(Item::Range {
                    client,
                    server,
                    command: c.command,
                    range,
                });
            }
        }
        for action in [TopicAction::Publish, TopicAction::Subscribe] {
            for t in e.topics(action).values() {
                set.insert(Item::Topic {
                    client,
                    server,
                    action,
                    topic: t.topic.clone(),
                });
            }
        }
    }
    for (alert, m) in &b.mutes {
        set.insert(Item::Mute {
            alert: alert.clone(),
            note: m.note.clone(),
        });
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Peer {
        Peer::Ip(s.parse().expect("ip"))
    }

    fn sample() -> Baseline {
        let mut b = Baseline::default();
        let t = Timestamp::from_parts(1_600_000_000, 0);
        b.learn_device(
            ip("10.0.0.5"),
            Some(rampart_event::Mac([0, 0x1b, 0x1b, 0, 0, 5])),
            t,
        )
        .expect("room")
        .learn_role("modbus", "client");
        b.learn_device(ip("10.0.0.10"), None, t)
            .expect("room")
            .learn_identity("firmware", "V3.2");
        let e = b
            .learn_edge(ip("10.0.0.5"), ip("10.0.0.10"), t)
            .expect("room");
        e.learn_service("tcp", 502);
        e.learn_protocol("modbus");
        e.learn_command(
            Command::Modbus {
                unit: 1,
                function: 3,
                sub: None,
            },
            [Some((0, 9)), None],
            t,
        );
        e.learn_topic(TopicAction::Publish, "plant/a", t);
        b
    }

    #[test]
    fn a_saved_baseline_loads_back_equal() {
        let mut b = sample();
        b.commit(Action::Analyze, None, None, Some("capture.pcap".into()));
        let text = b.to_json();
        let back = Baseline::from_json(&text, Path::new("b.json")).expect("loads");
        assert_eq!(back.revision, 1);
        assert_eq!(back.devices, b.devices);
        assert_eq!(back.edges, b.edges);
        assert_eq!(back.history, b.history);
        assert_eq!(
            back.resolve(None, Some(rampart_event::Mac([0, 0x1b, 0x1b, 0, 0, 5]))),
            Some(ip("10.0.0.5"))
        );
        assert!(text.contains("\"format\": \"rampart-baseline\""));
        assert!(!b.to_portable_json().contains("\"history\""));
    }

    #[test]
    fn parse_errors_name_the_line_and_column() {
        let err = Baseline::from_json(
            "{\n  \"format\": \"rampart-baseline\",\n  \"version\": 1,\n  \"revision\": x\n}",
            Path::new("b.json"),
        )
        .expect_err("bad json");
        let text = err.to_string();
        assert!(text.starts_with("b.json:4:"), "{text}");
        let err = Baseline::from_json(
            r#"{"format":"rampart-baseline","version":9,"revision":0,"devices":[],"edges":[]}"#,
            Path::new("b.json"),
        )
        .expect_err("future version");
        assert!(err.to_string().contains("format version 9"), "{err}");
        let err = Baseline::from_json(
            r#"{"format":"rampart-baseline","version":1,"revision":0,"devices":[],"edges":[],"mutes":{"xyz":{"note":"n","time":"t"}}}"#,
            Path::new("b.json"),
        )
        .expect_err("bad mute id");
        assert!(err.to_string().contains("16 hex digits"), "{err}");
        let err = Baseline::from_json(
            r#"{"format":"rampart-baseline","version":1,"revision":0,"devices":[{"peer":"10.0.0.1","first_seen_ns":0,"last_seen_ns":0,"colour":"red"}],"edges":[]}"#,
            Path::new("b.json"),
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn saving_replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("rampart-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("b.json");
        std::fs::write(&path, "old").expect("write");
        sample().save(&path).expect("saves");
        assert!(Baseline::load(&path).is_ok());
        assert!(!dir.join("b.json.tmp").exists());
        let missing = dir.join("no-such-dir").join("b.json");
        assert!(matches!(
            sample().save(&missing),
            Err(BaselineError::Write { .. })
        ));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn diff_lists_what_was_added_and_removed() {
        let a = sample();
        let mut b = sample();
        let e = b.edge_mut(ip("10.0.0.5"), ip("10.0.0.10")).expect("edge");
        e.learn_command(
            Command::Modbus {
                unit: 1,
                function: 6,
                sub: None,
            },
            [Some((4, 4)), None],
            Timestamp(1),
        );
        e.protocols.clear();
        b.learn_edge(ip("10.0.0.6"), ip("10.0.0.10"), Timestamp(1));
        let d = Diff::between(&a, &b);
        let text = d.render();
        assert_eq!(
            text,
            "+ edge 10.0.0.6 -> 10.0.0.10\n\
             + command 10.0.0.5 -> 10.0.0.10 modbus unit 1 function 6\n\
             + range 10.0.0.5 -> 10.0.0.10 modbus unit 1 function 6 addresses 4-4\n\
             - protocol 10.0.0.5 -> 10.0.0.10 modbus\n"
        );
        assert!(Diff::between(&a, &a).is_empty());
    }

    #[test]
    fn merging_unites_and_adds_counts() {
        let mut a = sample();
        let mut b = sample();
        b.learn_device(ip("10.0.0.99"), None, Timestamp(5));
        b.mutes.insert(
            "00000000000000ff".into(),
            Mute {
                rule: None,
                note: "n".into(),
                time: "t".into(),
            },
        );
        let new = a.merge(&b);
        assert_eq!(new, 2);
        let e = a.edge(ip("10.0.0.5"), ip("10.0.0.10")).expect("edge");
        let c = e
            .commands
            .get(&Command::Modbus {
                unit: 1,
                function: 3,
                sub: None,
            })
            .expect("command");
        assert_eq!(c.usage.count, 2);
        assert_eq!(e.published["plant/a"].usage.count, 2);
    }
}
