//! The shared vocabulary of Rampart.
//!
//! Dissectors speak in [`Event`]s; inventory, detection, storage and outputs listen and know
//! nothing of parsers. Events *borrow* (from the packet or from the dissector's own buffers)
//! and are handed synchronously to an [`EventSink`], so a dissector that reports a message
//! allocates nothing: a consumer that wants to keep an event copies what it needs.
//!
//! Protocol details travel as self-describing field lists ([`Record`]) rather than one Rust
//! type per protocol message. That is what Zeek logs and Suricata EVE records are, it lets
//! detection rules and the JSON outputs address any field by name, and a WebAssembly plugin
//! can produce the very same thing. The alternative, a closed enum of typed messages in this
//! crate, would couple every consumer to every protocol.

#![forbid(unsafe_code)]

use std::fmt;
use std::mem::ManuallyDrop;
use std::net::IpAddr;

pub mod json;
mod origin;

pub use origin::{FlowContext, FrameContext, Origin, subject_address};

use arrayvec::ArrayVec;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Version of the on-disk record schema (JSON Lines, SQLite). Bump it with every change to
/// a record's shape; `docs/schema.md` documents each version.
pub const SCHEMA_VERSION: u32 = 3;

/// A point in time: nanoseconds since the Unix epoch, as captures record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Build a timestamp from whole seconds and nanoseconds.
    pub fn from_parts(secs: u64, nanos: u32) -> Timestamp {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(u64::from(nanos)),
        )
    }

    /// Return the whole seconds.
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// Return the nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        (self.0 % 1_000_000_000) as u32
    }

    /// Return the nanoseconds from `earlier` to `self` (zero if `earlier` is later).
    pub fn nanos_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Return the time `nanos` later.
    pub fn plus_nanos(self, nanos: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(nanos))
    }

    /// The RFC 3339 text of [`Display`](fmt::Display), built in place: outputs write a
    /// timestamp per record, and the formatting machinery cost more than the rest of a
    /// record's JSON. A `u64` of nanoseconds ends in the year 2554, so the year has four
    /// digits.
    pub fn rfc3339(self) -> [u8; 27] {
        let secs = self.secs();
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (y, m, d) = civil_from_days(days);
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        put_digits(&mut text[0..4], y);
        put_digits(&mut text[5..7], m);
        put_digits(&mut text[8..10], d);
        put_digits(&mut text[11..13], rem / 3600);
        put_digits(&mut text[14..16], rem % 3600 / 60);
        put_digits(&mut text[17..19], rem % 60);
        put_digits(&mut text[20..26], u64::from(self.subsec_nanos() / 1000));
        text
    }
}

/// Write the low `out.len()` decimal digits of `n` into `out`, zero-padded.
fn put_digits(out: &mut [u8], mut n: u64) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

impl fmt::Display for Timestamp {
    /// Write RFC 3339 UTC with microseconds (`2004-12-05T19:16:24.317453Z`), as ECS `@timestamp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.rfc3339()).unwrap_or_default())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(std::str::from_utf8(&self.rfc3339()).unwrap_or_default())
    }
}

/// Convert days since 1970-01-01 to a (year, month, day) civil date (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Which way a message travelled, relative to the side that opened the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From the client (initiator, master, requester) to the server.
    ToServer,
    /// From the server (responder, outstation, slave) to the client.
    ToClient,
}

impl Direction {
    /// Name the direction the way the records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ToServer => "request",
            Direction::ToClient => "response",
        }
    }

    /// Return the index of the direction in per-direction arrays: 0 to the server, 1 to the
    /// client.
    pub fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }

    /// Return the side that sends in this direction.
    pub fn sender(self) -> Subject {
        match self {
            Direction::ToServer => Subject::Client,
            Direction::ToClient => Subject::Server,
        }
    }

    /// Return the other direction.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

