//! A bounded BER reader (X.690 §8, definite lengths only as RFC 3417 §8 requires) and the
//! SNMP message structure on top of it.
//!
//! Reading is lax in the etherparse sense: [`parse`] returns every layer it understood (the
//! version, the community, the v3 header, the PDU header) and, separately, where and why it
//! stopped. Variable bindings are read lazily by [`VarBinds`], so a message with one odd value
//! still yields the community and the bindings before it. Nothing is allocated here.

use std::net::Ipv4Addr;

use super::message::{Message, Pdu, PduType, TrapV1, V3Header, VarBind, VarValue, Version};

/// BER universal tags used by SNMP.
mod tag {
    /// INTEGER (X.690 §8.3).
    pub const INTEGER: u8 = 0x02;
    /// OCTET STRING (X.690 §8.7).
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL (X.690 §8.8).
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER (X.690 §8.19).
    pub const OID: u8 = 0x06;
    /// SEQUENCE, constructed (X.690 §8.9).
    pub const SEQUENCE: u8 = 0x30;
    /// IpAddress, [APPLICATION 0] (RFC 2578 §7.1.5).
    pub const IP_ADDRESS: u8 = 0x40;
    /// TimeTicks, [APPLICATION 3].
    pub const TIME_TICKS: u8 = 0x43;
}

/// Why a message could not be read further, with the offset of the offending element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SnmpError {
    /// An element runs past the end of its enclosing element.
    #[error("{field} at offset {offset} needs {needed} bytes, {available} available")]
    Truncated {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// An indefinite length (forbidden by RFC 3417 §8) or a length of more than four bytes.
    #[error("{field} at offset {offset} has length form {form:#04x}")]
    BadLength {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// The first length byte.
        form: u8,
    },
    /// An element of the wrong type.
    #[error("{field} at offset {offset} has tag {found:#04x}, expected {expected:#04x}")]
    UnexpectedTag {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// The tag expected.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// An INTEGER that is empty or wider than 64 bits.
    #[error("{field} at offset {offset} is an integer of {len} bytes")]
    BadInteger {
        /// The element.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Its length.
        len: usize,
    },
    /// A version this dissector does not know (SNMPv2u, SNMPv2*, or not SNMP).
    #[error("version {version} is not 0 (v1), 1 (v2c) or 3")]
    UnknownVersion {
        /// The version field.
        version: i64,
        /// Where it starts.
        offset: usize,
    },
    /// A PDU tag that no SNMP version assigns.
    #[error("PDU tag {found:#04x} at offset {offset} is not an SNMP PDU")]
    UnknownPdu {
        /// Where it starts.
        offset: usize,
        /// The tag.
        found: u8,
    },
    /// Bytes after the message.
    #[error("{len} bytes after the message at offset {offset}")]
    TrailingData {
        /// Where they start.
        offset: usize,
        /// How many.
        len: usize,
    },
}

impl SnmpError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            SnmpError::Truncated { .. } => "truncated",
            SnmpError::BadLength { .. } => "bad_length",
            SnmpError::UnexpectedTag { .. } => "unexpected_tag",
            SnmpError::BadInteger { .. } => "bad_integer",
            SnmpError::UnknownVersion { .. } => "unknown_version",
            SnmpError::UnknownPdu { .. } => "unknown_pdu_type",
            SnmpError::TrailingData { .. } => "trailing_data",
        }
    }

    /// Return the offset of the offending element.
    pub fn offset(&self) -> usize {
        match *self {
            SnmpError::Truncated { offset, .. }
            | SnmpError::BadLength { offset, .. }
            | SnmpError::UnexpectedTag { offset, .. }
            | SnmpError::BadInteger { offset, .. }
            | SnmpError::UnknownVersion { offset, .. }
            | SnmpError::UnknownPdu { offset, .. }
            | SnmpError::TrailingData { offset, .. } => offset,
        }
    }
}

/// One BER element: its tag, where it starts and its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// Offset of the identifier octet in the message.
    pub offset: usize,
    /// Offset of the contents in the message.
    pub contents_offset: usize,
    /// The contents.
    pub contents: &'a [u8],
}

