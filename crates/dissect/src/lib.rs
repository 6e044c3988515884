//! The dissector seam: the one contract every protocol parser, built in or plugged in, meets.
//!
//! A protocol is a [`Registration`] (name, transports, port hints, a pure content probe and a
//! constructor) plus a per-flow [`Dissector`] that is fed in-order bytes per direction and
//! says what it found through an [`EventSink`]. Link-layer protocols without flows (ARP,
//! LLDP, CDP, Profinet DCP) are a [`FrameRegistration`]: a pure function of one frame.
//!
//! The engine, not the dissector, owns buffering of unconsumed bytes, reassembly depth,
//! memory caps and gap handling; a dissector only parses. That keeps each protocol module
//! small, pure and fuzzable, and it is the same contract a WebAssembly plugin implements.
//! The rejected alternative, dissectors that pull from a stream object, hides buffering in
//! every protocol and makes bounded memory a per-protocol promise instead of one guarantee.

#![forbid(unsafe_code)]

mod session;

pub use session::Session;

pub use rampart_event::{
    Activity, Anomaly, Attribute, Confidence, Direction, Event, EventSink, FieldList, Fields,
    Finding, FindingKind, Identity, Mac, Module, Record, Subject, Value,
};

/// The transport a flow dissector runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A reassembled TCP byte stream per direction.
    Tcp,
    /// UDP datagrams, one [`Dissector::feed`] call each.
    Udp,
}

/// What a probe thinks of the first bytes of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Probe {
    /// These bytes are not this protocol.
    NotForUs,
    /// Nothing against it yet, but the signature comes later in the stream: the bytes so far
    /// are a handshake several protocols share (a COTP connection request on port 102 opens
    /// S7comm, S7comm-plus and MMS alike). The engine waits for more bytes before it decides,
    /// and falls back to the port's owner if the signature never comes.
    NeedMore,
    /// Plausible but not proven (too few bytes, or a weak signature): a port hint decides.
    Unsure,
    /// A signature matched: this is the protocol, whatever the port.
    Certain,
}

/// Limits the engine enforces for one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes per direction after which the engine stops feeding the flow; `None` is unlimited
    /// (the default for OT protocols, whose sessions last for months).
    pub depth: Option<u64>,
    /// The largest message the dissector may leave unconsumed; past it the engine drops the
    /// buffer, reports an anomaly and signals a gap.
    pub max_message: usize,
    /// Outstanding request/response transactions a dissector keeps per flow before it reports
    /// and forgets the oldest.
    pub max_transactions: usize,
}

impl Limits {
    /// Limits for a long-lived industrial protocol: unlimited depth.
    pub const OT: Limits = Limits {
        depth: None,
        max_message: 64 * 1024,
        max_transactions: 256,
    };
    /// Limits for an IT protocol whose interesting part is at the start of a session.
    pub const IT: Limits = Limits {
        depth: Some(1024 * 1024),
        max_message: 64 * 1024,
        max_transactions: 256,
    };
}

/// How a dissector answers one [`Dissector::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// The first `n` bytes were used; the rest is an incomplete message that the engine keeps
    /// and offers again, with whatever follows, on the next call.
    Consumed(usize),
    /// No message boundary can be found in these bytes: the engine discards them, counts the
    /// loss and keeps feeding; the dissector resynchronises on what comes next.
    LostSync,
    /// Nothing further in this flow is of interest (e.g. TLS after the handshake): the engine
    /// stops reassembling it, which saves work on bulk transfers.
    Done,
}

/// Per-flow parsing state of one protocol.
pub trait Dissector: Send {
    /// Parse `data` travelling in `dir`: for TCP the in-order bytes not consumed yet, for UDP
    /// one datagram. Must never panic, loop forever or allocate in proportion to a length
    /// field it has not checked against `data.len()`.
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed;

    /// Learn that `len` bytes in `dir` were lost (capture drop, reassembly cap, buffer cap):
    /// the next bytes fed start at an unknown position within the protocol.
    fn gap(&mut self, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        let _ = (dir, len, sink);
    }

    /// Learn that the flow ended: report what is still pending (unanswered requests, …).
    fn close(&mut self, sink: &mut dyn EventSink) {
        let _ = sink;
    }
}

/// A flow protocol, as the engine knows it.
#[derive(Clone, Copy)]
pub struct Registration {
    /// The protocol name used in records and on the command line (`dns`, `modbus`).
    pub name: &'static str,
    /// The transports it runs on.
    pub transports: &'static [Transport],
    /// Well-known server ports: a hint for [`Probe::Unsure`] content and for orientation, never
    /// a requirement.
    pub ports: &'static [u16],
    /// Look at the first bytes seen in a direction and say whether they are this protocol.
    /// Pure, cheap, and total on any input.
    pub probe: fn(Direction, &[u8]) -> Probe,
    /// Create the per-flow state for a flow on `Transport` (protocols that run on both, such
    /// as DNS, frame their messages differently on each).
    pub new: fn(Transport) -> Box<dyn Dissector>,
    /// Limits the engine enforces.
    pub limits: Limits,
}