impl Serialize for Direction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A MAC address, printed the usual way (`00:1b:1b:0a:0b:0c`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Mac(pub [u8; 6]);

/// Hashed as one number: the derived `Hash` of a byte array feeds the hasher a length and
/// then the bytes, two rounds of mixing for a key that inventories and counters probe for
/// every frame.
impl std::hash::Hash for Mac {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.to_u64());
    }
}

impl Mac {
    /// The all-ones broadcast address.
    pub const BROADCAST: Mac = Mac([0xff; 6]);

    /// Tell whether this is a group (broadcast or multicast) address.
    pub fn is_group(self) -> bool {
        self.0[0] & 1 == 1
    }

    /// Tell whether the address is locally administered (often randomised by phones and VMs).
    pub fn is_local(self) -> bool {
        self.0[0] & 2 == 2
    }

    /// Return the organisationally unique identifier (first three bytes).
    pub fn oui(self) -> [u8; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }

    /// The address as a 48-bit number, first byte highest: a prefix of any length is a
    /// shift away, and a hasher takes it in one round.
    pub fn to_u64(self) -> u64 {
        let [a, b, c, d, e, f] = self.0;
        u64::from_be_bytes([0, 0, a, b, c, d, e, f])
    }

    /// Read a MAC from the first six bytes of `bytes`, if there are six.
    pub fn from_slice(bytes: &[u8]) -> Option<Mac> {
        bytes.get(..6)?.try_into().ok().map(Mac)
    }
}

impl Mac {
    /// The text of [`Display`](fmt::Display): `00:1b:1b:01:02:03`.
    fn text(self) -> [u8; 17] {
        let mut text = [b':'; 17];
        for (i, &byte) in self.0.iter().enumerate() {
            text[3 * i..3 * i + 2].copy_from_slice(&hex_pair(byte));
        }
        text
    }
}

impl fmt::Display for Mac {
    /// Write the address through one `write_str`: device keys and records print MACs often,
    /// and six formatted hex numbers cost ten times as much.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.text()).unwrap_or_default())
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One field value of a [`Record`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Text (already decoded; invalid UTF-8 is replaced by the dissector).
    Str(&'a str),
    /// Raw bytes, written as lowercase hex.
    Bytes(&'a [u8]),
    /// An unsigned number.
    U64(u64),
    /// A signed number.
    I64(i64),
    /// A real number.
    F64(f64),
    /// A flag.
    Bool(bool),
    /// An IP address.
    Ip(IpAddr),
    /// A MAC address.
    Mac(Mac),
    /// A list of values.
    List(&'a [Value<'a>]),
    /// A list of texts.
    Strs(&'a [&'a str]),
    /// A list of numbers.
    U64s(&'a [u64]),
    /// A list of 16-bit code points (cipher suites, extensions, …).
    U16s(&'a [u16]),
    /// A list of texts kept as one string and the end offset of each item, so a dissector
    /// can reuse one buffer for a list of any length.
    Texts {
        /// The items, one after the other.
        text: &'a str,
        /// Where each item ends in `text`.
        ends: &'a [usize],
    },
    /// A nested group of fields, written as an object: a sub-protocol's header inside its
    /// carrier's record (Schneider UMAS inside Modbus function 90).
    Fields(Fields<'a>),
}

/// The items of a [`Value::Texts`].
fn split_texts<'a>(text: &'a str, ends: &'a [usize]) -> impl Iterator<Item = &'a str> {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let item = text.get(start..end).unwrap_or_default();
        start = end;
        item
    })
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Str(v) => s.serialize_str(v),
            Value::Bytes(v) => s.collect_str(&Hex(v)),
            Value::U64(v) => s.serialize_u64(v),
            Value::I64(v) => s.serialize_i64(v),
            Value::F64(v) => s.serialize_f64(v),
            Value::Bool(v) => s.serialize_bool(v),
            Value::Ip(v) => s.collect_str(&v),
            Value::Mac(v) => v.serialize(s),
            Value::List(v) => v.serialize(s),
            Value::Strs(v) => v.serialize(s),
            Value::U64s(v) => v.serialize(s),
            Value::U16s(v) => v.serialize(s),
            Value::Texts { text, ends } => s.collect_seq(split_texts(text, ends)),
            Value::Fields(v) => v.serialize(s),
        }
    }
}