/// A cursor over BER elements, keeping offsets relative to the whole message.
#[derive(Debug, Clone)]
pub struct Ber<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Ber<'a> {
    /// Read `data`, which starts at `base` in the message.
    pub fn new(data: &'a [u8], base: usize) -> Ber<'a> {
        Ber { data, pos: 0, base }
    }

    /// Tell whether all elements have been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn truncated(&self, field: &'static str, at: usize, needed: usize) -> SnmpError {
        SnmpError::Truncated {
            field,
            offset: self.base + at,
            needed,
            available: self.data.len().saturating_sub(at),
        }
    }

    /// Read the next element, whatever its tag. SNMP uses only single-byte tags, so a
    /// high-tag-number form is read as a one-byte tag and fails at its use.
    pub fn any(&mut self, field: &'static str) -> Result<Element<'a>, SnmpError> {
        let start = self.pos;
        let (&tag, rest) = self
            .data
            .get(start..)
            .and_then(<[u8]>::split_first)
            .ok_or_else(|| self.truncated(field, start, 2))?;
        let (&first, rest) = rest
            .split_first()
            .ok_or_else(|| self.truncated(field, start, 2))?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(SnmpError::BadLength {
                    field,
                    offset: self.base + start,
                    form: first,
                });
            }
            let bytes = rest
                .get(..n)
                .ok_or_else(|| self.truncated(field, start, 2 + n))?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        };
        let contents = rest
            .get(header - 2..)
            .and_then(|r| r.get(..len))
            .ok_or_else(|| self.truncated(field, start, header.saturating_add(len)))?;
        self.pos = start + header + len;
        Ok(Element {
            tag,
            offset: self.base + start,
            contents_offset: self.base + start + header,
            contents,
        })
    }

    /// Read the next element and insist on its tag, which is checked before the length so
    /// that a stray datagram is reported as what it is.
    pub fn expect(&mut self, expected: u8, field: &'static str) -> Result<Element<'a>, SnmpError> {
        match self.data.get(self.pos) {
            Some(&found) if found != expected => Err(SnmpError::UnexpectedTag {
                field,
                offset: self.offset(),
                expected,
                found,
            }),
            _ => self.any(field),
        }
    }

    /// Read an INTEGER.
    pub fn integer(&mut self, field: &'static str) -> Result<i64, SnmpError> {
        let e = self.expect(tag::INTEGER, field)?;
        signed(e.contents).ok_or(SnmpError::BadInteger {
            field,
            offset: e.offset,
            len: e.contents.len(),
        })
    }

    /// Read an OCTET STRING.
    pub fn octets(&mut self, field: &'static str) -> Result<&'a [u8], SnmpError> {
        self.expect(tag::OCTET_STRING, field).map(|e| e.contents)
    }

    /// Read a SEQUENCE and return a cursor over its elements.
    pub fn sequence(&mut self, field: &'static str) -> Result<Ber<'a>, SnmpError> {
        self.expect(tag::SEQUENCE, field)
            .map(|e| Ber::new(e.contents, e.contents_offset))
    }
}

/// Decode a two's-complement big-endian integer of 1 to 8 bytes.
fn signed(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let negative = bytes.first().is_some_and(|&b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Some(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// Decode an unsigned application integer (Counter32, Gauge32, TimeTicks, Counter64): up to
/// 8 value bytes after an optional leading zero that keeps the encoding positive.
fn unsigned(bytes: &[u8]) -> Option<u64> {
    let bytes = match bytes {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => bytes,
    };
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// What [`parse`] understood, and where it stopped if it did not read everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lax<'a> {
    /// The message, as far as it was read.
    pub message: Message<'a>,
    /// Why reading stopped early, if it did.
    pub stop: Option<SnmpError>,
}

/// Read an SNMP message. Fails only when not even the outer SEQUENCE and version are there.
pub fn parse(data: &[u8]) -> Result<Lax<'_>, SnmpError> {
    let mut outer = Ber::new(data, 0);
    let mut msg = outer.sequence("message")?;
    let version_offset = msg.offset();
    let version = Version(msg.integer("version")?);
    let mut message = Message {
        version,
        community: None,
        v3: None,
        pdu: None,
    };
    let trailing = (!outer.is_empty()).then(|| SnmpError::TrailingData {
        offset: outer.offset(),
        len: data.len() - outer.pos,
    });
    let result = match version {
        Version::V1 | Version::V2C => community_message(&mut msg, &mut message),
        Version::V3 => v3_message(&mut msg, &mut message),
        Version(other) => Err(SnmpError::UnknownVersion {
            version: other,
            offset: version_offset,
        }),
    };
    Ok(Lax {
        message,
        stop: result.err().or(trailing),
    })
}

/// SNMPv1/v2c: community, then PDU (RFC 1157 §4, RFC 1901 §3).
fn community_message<'a>(msg: &mut Ber<'a>, out: &mut Message<'a>) -> Result<(), SnmpError> {
    out.community = Some(msg.octets("community")?);
    out.pdu = Some(pdu(msg)?);
    Ok(())
}

/// SNMPv3: global header, security parameters, then a plaintext or encrypted scoped PDU
/// (RFC 3412 §6).
fn v3_message<'a>(msg: &mut Ber<'a>, out: &mut Message<'a>) -> Result<(), SnmpError> {
    let mut header = V3Header::default();
    let mut global = msg.sequence("msgGlobalData")?;
    header.msg_id = global.integer("msgID")?;
    header.max_size = global.integer("msgMaxSize")?;
    header.flags = global
        .octets("msgFlags")?
        .first()
        .copied()
        .unwrap_or_default();
    header.security_model = global.integer("msgSecurityModel")?;
    out.v3 = Some(header);
    let params = msg.expect(tag::OCTET_STRING, "msgSecurityParameters")?;
    // USM (model 3, RFC 3414 §2.4) is the only security model in use; others are opaque.
    if header.security_model == 3 {
        let mut usm =
            Ber::new(params.contents, params.contents_offset).sequence("USM parameters")?;
        header.engine_id = Some(usm.octets("msgAuthoritativeEngineID")?);
        usm.integer("msgAuthoritativeEngineBoots")?;
        usm.integer("msgAuthoritativeEngineTime")?;
        header.user = Some(usm.octets("msgUserName")?);
        out.v3 = Some(header);
    }
    let data = msg.any("msgData")?;
    match data.tag {
        tag::OCTET_STRING => {
            header.encrypted = true;
            out.v3 = Some(header);
            Ok(())
        }
        tag::SEQUENCE => {
            let mut scoped = Ber::new(data.contents, data.contents_offset);
            scoped.octets("contextEngineID")?;
            header.context_name = Some(scoped.octets("contextName")?);
            out.v3 = Some(header);
            out.pdu = Some(pdu(&mut scoped)?);
            Ok(())
        }
        found => Err(SnmpError::UnexpectedTag {
            field: "msgData",
            offset: data.offset,
            expected: tag::SEQUENCE,
            found,
        }),
    }
}

/// A PDU: its header fields, and the variable bindings left for [`VarBinds`].
fn pdu<'a>(msg: &mut Ber<'a>) -> Result<Pdu<'a>, SnmpError> {
    let e = msg.any("PDU")?;
    // PDUs are context-specific, constructed: 0xa0 + type (RFC 3416 §3).
    if e.tag & 0xe0 != 0xa0 || PduType(e.tag & 0x1f).name().is_none() {
        return Err(SnmpError::UnknownPdu {
            offset: e.offset,
            found: e.tag,
        });
    }
    let pdu_type = PduType(e.tag & 0x1f);
    let mut body = Ber::new(e.contents, e.contents_offset);
    let mut out = Pdu {
        pdu_type,
        request_id: None,
        error_status: 0,
        error_index: 0,
        trap: None,
        varbinds: &[],
        varbinds_offset: e.contents_offset,
    };
    if pdu_type == PduType::TRAP_V1 {
        out.trap = Some(trap_v1(&mut body)?);
    } else {
        out.request_id = Some(body.integer("request-id")?);
        out.error_status = body.integer("error-status")?;
        out.error_index = body.integer("error-index")?;
    }
    let list = body.expect(tag::SEQUENCE, "variable-bindings")?;
    out.varbinds = list.contents;
    out.varbinds_offset = list.contents_offset;
    Ok(out)
}