impl Registration {
    /// Tell whether the protocol runs on `transport`.
    pub fn runs_on(&self, transport: Transport) -> bool {
        self.transports.contains(&transport)
    }

    /// Tell whether `port` is one of the protocol's well-known ports.
    pub fn claims_port(&self, port: u16) -> bool {
        self.ports.contains(&port)
    }
}

/// A flow protocol as the engine drives it: a built-in [`Registration`], or a protocol loaded
/// at run time (a WebAssembly plugin) whose probe and constructor need state a `fn` pointer
/// cannot carry. The engine and [`Session`] know protocols only through this trait, so both
/// kinds are probed, fed, bounded and counted alike.
pub trait FlowProtocol: Send + Sync {
    /// The protocol name used in records.
    fn name(&self) -> &'static str;
    /// The transports it runs on.
    fn transports(&self) -> &[Transport];
    /// Its well-known server ports.
    fn ports(&self) -> &[u16];
    /// Say whether the first bytes seen in a direction are this protocol. Total on any input.
    fn probe(&self, dir: Direction, data: &[u8]) -> Probe;
    /// Create the per-flow state for a flow on `transport`.
    fn start(&self, transport: Transport) -> Box<dyn Dissector>;
    /// The limits the engine enforces.
    fn limits(&self) -> Limits;
    /// Counters of a protocol loaded at run time, for the run summary; `None` for built-ins.
    fn plugin_report(&self) -> Option<PluginReport> {
        None
    }

    /// Tell whether the protocol runs on `transport`.
    fn runs_on(&self, transport: Transport) -> bool {
        self.transports().contains(&transport)
    }

    /// Tell whether `port` is one of the protocol's well-known ports.
    fn claims_port(&self, port: u16) -> bool {
        self.ports().contains(&port)
    }
}

impl FlowProtocol for Registration {
    fn name(&self) -> &'static str {
        self.name
    }

    fn transports(&self) -> &[Transport] {
        self.transports
    }

    fn ports(&self) -> &[u16] {
        self.ports
    }

    fn probe(&self, dir: Direction, data: &[u8]) -> Probe {
        (self.probe)(dir, data)
    }

    fn start(&self, transport: Transport) -> Box<dyn Dissector> {
        (self.new)(transport)
    }

    fn limits(&self) -> Limits {
        self.limits
    }
}

/// What a protocol loaded at run time did during a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PluginReport {
    /// The protocol name.
    pub name: String,
    /// The plugin's own version, from its manifest.
    pub version: String,
    /// Where it was loaded from.
    pub source: String,
    /// Flows it was started on.
    pub flows: u64,
    /// Chunks (stream deliveries or datagrams) it was fed.
    pub packets: u64,
    /// Bytes it was fed.
    pub bytes: u64,
    /// Records it emitted.
    pub records: u64,
    /// Anomalies it reported on its input (malformed packets).
    pub anomalies: u64,
    /// Calls that failed: traps, fuel or memory exhausted, broken host calls.
    pub errors: u64,
    /// Why it was disabled, if it was.
    pub disabled: Option<String>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("transports", &self.transports)
            .field("ports", &self.ports)
            .finish()
    }
}

/// One link-layer frame handed to a [`FrameRegistration`].
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Source MAC.
    pub src: Mac,
    /// Destination MAC.
    pub dst: Mac,
    /// The innermost 802.1Q VLAN id, if tagged.
    pub vlan: Option<u16>,
    /// The payload after the EtherType (or after the LLC/SNAP header for [`FrameMatch::Snap`]).
    pub payload: &'a [u8],
}

/// How the engine recognises a link-layer protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMatch {
    /// An Ethernet II EtherType (ARP 0x0806, LLDP 0x88cc, Profinet 0x8892).
    EtherType(u16),
    /// An 802.3 frame with LLC/SNAP header of this OUI and protocol id (CDP: 00:00:0c, 0x2000).
    Snap {
        /// Organisation code.
        oui: [u8; 3],
        /// Protocol id.
        pid: u16,
    },
}

impl std::fmt::Display for FrameMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameMatch::EtherType(t) => write!(f, "ethertype 0x{t:04x}"),
            FrameMatch::Snap { oui, pid } => write!(
                f,
                "snap {:02x}:{:02x}:{:02x}/0x{pid:04x}",
                oui[0], oui[1], oui[2]
            ),
        }
    }
}