/// The two lowercase hex digits of `byte`: MACs, [`Hex`] and JSON escapes all spell bytes
/// this way.
pub(crate) fn hex_pair(byte: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [
        DIGITS[usize::from(byte >> 4)],
        DIGITS[usize::from(byte & 0xf)],
    ]
}

/// Bytes displayed as lowercase hex without separators.
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    /// Encoded a chunk at a time: one `write_str` per 64 bytes rather than a formatted
    /// write per byte, since a JSON writer escapes what each write hands it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; 128];
        for chunk in self.0.chunks(64) {
            for (pair, &byte) in text.chunks_exact_mut(2).zip(chunk) {
                pair.copy_from_slice(&hex_pair(byte));
            }
            f.write_str(std::str::from_utf8(&text[..2 * chunk.len()]).unwrap_or_default())?;
        }
        Ok(())
    }
}

/// A bounded list of fields built on the stack: what a dissector fills for each message, so
/// that reporting one allocates nothing. Fields pushed past the capacity are dropped and
/// counted.
///
/// The slots are not initialised until pushed: a dissector builds one list per message, and
/// filling a few kilobytes of placeholders first cost as much as the fields themselves. The
/// list is never dropped (its items are `Copy` and own nothing), which is what lets it borrow
/// values declared after it.
#[derive(Debug, Clone)]
pub struct FieldList<'a, const N: usize> {
    items: ManuallyDrop<ArrayVec<(&'a str, Value<'a>), N>>,
    dropped: usize,
}

impl<'a, const N: usize> Default for FieldList<'a, N> {
    fn default() -> Self {
        FieldList {
            items: ManuallyDrop::new(ArrayVec::new()),
            dropped: 0,
        }
    }
}

impl<'a, const N: usize> FieldList<'a, N> {
    /// Add a field.
    pub fn push(&mut self, name: &'a str, value: Value<'a>) {
        if self.items.try_push((name, value)).is_err() {
            self.dropped += 1;
        }
    }

    /// Return the fields pushed so far.
    pub fn fields(&self) -> Fields<'_> {
        Fields(&self.items)
    }

    /// Return how many fields did not fit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

/// Named fields, serialised as a JSON object in the order given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fields<'a>(pub &'a [(&'a str, Value<'a>)]);

impl<'a> Fields<'a> {
    /// Look a field up by name.
    pub fn get(&self, name: &str) -> Option<Value<'a>> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A protocol message or transaction: what Zeek writes to `<proto>.log`.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The protocol (`dns`, `modbus`, …), as registered.
    pub protocol: &'a str,
    /// What kind of message (`query`, `request`, `client_hello`, …); documented per protocol.
    pub kind: &'a str,
    /// The direction of the message, or `None` for a paired request/response transaction.
    pub direction: Option<Direction>,
    /// What the message does to an industrial process or device, when it does something a
    /// detection rule or the inventory cares about; `None` for everything else.
    pub activity: Option<Activity>,
    /// The protocol's fields, named in Zeek ICSNPP / Suricata EVE vocabulary where they have one.
    pub fields: Fields<'a>,
}