/// The SNMPv1 Trap-PDU header (RFC 1157 §4.1.6).
fn trap_v1<'a>(body: &mut Ber<'a>) -> Result<TrapV1<'a>, SnmpError> {
    let enterprise = body.expect(tag::OID, "enterprise")?.contents;
    let addr = body.expect(tag::IP_ADDRESS, "agent-addr")?.contents;
    let generic_trap = body.integer("generic-trap")?;
    let specific_trap = body.integer("specific-trap")?;
    let ticks = body.expect(tag::TIME_TICKS, "time-stamp")?;
    Ok(TrapV1 {
        enterprise,
        agent_addr: <[u8; 4]>::try_from(addr).ok().map(Ipv4Addr::from),
        generic_trap,
        specific_trap,
        time_stamp: unsigned(ticks.contents).ok_or(SnmpError::BadInteger {
            field: "time-stamp",
            offset: ticks.offset,
            len: ticks.contents.len(),
        })?,
    })
}

/// The variable bindings of a PDU, read one at a time; iteration ends after an error.
#[derive(Debug, Clone)]
pub struct VarBinds<'a> {
    list: Ber<'a>,
    failed: bool,
}

impl<'a> VarBinds<'a> {
    /// Iterate over the bindings of `pdu`.
    pub fn new(pdu: &Pdu<'a>) -> VarBinds<'a> {
        VarBinds {
            list: Ber::new(pdu.varbinds, pdu.varbinds_offset),
            failed: false,
        }
    }

    fn next_binding(&mut self) -> Result<VarBind<'a>, SnmpError> {
        let mut seq = self.list.sequence("VarBind")?;
        let oid = seq.expect(tag::OID, "name")?.contents;
        let v = seq.any("value")?;
        let value = match v.tag {
            tag::INTEGER => VarValue::Integer(signed(v.contents).ok_or(SnmpError::BadInteger {
                field: "value",
                offset: v.offset,
                len: v.contents.len(),
            })?),
            tag::OCTET_STRING => VarValue::Octets(v.contents),
            tag::NULL => VarValue::Null,
            tag::OID => VarValue::Oid(v.contents),
            tag::IP_ADDRESS => match <[u8; 4]>::try_from(v.contents) {
                Ok(b) => VarValue::IpAddress(Ipv4Addr::from(b)),
                Err(_) => VarValue::Other {
                    tag: v.tag,
                    bytes: v.contents,
                },
            },
            0x41 | 0x42 | 0x43 | 0x46 | 0x47 => match unsigned(v.contents) {
                Some(value) => VarValue::Unsigned { tag: v.tag, value },
                None => {
                    return Err(SnmpError::BadInteger {
                        field: "value",
                        offset: v.offset,
                        len: v.contents.len(),
                    });
                }
            },
            0x80..=0x82 => VarValue::Exception(v.tag & 0x1f),
            other => VarValue::Other {
                tag: other,
                bytes: v.contents,
            },
        };
        Ok(VarBind { oid, value })
    }
}