/// A link-layer protocol: stateless, one frame at a time.
#[derive(Clone, Copy)]
pub struct FrameRegistration {
    /// The protocol name used in records.
    pub name: &'static str,
    /// Which frames it takes.
    pub matches: &'static [FrameMatch],
    /// Parse one frame. Pure and total on any input.
    pub dissect: fn(&Frame<'_>, &mut dyn EventSink),
}

impl std::fmt::Debug for FrameRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameRegistration")
            .field("name", &self.name)
            .field("matches", &self.matches)
            .finish()
    }
}

/// Report a located parse error as an anomaly event: the one way dissectors turn an error
/// into a counted, reportable fact.
///
/// Cold: it is the exception on every path that calls it, and marking it so moves those
/// paths out of the dissectors' hot code, which must share the instruction cache.
#[cold]
#[inline(never)]
pub fn report(
    sink: &mut dyn EventSink,
    protocol: &str,
    code: &str,
    offset: Option<usize>,
    detail: &dyn std::fmt::Display,
) {
    sink.emit(Event::Anomaly(Anomaly {
        protocol,
        code,
        offset,
        detail,
    }));
}

/// Report an identity observation, unless the value is empty (devices pad absent strings).
pub fn identify(
    sink: &mut dyn EventSink,
    protocol: &str,
    subject: Subject,
    attribute: Attribute,
    value: &str,
    confidence: Confidence,
) {
    if value.is_empty() {
        return;
    }
    sink.emit(Event::Identity(Identity {
        protocol,
        subject,
        attribute,
        value,
        confidence,
    }));
}

/// A cursor over untrusted bytes: every read is bounds-checked and says what it wanted.
///
/// Dissectors read through it so that "a length field claims more than remains" is always an
/// error naming the field, the claim, what was available and where, never a panic.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A read past the end of the input, located.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field}: needs {needed} bytes at offset {offset}, {available} available")]
pub struct Truncated {
    /// The field being read.
    pub field: &'static str,
    /// Where it starts.
    pub offset: usize,
    /// How many bytes it needs.
    pub needed: usize,
    /// How many remained.
    pub available: usize,
}

impl<'a> Reader<'a> {
    /// Start reading at the beginning of `data`.
    #[inline]
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Return the current offset.
    #[inline]
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Return how many bytes remain.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Return the bytes not read yet, without consuming them.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// Read `n` bytes for `field`.
    #[inline]
    pub fn bytes(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], Truncated> {
        if n > self.remaining() {
            return Err(Truncated {
                field,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Skip `n` bytes of `field`.
    #[inline]
    pub fn skip(&mut self, field: &'static str, n: usize) -> Result<(), Truncated> {
        self.bytes(field, n).map(|_| ())
    }

    /// Read one byte.
    #[inline]
    pub fn u8(&mut self, field: &'static str) -> Result<u8, Truncated> {
        Ok(self.bytes(field, 1)?[0])
    }

    /// Read a big-endian u16.
    #[inline]
    pub fn u16(&mut self, field: &'static str) -> Result<u16, Truncated> {
        let b = self.bytes(field, 2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Read a big-endian u32.
    #[inline]
    pub fn u32(&mut self, field: &'static str) -> Result<u32, Truncated> {
        let b = self.bytes(field, 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Read a little-endian u16.
    #[inline]
    pub fn u16_le(&mut self, field: &'static str) -> Result<u16, Truncated> {
        let b = self.bytes(field, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Read a little-endian u32.
    #[inline]
    pub fn u32_le(&mut self, field: &'static str) -> Result<u32, Truncated> {
        let b = self.bytes(field, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Decode bytes as text for a record: valid UTF-8 borrowed as is, anything else replaced
/// lossily. Trailing NULs and spaces, which devices pad fixed-size fields with, are trimmed.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(0, |i| i + 1);
    String::from_utf8_lossy(&bytes[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_field_and_offset_when_truncated() {
        let mut r = Reader::new(&[0x00, 0x05, 0xaa]);
        assert_eq!(r.u16("length").expect("two bytes"), 5);
        let err = r.bytes("payload", 5).expect_err("only one byte left");
        assert_eq!(
            err,
            Truncated {
                field: "payload",
                offset: 2,
                needed: 5,
                available: 1
            }
        );
        assert_eq!(
            err.to_string(),
            "payload: needs 5 bytes at offset 2, 1 available"
        );
        assert_eq!(r.remaining(), 1, "a failed read consumes nothing");
    }

    #[test]
    fn text_trims_padding_and_replaces_invalid_utf8() {
        assert_eq!(text(b"CPU 315\0\0  "), "CPU 315");
        assert_eq!(text(&[b'a', 0xff, b'b']), "a\u{fffd}b");
        assert_eq!(text(b"\0\0"), "");
    }
}