/// What an industrial protocol message does, in one vocabulary across protocols, so that
/// detection ("first program download to this PLC") and classification ("this host downloads
/// programs: an engineering workstation") need not know every function code of every protocol.
/// Written as `action` in records (ECS `event.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Activity {
    /// Read process data (registers, points, tags, properties).
    Read,
    /// Write process data (registers, coils, tags, properties, set-points).
    Write,
    /// Operate an output or send a control command (DNP3 operate, IEC 104 commands).
    Command,
    /// Ask a device who it is (Modbus FC 43/14, ListIdentity, SZL, Who-Is, DCP Identify).
    Identify,
    /// Diagnostics and counters (Modbus FC 8, status reads).
    Diagnostics,
    /// Monitor variables or a program as it runs (UMAS monitor, S7 cyclic data).
    Monitor,
    /// Open, reserve or close an application session (S7 setup, UMAS reservation, OPC UA
    /// CreateSession, IEC 104 STARTDT).
    Session,
    /// Authenticate (DNP3 Secure Authentication, OPC UA ActivateSession, MQTT CONNECT).
    Authentication,
    /// Set or measure a device's clock.
    TimeSync,
    /// Transfer files to or from a device.
    FileTransfer,
    /// Send a program, a block or logic to a controller.
    ProgramDownload,
    /// Read a program, a block or logic out of a controller.
    ProgramUpload,
    /// Delete a program or block on a controller.
    ProgramDelete,
    /// Stop a controller or its application.
    PlcStop,
    /// Start (run) a controller or its application.
    PlcStart,
    /// Change a controller's operating mode otherwise (program/remote/test).
    ModeChange,
    /// Restart or reset a device (DNP3 cold/warm restart, BACnet ReinitializeDevice, CIP Reset).
    Restart,
    /// Send firmware to a device.
    FirmwareUpdate,
    /// Change a device's configuration: its name, address, communication settings.
    ConfigChange,
}

impl Activity {
    /// Every activity, in declaration order.
    pub const ALL: [Activity; 19] = [
        Activity::Read,
        Activity::Write,
        Activity::Command,
        Activity::Identify,
        Activity::Diagnostics,
        Activity::Monitor,
        Activity::Session,
        Activity::Authentication,
        Activity::TimeSync,
        Activity::FileTransfer,
        Activity::ProgramDownload,
        Activity::ProgramUpload,
        Activity::ProgramDelete,
        Activity::PlcStop,
        Activity::PlcStart,
        Activity::ModeChange,
        Activity::Restart,
        Activity::FirmwareUpdate,
        Activity::ConfigChange,
    ];