impl<'a> Iterator for VarBinds<'a> {
    type Item = Result<VarBind<'a>, SnmpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.list.is_empty() {
            return None;
        }
        let item = self.next_binding();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Append an OID's dotted form (`1.3.6.1.2.1.1.5.0`) to `out`; `false` when the encoding is
/// empty, ends inside an arc, or has an arc wider than 64 bits (X.690 §8.19).
pub fn write_oid(contents: &[u8], out: &mut String) -> bool {
    let mut arcs = Arcs { bytes: contents };
    let Some(first) = arcs.next() else {
        return false;
    };
    let (x, y) = match first {
        Some(v) if v < 80 => (v / 40, v % 40),
        Some(v) => (2, v - 80),
        None => return false,
    };
    // Without `core::fmt`: a walk writes thousands of arcs.
    let mut number = itoa::Buffer::new();
    out.push_str(number.format(x));
    out.push('.');
    out.push_str(number.format(y));
    for arc in arcs {
        match arc {
            Some(v) => {
                out.push('.');
                out.push_str(number.format(v));
            }
            None => return false,
        }
    }
    true
}

/// Base-128 arcs of an OID; `Some(None)` for a malformed arc, after which iteration ends.
struct Arcs<'a> {
    bytes: &'a [u8],
}

impl Iterator for Arcs<'_> {
    type Item = Option<u64>;

    fn next(&mut self) -> Option<Option<u64>> {
        if self.bytes.is_empty() {
            return None;
        }
        let mut value: u64 = 0;
        for (i, &b) in self.bytes.iter().enumerate() {
            value = match value.checked_mul(128) {
                Some(v) => v | u64::from(b & 0x7f),
                None => {
                    self.bytes = &[];
                    return Some(None);
                }
            };
            if b & 0x80 == 0 {
                self.bytes = self.bytes.get(i + 1..).unwrap_or_default();
                return Some(Some(value));
            }
        }
        self.bytes = &[];
        Some(None)
    }
}