    /// Name the activity the way records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Read => "read",
            Activity::Write => "write",
            Activity::Command => "command",
            Activity::Identify => "identify",
            Activity::Diagnostics => "diagnostics",
            Activity::Monitor => "monitor",
            Activity::Session => "session",
            Activity::Authentication => "authentication",
            Activity::TimeSync => "time_sync",
            Activity::FileTransfer => "file_transfer",
            Activity::ProgramDownload => "program_download",
            Activity::ProgramUpload => "program_upload",
            Activity::ProgramDelete => "program_delete",
            Activity::PlcStop => "plc_stop",
            Activity::PlcStart => "plc_start",
            Activity::ModeChange => "mode_change",
            Activity::Restart => "restart",
            Activity::FirmwareUpdate => "firmware_update",
            Activity::ConfigChange => "config_change",
        }
    }

    /// Read an activity back from its record spelling.
    pub fn from_name(name: &str) -> Option<Activity> {
        Activity::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Tell whether this is engineering: it changes what a controller runs or how it is
    /// configured, the work of an engineering workstation rather than an operator's HMI.
    pub fn is_engineering(self) -> bool {
        matches!(
            self,
            Activity::ProgramDownload
                | Activity::ProgramUpload
                | Activity::ProgramDelete
                | Activity::PlcStop
                | Activity::PlcStart
                | Activity::ModeChange
                | Activity::FirmwareUpdate
                | Activity::ConfigChange
        )
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Activity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Who an observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The client side of the flow the event came from (the frame's sender for L2 frames).
    Client,
    /// The server side of the flow the event came from (the frame's destination for L2 frames).
    Server,
    /// A host named in the payload (an ARP sender, a DHCP client, an mDNS answer, …).
    Host {
        /// Its MAC address, when the payload gives one.
        mac: Option<Mac>,
        /// Its IP address, when the payload gives one.
        ip: Option<IpAddr>,
    },
}

/// What an [`Identity`] observation tells about a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribute {
    /// A host name (DHCP, DNS, mDNS, NBNS, LLDP system name, …).
    Hostname,
    /// The maker of the device or of its software.
    Vendor,
    /// A model or product name.
    Model,
    /// A firmware or software version.
    Firmware,
    /// A serial number.
    Serial,
    /// An operating system hint.
    Os,
    /// A device type hint (`router`, `switch`, `printer`, `phone`, `plc`, …).
    DeviceType,
    /// A software banner (HTTP Server / User-Agent, SSH banner, …).
    Software,
    /// A free-text system description (LLDP, CDP, SNMP sysDescr).
    Description,
    /// A DHCP parameter-request-list fingerprint (comma-separated option codes).
    DhcpFingerprint,
    /// A DHCP vendor class identifier.
    DhcpVendorClass,
    /// A management address a device advertises.
    ManagementAddress,
    /// The switch port a device is attached to, or advertises.
    Port,
    /// Advertised capabilities (LLDP/CDP).
    Capabilities,
    /// A TLS client fingerprint (JA4).
    TlsFingerprint,
    /// A vendor's product code or catalogue id (CIP product code, Modbus ProductCode).
    ProductCode,
    /// A hardware version or revision.
    HardwareVersion,
    /// An order number (Siemens MLFB `6ES7 315-2EH14-0AB0`, Rockwell catalogue number).
    OrderNumber,
    /// The operating mode of a controller (`run`, `stop`, `program`, `remote_run`, …), as last
    /// observed.
    PlcMode,
    /// A protocol role (`modbus server`, `dnp3 outstation`, `mqtt broker`, `goose publisher`).
    Role,
    /// Where the device says it is (BACnet location, SNMP sysLocation).
    Location,
}

impl Attribute {
    /// Every attribute, in declaration order.
    pub const ALL: [Attribute; 21] = [
        Attribute::Hostname,
        Attribute::Vendor,
        Attribute::Model,
        Attribute::Firmware,
        Attribute::Serial,
        Attribute::Os,
        Attribute::DeviceType,
        Attribute::Software,
        Attribute::Description,
        Attribute::DhcpFingerprint,
        Attribute::DhcpVendorClass,
        Attribute::ManagementAddress,
        Attribute::Port,
        Attribute::Capabilities,
        Attribute::TlsFingerprint,
        Attribute::ProductCode,
        Attribute::HardwareVersion,
        Attribute::OrderNumber,
        Attribute::PlcMode,
        Attribute::Role,
        Attribute::Location,
    ];

    /// Read an attribute back from its record spelling.
    pub fn from_name(name: &str) -> Option<Attribute> {
        Attribute::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Name the attribute the way records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::Hostname => "hostname",
            Attribute::Vendor => "vendor",
            Attribute::Model => "model",
            Attribute::Firmware => "firmware",
            Attribute::Serial => "serial",
            Attribute::Os => "os",
            Attribute::DeviceType => "device_type",
            Attribute::Software => "software",
            Attribute::Description => "description",
            Attribute::DhcpFingerprint => "dhcp_fingerprint",
            Attribute::DhcpVendorClass => "dhcp_vendor_class",
            Attribute::ManagementAddress => "management_address",
            Attribute::Port => "port",
            Attribute::Capabilities => "capabilities",
            Attribute::TlsFingerprint => "tls_fingerprint",
            Attribute::ProductCode => "product_code",
            Attribute::HardwareVersion => "hardware_version",
            Attribute::OrderNumber => "order_number",
            Attribute::PlcMode => "plc_mode",
            Attribute::Role => "role",
            Attribute::Location => "location",
        }
    }
}

impl Serialize for Attribute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How sure a dissector is of an observation, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Confidence(pub u8);

impl Confidence {
    /// The device said so itself, in a field meant for it (LLDP system name, ListIdentity).
    pub const STATED: Confidence = Confidence(90);
    /// Inferred from a strong signal (a DHCP vendor class, an SSH banner).
    pub const STRONG: Confidence = Confidence(70);
    /// Inferred from a weak signal (a User-Agent, a TTL).
    pub const WEAK: Confidence = Confidence(40);
}

/// "Device X has attribute Y with value Z", from a protocol.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// The protocol that revealed it.
    pub protocol: &'a str,
    /// Which device.
    pub subject: Subject,
    /// What about it.
    pub attribute: Attribute,
    /// The value, as seen.
    pub value: &'a str,
    /// How sure the dissector is.
    pub confidence: Confidence,
}

/// One module of a modular device (a CPU, a communication or I/O card in a rack), as a
/// protocol describes it: S7 SZL module identification, a CIP identity reached through a
/// backplane route. Empty strings are fields the protocol did not give.
#[derive(Debug, Clone, Copy)]
pub struct Module<'a> {
    /// The protocol that revealed it.
    pub protocol: &'a str,
    /// Which device holds the module.
    pub subject: Subject,
    /// The rack, when the protocol says.
    pub rack: Option<u16>,
    /// The slot in the rack, when the protocol says.
    pub slot: Option<u16>,
    /// What kind of module (`cpu`, `communication`, `io`, …), or empty.
    pub kind: &'a str,
    /// Model or product name.
    pub model: &'a str,
    /// Order number.
    pub order_number: &'a str,
    /// Firmware version.
    pub firmware: &'a str,
    /// Hardware version.
    pub hardware: &'a str,
    /// Serial number.
    pub serial: &'a str,
}

/// Something parsable but wrong, or not parsable at all: a counted, reportable protocol anomaly.
#[derive(Clone, Copy)]
pub struct Anomaly<'a> {
    /// The protocol (or layer: `pcap`, `ipv4`, `tcp`) that found it.
    pub protocol: &'a str,
    /// A stable, snake_case reason code (`bad_length`, `reserved_function_code`, …).
    pub code: &'a str,
    /// Byte offset of the offending field within the message or stream chunk, when known.
    pub offset: Option<usize>,
    /// A human-readable explanation naming the field and the values.
    pub detail: &'a dyn fmt::Display,
}

impl fmt::Debug for Anomaly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Anomaly")
            .field("protocol", &self.protocol)
            .field("code", &self.code)
            .field("offset", &self.offset)
            .field("detail", &format_args!("{}", self.detail))
            .finish()
    }
}

/// What kind of security finding a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// A user name and password (or community string) crossed the network in cleartext.
    CleartextCredential,
    /// TLS or SSH with an obsolete version or weak parameters.
    WeakCrypto,
}

impl FindingKind {
    /// Name the finding kind the way records spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::CleartextCredential => "cleartext_credential",
            FindingKind::WeakCrypto => "weak_crypto",
        }
    }
}

impl Serialize for FindingKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A security-relevant fact about a device, reported whenever it is seen.
#[derive(Debug, Clone, Copy)]
pub struct Finding<'a> {
    /// The protocol it was seen in.
    pub protocol: &'a str,
    /// What kind of finding.
    pub kind: FindingKind,
    /// The device the finding is about (for credentials: the server that accepts them).
    pub subject: Subject,
    /// Evidence (user name, mechanism, version, …). Passwords are never included.
    pub fields: Fields<'a>,
}