/// Return the private enterprise number of an OID under 1.3.6.1.4.1, if it is one.
pub fn enterprise_number(oid: &[u8]) -> Option<u64> {
    let rest = oid.strip_prefix(super::message::oid::ENTERPRISES)?;
    Arcs { bytes: rest }.next()?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SNMPv2c GetRequest for sysName.0 with community "public" (RFC 3416 §3).
    const GET: [u8; 39] = [
        0x30, 0x25, // Message SEQUENCE, 37 bytes
        0x02, 0x01, 0x01, // version 1 = v2c
        0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community "public"
        0xa0, 0x18, // GetRequest-PDU, 24 bytes
        0x02, 0x04, 0xff, 0xff, 0xff, 0xfe, // request-id -2 (Integer32 allows negatives)
        0x02, 0x01, 0x00, // error-status 0
        0x02, 0x01, 0x00, // error-index 0
        0x30, 0x0a, // variable-bindings, 10 bytes
        0x30, 0x08, // VarBind, 8 bytes: too short for name and value
        0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, // name claims 8 bytes, 6 present
    ];

    #[test]
    fn keeps_the_community_when_a_binding_is_broken() {
        let lax = parse(&GET).expect("outer sequence");
        assert_eq!(lax.stop, None);
        assert_eq!(lax.message.version, Version::V2C);
        assert_eq!(lax.message.community, Some(&b"public"[..]));
        let pdu = lax.message.pdu.expect("pdu header");
        assert_eq!(pdu.request_id, Some(-2));
        let bindings: Vec<_> = VarBinds::new(&pdu).collect();
        assert_eq!(bindings.len(), 1);
        let err = bindings[0].expect_err("name runs past the VarBind");
        assert_eq!(err.code(), "truncated");
        assert_eq!(err.offset(), 31);
    }

    #[test]
    fn reads_bindings_and_values() {
        let msg = [
            0x30, 0x2e, // Message
            0x02, 0x01, 0x00, // version 0 = v1
            0x04, 0x04, b'a', b'd', b's', b'l', // community "adsl"
            0xa2, 0x23, // GetResponse-PDU
            0x02, 0x01, 0x07, // request-id 7
            0x02, 0x01, 0x00, 0x02, 0x01, 0x00, // no error
            0x30, 0x18, // variable-bindings
            0x30, 0x16, // VarBind
            0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00, // sysName.0
            0x04, 0x0a, b'R', b'1', b'.', b'l', b'a', b'b', b'.', b'l', b'a',
            b'n', // "R1.lab.lan"
        ];
        let lax = parse(&msg).expect("outer sequence");
        assert_eq!(lax.stop, None);
        let pdu = lax.message.pdu.expect("pdu");
        assert_eq!(pdu.pdu_type, PduType::RESPONSE);
        let bindings: Vec<_> = VarBinds::new(&pdu)
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(bindings[0].oid, super::super::message::oid::SYS_NAME);
        assert_eq!(bindings[0].value, VarValue::Octets(b"R1.lab.lan"));
    }

    #[test]
    fn reads_a_v1_trap_header() {
        let msg = [
            0x30, 0x2b, // Message
            0x02, 0x01, 0x00, // v1
            0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', // community
            0xa4, 0x1e, // Trap-PDU
            0x06, 0x09, 0x2b, 0x06, 0x01, 0x06, 0x03, 0x01, 0x01, 0x05, 0x00, // enterprise
            0x40, 0x04, 10, 1, 30, 1, // agent-addr 10.1.30.1
            0x02, 0x01, 0x02, // generic-trap 2, linkDown
            0x02, 0x01, 0x00, // specific-trap 0
            0x43, 0x03, 0x03, 0xa6, 0x8c, // time-stamp 239244
            0x30, 0x00, // no bindings
        ];
        let lax = parse(&msg).expect("outer sequence");
        assert_eq!(lax.stop, None);
        let trap = lax.message.pdu.and_then(|p| p.trap).expect("trap");
        assert_eq!(trap.agent_addr, Some(Ipv4Addr::new(10, 1, 30, 1)));
        assert_eq!((trap.generic_trap, trap.time_stamp), (2, 239_244));
        let mut s = String::new();
        assert!(write_oid(trap.enterprise, &mut s));
        assert_eq!(s, "1.3.6.1.6.3.1.1.5.0");
    }

    #[test]
    fn reads_a_v3_header_with_an_encrypted_pdu() {
        let msg = [
            0x30, 0x37, // Message
            0x02, 0x01, 0x03, // version 3
            0x30, 0x10, // msgGlobalData
            0x02, 0x04, 0x48, 0x2e, 0x5a, 0xea, // msgID
            0x02, 0x02, 0x7f, 0xff, // msgMaxSize 32767
            0x04, 0x01, 0x07, // msgFlags: auth, priv, reportable
            0x02, 0x01, 0x03, // msgSecurityModel 3, USM
            0x04, 0x1a, // msgSecurityParameters, 26 bytes
            0x30, 0x18, // UsmSecurityParameters
            0x04, 0x05, 0x80, 0x00, 0x00, 0x09, 0x03, // engine id
            0x02, 0x01, 0x0c, // engine boots 12
            0x02, 0x02, 0x06, 0x04, // engine time 1540
            0x04, 0x04, b'o', b'p', b's', b'1', // user "ops1"
            0x04, 0x00, 0x04, 0x00, // empty auth and privacy parameters
            0x04, 0x04, 0xde, 0xad, 0xbe, 0xef, // encryptedPDU
        ];
        let lax = parse(&msg).expect("outer sequence");
        assert_eq!(lax.stop, None);
        let v3 = lax.message.v3.expect("v3 header");
        assert_eq!((v3.flags, v3.encrypted), (7, true));
        assert_eq!(v3.user, Some(&b"ops1"[..]));
        assert_eq!(lax.message.pdu, None);
    }

    #[test]
    fn reports_unknown_versions_and_pdus() {
        let v2u = [0x30, 0x03, 0x02, 0x01, 0x02];
        let lax = parse(&v2u).expect("outer sequence");
        assert_eq!(lax.stop.map(|e| e.code()), Some("unknown_version"));
        let bad_pdu = [
            0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x01, b'x', // v2c, community "x"
            0xaf, 0x00, // context tag 15
            0x00, 0x00, // trailing inside the message
        ];
        let lax = parse(&bad_pdu).expect("outer sequence");
        assert_eq!(lax.message.community, Some(&b"x"[..]));
        assert_eq!(
            lax.stop.map(|e| (e.code(), e.offset())),
            Some(("unknown_pdu_type", 8))
        );
    }

    #[test]
    fn rejects_indefinite_and_oversized_lengths() {
        assert_eq!(
            parse(&[0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00]).map(|_| ()),
            Err(SnmpError::BadLength {
                field: "message",
                offset: 0,
                form: 0x80
            })
        );
        let err = parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02]).expect_err("huge length");
        assert_eq!(err.code(), "truncated");
        assert_eq!(
            parse(&[0x30, 0x85, 1, 1, 1, 1, 1])
                .map(|_| ())
                .expect_err("5 bytes")
                .code(),
            "bad_length"
        );
    }

    #[test]
    fn decodes_integers_of_every_width() {
        assert_eq!(signed(&[0xff]), Some(-1));
        assert_eq!(signed(&[0x00, 0xff]), Some(255));
        assert_eq!(signed(&[0x80, 0, 0, 0, 0, 0, 0, 0]), Some(i64::MIN));
        assert_eq!(signed(&[0; 9]), None);
        assert_eq!(signed(&[]), None);
        assert_eq!(
            unsigned(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Some(u64::MAX)
        );
        assert_eq!(unsigned(&[0x00]), Some(0));
    }

    #[test]
    fn renders_oids_and_rejects_malformed_ones() {
        let mut s = String::new();
        assert!(write_oid(
            &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xc0, 0x6e],
            &mut s
        ));
        assert_eq!(s, "1.3.6.1.4.1.24686");
        assert_eq!(
            enterprise_number(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xc0, 0x6e]),
            Some(24686)
        );
        assert_eq!(
            enterprise_number(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x09, 0x01]),
            Some(9)
        );
        assert_eq!(enterprise_number(&[0x2b, 0x06, 0x01, 0x02]), None);
        assert!(
            !write_oid(&[0x2b, 0x86], &mut String::new()),
            "ends inside an arc"
        );
        assert!(!write_oid(&[], &mut String::new()));
        let wide = [
            0x2b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ];
        assert!(
            !write_oid(&wide, &mut String::new()),
            "arc wider than 64 bits"
        );
        let mut s = String::new();
        assert!(
            write_oid(&[0x88, 0x37], &mut s),
            "joint-iso-itu-t arcs above 39"
        );
        assert_eq!(s, "2.999");
    }
}