/// One thing a dissector says.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A protocol message or transaction.
    Record(Record<'a>),
    /// An identity observation about a device.
    Identity(Identity<'a>),
    /// A protocol anomaly.
    Anomaly(Anomaly<'a>),
    /// A security finding.
    Finding(Finding<'a>),
    /// A module of a modular device.
    Module(Module<'a>),
}

impl Event<'_> {
    /// Return the protocol that said it.
    pub fn protocol(&self) -> &str {
        match self {
            Event::Record(r) => r.protocol,
            Event::Identity(i) => i.protocol,
            Event::Anomaly(a) => a.protocol,
            Event::Finding(f) => f.protocol,
            Event::Module(m) => m.protocol,
        }
    }
}

/// Where events go. The engine implements it and adds the flow context (addresses, time).
pub trait EventSink {
    /// Take one event; copy what must outlive the call.
    fn emit(&mut self, event: Event<'_>);
}

/// A sink that keeps a printable copy of every event: for tests and golden files.
#[derive(Debug, Default)]
pub struct CollectingSink {
    /// One line per event, in the order received.
    pub lines: Vec<String>,
}

impl CollectingSink {
    /// Return the lines that start with `prefix` (e.g. `"record dns query"`).
    pub fn matching(&self, prefix: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| l.starts_with(prefix))
            .map(String::as_str)
            .collect()
    }

    /// Count the anomalies with the given reason code.
    pub fn anomalies(&self, code: &str) -> usize {
        let needle = format!(" {code} ");
        self.lines
            .iter()
            .filter(|l| l.starts_with("anomaly ") && l.contains(&needle))
            .count()
    }
}

impl EventSink for CollectingSink {
    fn emit(&mut self, event: Event<'_>) {
        self.lines.push(describe(&event));
    }
}

/// Render an event on one line: `record <proto> <kind> <dir> <json fields>`,
/// `identity <proto> <subject> <attribute> <value>`, `anomaly <proto> <code> @<offset> <detail>`,
/// `finding <proto> <kind> <subject> <json fields>`,
/// `module <proto> <subject> rack=<r> slot=<s> kind=… model=… order=… fw=… hw=… serial=…`.
/// A record with an activity names it after the direction: `record modbus write_single_register
/// request [write] {…}`.
pub fn describe(event: &Event<'_>) -> String {
    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_else(|e| format!("<unserialisable: {e}>"))
    }
    match event {
        Event::Record(r) => format!(
            "record {} {} {} {}{}",
            r.protocol,
            r.kind,
            r.direction.map_or("transaction", Direction::as_str),
            r.activity.map_or(String::new(), |a| format!("[{a}] ")),
            json(&r.fields)
        ),
        Event::Identity(i) => format!(
            "identity {} {:?} {} {}",
            i.protocol,
            i.subject,
            i.attribute.as_str(),
            i.value
        ),
        Event::Anomaly(a) => format!(
            "anomaly {} {} @{} {}",
            a.protocol,
            a.code,
            a.offset.map_or("-".to_string(), |o| o.to_string()),
            a.detail
        ),
        Event::Finding(f) => format!(
            "finding {} {} {:?} {}",
            f.protocol,
            f.kind.as_str(),
            f.subject,
            json(&f.fields)
        ),
        Event::Module(m) => format!(
            "module {} {:?} rack={} slot={} kind={} model={} order={} fw={} hw={} serial={}",
            m.protocol,
            m.subject,
            m.rack.map_or("-".to_string(), |r| r.to_string()),
            m.slot.map_or("-".to_string(), |s| s.to_string()),
            m.kind,
            m.model,
            m.order_number,
            m.firmware,
            m.hardware,
            m.serial
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_fields_in_order_with_typed_values() {
        let fields = [
            ("query", Value::Str("plc1.local")),
            ("qtype", Value::U64(1)),
            ("raw", Value::Bytes(&[0xde, 0xad])),
            ("answers", Value::Strs(&["10.0.0.1", "10.0.0.2"])),
            ("mac", Value::Mac(Mac([0, 0x1b, 0x1b, 1, 2, 3]))),
            (
                "umas",
                Value::Fields(Fields(&[("status", Value::U64(0xfe))])),
            ),
        ];
        let text = serde_json::to_string(&Fields(&fields)).expect("serialises");
        assert_eq!(
            text,
            r#"{"query":"plc1.local","qtype":1,"raw":"dead","answers":["10.0.0.1","10.0.0.2"],"mac":"00:1b:1b:01:02:03","umas":{"status":254}}"#
        );
    }

    #[test]
    fn formats_timestamps_as_rfc3339_utc() {
        let t = Timestamp::from_parts(1_102_274_184, 317_453_000);
        assert_eq!(t.to_string(), "2004-12-05T19:16:24.317453Z");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            Timestamp::from_parts(951_782_400, 0).to_string(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn timestamps_agree_with_formatted_writes_across_the_range() {
        let formatted = |t: Timestamp| {
            let secs = t.secs();
            let (days, rem) = (secs / 86_400, secs % 86_400);
            let (y, m, d) = civil_from_days(days);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
                rem / 3600,
                rem % 3600 / 60,
                rem % 60,
                t.subsec_nanos() / 1000
            )
        };
        let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
        let samples = (0..20_000).map(|_| {
            n ^= n << 13;
            n ^= n >> 7;
            n ^= n << 17;
            Timestamp(n)
        });
        for t in samples.chain([Timestamp(0), Timestamp(u64::MAX), Timestamp(999)]) {
            let text = formatted(t);
            assert_eq!(t.to_string(), text);
            assert_eq!(
                serde_json::to_string(&t).expect("serialises"),
                format!("\"{text}\"")
            );
        }
    }

    #[test]
    fn hex_is_lowercase_pairs_at_every_length() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=44).collect();
        for len in [0, 1, 2, 63, 64, 65, 127, 128, 129, 301] {
            let slice = &bytes[..len];
            let expected: String = slice.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(Hex(slice).to_string(), expected);
        }
    }

    #[test]
    fn field_lists_hold_their_capacity_and_count_the_rest() {
        let mut list: FieldList<'_, 2> = FieldList::default();
        list.push("a", Value::U64(1));
        list.push(
            "b",
            Value::Texts {
                text: "xyz",
                ends: &[1, 3],
            },
        );
        list.push("c", Value::U64(3));
        assert_eq!(list.dropped(), 1);
        let text = serde_json::to_string(&list.fields()).expect("serialises");
        assert_eq!(text, r#"{"a":1,"b":["x","yz"]}"#);
    }

    #[test]
    fn names_of_attributes_and_activities_read_back() {
        for a in Attribute::ALL {
            assert_eq!(Attribute::from_name(a.as_str()), Some(a));
        }
        for a in Activity::ALL {
            assert_eq!(Activity::from_name(a.as_str()), Some(a));
        }
        assert_eq!(Attribute::from_name("colour"), None);
    }

    #[test]
    fn reads_a_mac_as_a_48_bit_number_first_byte_highest() {
        let mac = Mac([0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c]);
        assert_eq!(mac.to_u64(), 0x001b_1b0a_0b0c);
        assert_eq!(Mac::BROADCAST.to_u64(), 0xffff_ffff_ffff);
    }

    #[test]
    fn recognises_group_and_local_macs() {
        assert!(Mac::BROADCAST.is_group());
        assert!(Mac([0x01, 0x00, 0x5e, 0, 0, 1]).is_group());
        assert!(!Mac([0x00, 0x1b, 0x1b, 0, 0, 1]).is_group());
        assert!(Mac([0x02, 0, 0, 0, 0, 1]).is_local());
    }

    #[test]
    fn collecting_sink_describes_anomalies_with_offset() {
        let mut sink = CollectingSink::default();
        sink.emit(Event::Anomaly(Anomaly {
            protocol: "dns",
            code: "bad_length",
            offset: Some(12),
            detail: &"rdlength 300 exceeds 20 remaining bytes",
        }));
        assert_eq!(sink.anomalies("bad_length"), 1);
        assert_eq!(
            sink.lines[0],
            "anomaly dns bad_length @12 rdlength 300 exceeds 20 remaining bytes"
        );
    }
}
