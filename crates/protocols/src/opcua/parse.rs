//! The OPC UA binary encoding (OPC 10000-6 §5.2) and the message headers of UA TCP and
//! UA Secure Conversation (§6.7, §7.1), as pure functions over one message chunk.
//!
//! Every length is checked against what remains before use; arrays are read one element at
//! a time (each takes at least one byte, so no count can make a loop outlast its input); the
//! only recursion, DiagnosticInfo's inner info, stops at [`MAX_DEPTH`].

use rampart_dissect::{Reader, Truncated};

use super::message::MessageType;

/// Inner diagnostic infos followed at most.
pub const MAX_DEPTH: usize = 8;
/// The smallest message: the 8-byte header.
pub const HEADER_LEN: usize = 8;

/// Why part of a chunk could not be read, located in the chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpcUaError {
    /// A field runs past the end of the chunk.
    #[error("{field}: needs {needed} bytes at offset {offset}, {available} available")]
    Truncated {
        /// The field.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that remained.
        available: usize,
    },
    /// A length prefix below -1.
    #[error("{field} at offset {offset} has length {length}")]
    BadLength {
        /// The field.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// The length.
        length: i32,
    },
    /// A NodeId encoding byte that no encoding assigns.
    #[error("NodeId at offset {offset} has encoding byte {found:#04x}")]
    BadNodeId {
        /// Where it starts.
        offset: usize,
        /// The encoding byte.
        found: u8,
    },
    /// DiagnosticInfo nested past the cap.
    #[error("DiagnosticInfo nested deeper than {MAX_DEPTH} at offset {offset}")]
    TooDeep {
        /// Where the inner info starts.
        offset: usize,
    },
    /// A Variant of a built-in type that does not exist.
    #[error("Variant at offset {offset} has built-in type {found}")]
    BadVariant {
        /// Where the value starts.
        offset: usize,
        /// The type.
        found: u8,
    },
    /// A chunk type other than F, C or A.
    #[error("chunk type {found:#04x} is not F, C or A")]
    ChunkType {
        /// The chunk type octet.
        found: u8,
    },
}

impl OpcUaError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            OpcUaError::Truncated { .. } => "truncated",
            OpcUaError::BadLength { .. } => "bad_length",
            OpcUaError::BadNodeId { .. } => "bad_node_id",
            OpcUaError::TooDeep { .. } => "nesting_too_deep",
            OpcUaError::BadVariant { .. } => "bad_variant",
            OpcUaError::ChunkType { .. } => "bad_chunk_type",
        }
    }

    /// Return the offset in the chunk.
    pub fn offset(&self) -> usize {
        match *self {
            OpcUaError::Truncated { offset, .. }
            | OpcUaError::BadLength { offset, .. }
            | OpcUaError::BadNodeId { offset, .. }
            | OpcUaError::TooDeep { offset }
            | OpcUaError::BadVariant { offset, .. } => offset,
            OpcUaError::ChunkType { .. } => 3,
        }
    }
}

impl From<Truncated> for OpcUaError {
    fn from(t: Truncated) -> OpcUaError {
        OpcUaError::Truncated {
            field: t.field,
            offset: t.offset,
            needed: t.needed,
            available: t.available,
        }
    }
}

/// A NodeId's identifier (§5.2.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifier<'a> {
    /// Numeric.
    Numeric(u32),
    /// String (UTF-8 bytes).
    String(&'a [u8]),
    /// Guid.
    Guid([u8; 16]),
    /// ByteString.
    Opaque(&'a [u8]),
}

/// A NodeId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeId<'a> {
    /// The namespace index.
    pub namespace: u16,
    /// The identifier.
    pub id: Identifier<'a>,
}

impl NodeId<'_> {
    /// Return the numeric identifier of a node in namespace 0.
    pub fn standard(&self) -> Option<u32> {
        match (self.namespace, self.id) {
            (0, Identifier::Numeric(n)) => Some(n),
            _ => None,
        }
    }
}

impl std::fmt::Display for NodeId<'_> {
    /// Write the NodeId in the standard's string form (`ns=2;s=Motor`, `i=85`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace != 0 {
            write!(f, "ns={};", self.namespace)?;
        }
        match self.id {
            Identifier::Numeric(n) => write!(f, "i={n}"),
            Identifier::String(s) => write!(f, "s={}", String::from_utf8_lossy(s)),
            Identifier::Guid(g) => {
                f.write_str("g=")?;
                g.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Identifier::Opaque(b) => {
                f.write_str("b=")?;
                b.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

/// An ExtensionObject's type and, for a binary body, the body and its chunk offset.
pub type Extension<'a> = (NodeId<'a>, Option<(&'a [u8], usize)>);

/// A cursor over the binary encoding, offsets relative to the chunk.
#[derive(Debug, Clone)]
pub struct Ua<'a> {
    r: Reader<'a>,
    base: usize,
}

impl<'a> Ua<'a> {
    /// Read `data`, which starts at `base` in the chunk.
    pub fn new(data: &'a [u8], base: usize) -> Ua<'a> {
        Ua {
            r: Reader::new(data),
            base,
        }
    }

    /// Return the chunk offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.r.offset()
    }

    fn at(&self, e: Truncated) -> OpcUaError {
        OpcUaError::Truncated {
            field: e.field,
            offset: self.base + e.offset,
            needed: e.needed,
            available: e.available,
        }
    }

    /// Read a Byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, OpcUaError> {
        self.r.u8(field).map_err(|e| self.at(e))
    }

    /// Read a UInt16.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, OpcUaError> {
        self.r.u16_le(field).map_err(|e| self.at(e))
    }

    /// Read a UInt32.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, OpcUaError> {
        self.r.u32_le(field).map_err(|e| self.at(e))
    }

    /// Read an Int32.
    pub fn i32(&mut self, field: &'static str) -> Result<i32, OpcUaError> {
        self.u32(field).map(|v| v as i32)
    }

    /// Skip `n` bytes (a DateTime is 8, a Double 8, a Guid 16).
    pub fn skip(&mut self, field: &'static str, n: usize) -> Result<(), OpcUaError> {
        self.r.skip(field, n).map_err(|e| self.at(e))
    }

    /// Read a length prefix: `None` for -1 (null), an error below.
    fn length(&mut self, field: &'static str) -> Result<Option<usize>, OpcUaError> {
        let offset = self.offset();
        match self.i32(field)? {
            -1 => Ok(None),
            n if n < 0 => Err(OpcUaError::BadLength {
                field,
                offset,
                length: n,
            }),
            n => Ok(Some(n as usize)),
        }
    }

    /// Read a String or ByteString: `None` when null.
    pub fn bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, OpcUaError> {
        match self.length(field)? {
            None => Ok(None),
            Some(n) => self.r.bytes(field, n).map(Some).map_err(|e| self.at(e)),
        }
    }

    /// Read an array length: 0 for null.
    pub fn array(&mut self, field: &'static str) -> Result<usize, OpcUaError> {
        Ok(self.length(field)?.unwrap_or(0))
    }

    /// Read a NodeId (§5.2.2.9).
    pub fn node_id(&mut self) -> Result<NodeId<'a>, OpcUaError> {
        let offset = self.offset();
        let encoding = self.u8("NodeId encoding")?;
        self.node_id_body(encoding & 0x3f, offset)
    }

    fn node_id_body(&mut self, encoding: u8, offset: usize) -> Result<NodeId<'a>, OpcUaError> {
        Ok(match encoding {
            0 => NodeId {
                namespace: 0,
                id: Identifier::Numeric(self.u8("NodeId identifier")?.into()),
            },
            1 => NodeId {
                namespace: self.u8("NodeId namespace")?.into(),
                id: Identifier::Numeric(self.u16("NodeId identifier")?.into()),
            },
            2 => NodeId {
                namespace: self.u16("NodeId namespace")?,
                id: Identifier::Numeric(self.u32("NodeId identifier")?),
            },
            3 => NodeId {
                namespace: self.u16("NodeId namespace")?,
                id: Identifier::String(self.bytes("NodeId identifier")?.unwrap_or_default()),
            },
            4 => {
                let namespace = self.u16("NodeId namespace")?;
                let guid = self
                    .r
                    .bytes("NodeId identifier", 16)
                    .map_err(|e| self.at(e))?;
                let mut g = [0u8; 16];
                g.copy_from_slice(guid);
                NodeId {
                    namespace,
                    id: Identifier::Guid(g),
                }
            }
            5 => NodeId {
                namespace: self.u16("NodeId namespace")?,
                id: Identifier::Opaque(self.bytes("NodeId identifier")?.unwrap_or_default()),
            },
            found => return Err(OpcUaError::BadNodeId { offset, found }),
        })
    }

    /// Read an ExpandedNodeId (§5.2.2.10), dropping the namespace URI and server index.
    pub fn expanded_node_id(&mut self) -> Result<NodeId<'a>, OpcUaError> {
        let offset = self.offset();
        let encoding = self.u8("ExpandedNodeId encoding")?;
        let node = self.node_id_body(encoding & 0x3f, offset)?;
        if encoding & 0x80 != 0 {
            self.bytes("namespace URI")?;
        }
        if encoding & 0x40 != 0 {
            self.u32("server index")?;
        }
        Ok(node)
    }

    /// Read a LocalizedText (§5.2.2.14) and return its text.
    pub fn localized_text(&mut self) -> Result<Option<&'a [u8]>, OpcUaError> {
        let mask = self.u8("LocalizedText mask")?;
        if mask & 0x01 != 0 {
            self.bytes("locale")?;
        }
        if mask & 0x02 != 0 {
            return self.bytes("text");
        }
        Ok(None)
    }

    /// Read a QualifiedName (§5.2.2.13) and return its name.
    pub fn qualified_name(&mut self) -> Result<Option<&'a [u8]>, OpcUaError> {
        self.u16("QualifiedName namespace")?;
        self.bytes("QualifiedName name")
    }

    /// Read an ExtensionObject (§5.2.2.15): its type and, for a binary body, the body with
    /// its chunk offset.
    pub fn extension_object(&mut self) -> Result<Extension<'a>, OpcUaError> {
        let type_id = self.node_id()?;
        let encoding = self.u8("ExtensionObject encoding")?;
        if encoding & 0x03 == 0 {
            return Ok((type_id, None));
        }
        let start = self.offset() + 4;
        let body = self.bytes("ExtensionObject body")?;
        let binary = if encoding & 0x03 == 1 {
            body.map(|b| (b, start))
        } else {
            None
        };
        Ok((type_id, binary))
    }

    /// Read a Variant (§5.2.2.16), writing a scalar's value into `out` when given.
    pub fn variant(&mut self, depth: usize, out: Option<&mut String>) -> Result<(), OpcUaError> {
        let offset = self.offset();
        if depth >= MAX_DEPTH {
            return Err(OpcUaError::TooDeep { offset });
        }
        let mask = self.u8("Variant encoding")?;
        let kind = mask & 0x3f;
        if mask & 0x80 == 0 {
            return self.builtin(kind, depth, out);
        }
        for _ in 0..self.array("Variant array")? {
            self.builtin(kind, depth, None)?;
        }
        if mask & 0x40 != 0 {
            for _ in 0..self.array("Variant dimensions")? {
                self.u32("dimension")?;
            }
        }
        Ok(())
    }

    /// Read one value of built-in type `kind` (§5.1.2), writing it into `out` when given and
    /// simple enough to print.
    fn builtin(
        &mut self,
        kind: u8,
        depth: usize,
        out: Option<&mut String>,
    ) -> Result<(), OpcUaError> {
        use std::fmt::Write as _;
        let offset = self.offset();
        let mut out = out;
        let mut text = |v: &dyn std::fmt::Display| {
            if let Some(o) = out.as_mut() {
                let _ = write!(o, "{v}");
            }
        };
        match kind {
            0 => text(&"null"),
            1 => text(&(self.u8("Boolean")? != 0)),
            2 => text(&(self.u8("SByte")? as i8)),
            3 => text(&self.u8("Byte")?),
            4 => text(&(self.u16("Int16")? as i16)),
            5 => text(&self.u16("UInt16")?),
            6 => text(&self.i32("Int32")?),
            7 | 19 => text(&self.u32("UInt32")?),
            8 | 9 => {
                let lo = u64::from(self.u32("Int64")?);
                let hi = u64::from(self.u32("Int64")?);
                let v = (hi << 32) | lo;
                if kind == 8 {
                    text(&(v as i64));
                } else {
                    text(&v);
                }
            }
            10 => text(&f32::from_bits(self.u32("Float")?)),
            11 => {
                let lo = u64::from(self.u32("Double")?);
                let hi = u64::from(self.u32("Double")?);
                text(&f64::from_bits((hi << 32) | lo));
            }
            12 => {
                let s = self.bytes("String")?.unwrap_or_default();
                text(&String::from_utf8_lossy(s));
            }
            13 => self.skip("DateTime", 8)?,
            14 => self.skip("Guid", 16)?,
            15 | 16 => {
                self.bytes("ByteString")?;
            }
            17 => text(&self.node_id()?),
            18 => text(&self.expanded_node_id()?),
            20 => {
                self.qualified_name()?;
            }
            21 => {
                let s = self.localized_text()?.unwrap_or_default();
                text(&String::from_utf8_lossy(s));
            }
            22 => {
                self.extension_object()?;
            }
            23 => self.data_value(depth + 1)?,
            24 => self.variant(depth + 1, None)?,
            25 => self.diagnostic_info(depth)?,
            _ => {
                return Err(OpcUaError::BadVariant {
                    offset,
                    found: kind,
                });
            }
        }
        Ok(())
    }

    /// Skip a DataValue (§5.2.2.17).
    pub fn data_value(&mut self, depth: usize) -> Result<(), OpcUaError> {
        self.data_value_into(depth, None)
    }

    /// Read a DataValue, writing its value into `out` when given.
    pub fn data_value_into(
        &mut self,
        depth: usize,
        out: Option<&mut String>,
    ) -> Result<(), OpcUaError> {
        let mask = self.u8("DataValue mask")?;
        if mask & 0x01 != 0 {
            self.variant(depth, out)?;
        }
        if mask & 0x02 != 0 {
            self.u32("DataValue status")?;
        }
        if mask & 0x04 != 0 {
            self.skip("source timestamp", 8)?;
        }
        if mask & 0x10 != 0 {
            self.u16("source picoseconds")?;
        }
        if mask & 0x08 != 0 {
            self.skip("server timestamp", 8)?;
        }
        if mask & 0x20 != 0 {
            self.u16("server picoseconds")?;
        }
        Ok(())
    }

    /// Skip a DiagnosticInfo (§5.2.2.12).
    pub fn diagnostic_info(&mut self, depth: usize) -> Result<(), OpcUaError> {
        let offset = self.offset();
        let mask = self.u8("DiagnosticInfo mask")?;
        for bit in [0x01, 0x02, 0x04, 0x08] {
            if mask & bit != 0 {
                self.u32("DiagnosticInfo index")?;
            }
        }
        if mask & 0x10 != 0 {
            self.bytes("additional info")?;
        }
        if mask & 0x20 != 0 {
            self.u32("inner status code")?;
        }
        if mask & 0x40 != 0 {
            if depth >= MAX_DEPTH {
                return Err(OpcUaError::TooDeep { offset });
            }
            self.diagnostic_info(depth + 1)?;
        }
        Ok(())
    }

    /// Skip an array of Strings.
    pub fn strings(&mut self, field: &'static str) -> Result<(), OpcUaError> {
        for _ in 0..self.array(field)? {
            self.bytes(field)?;
        }
        Ok(())
    }
}

/// The 8-byte header of every message (§7.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The message type.
    pub kind: MessageType,
    /// F (final), C (intermediate) or A (abort).
    pub chunk: u8,
    /// The size of the whole chunk, header included.
    pub size: u32,
}

/// Read a header, or say why these bytes cannot start one: `Ok(None)` for an unknown type.
pub fn header(data: &[u8]) -> Result<Option<Header>, OpcUaError> {
    let mut r = Reader::new(data);
    let kind = r.bytes("message type", 3)?;
    let Some(kind) = MessageType::from_bytes([kind[0], kind[1], kind[2]]) else {
        return Ok(None);
    };
    let chunk = r.u8("chunk type")?;
    if !matches!(chunk, b'F' | b'C' | b'A') {
        return Err(OpcUaError::ChunkType { found: chunk });
    }
    let size = r.u32_le("message size")?;
    Ok(Some(Header { kind, chunk, size }))
}

/// Hello and Acknowledge parameters (§7.1.2.3, §7.1.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello<'a> {
    /// The protocol version.
    pub version: u32,
    /// Largest chunk the sender can receive.
    pub receive_buffer: u32,
    /// Largest chunk the sender will send.
    pub send_buffer: u32,
    /// Largest message (all chunks): of a response (HEL) or request (ACK); 0 is no limit.
    pub max_message: u32,
    /// Most chunks per message; 0 is no limit.
    pub max_chunks: u32,
    /// The endpoint URL (Hello only).
    pub endpoint_url: Option<&'a [u8]>,
}

/// Read a Hello (`with_url`) or Acknowledge body.
pub fn hello(body: &[u8], with_url: bool) -> Result<Hello<'_>, OpcUaError> {
    let mut u = Ua::new(body, HEADER_LEN);
    Ok(Hello {
        version: u.u32("protocol version")?,
        receive_buffer: u.u32("receive buffer size")?,
        send_buffer: u.u32("send buffer size")?,
        max_message: u.u32("max message size")?,
        max_chunks: u.u32("max chunk count")?,
        endpoint_url: if with_url {
            u.bytes("endpoint URL")?
        } else {
            None
        },
    })
}

/// An Error message (§7.1.2.5): status code and reason.
pub fn error(body: &[u8]) -> Result<(u32, Option<&[u8]>), OpcUaError> {
    let mut u = Ua::new(body, HEADER_LEN);
    Ok((u.u32("error")?, u.bytes("reason")?))
}

/// A ReverseHello (§7.1.2.6): server URI and endpoint URL.
pub fn reverse_hello(body: &[u8]) -> Result<[Option<&[u8]>; 2], OpcUaError> {
    let mut u = Ua::new(body, HEADER_LEN);
    Ok([u.bytes("server URI")?, u.bytes("endpoint URL")?])
}

/// The security header of an OpenSecureChannel (asymmetric, §6.7.2.3) or other secure
/// message (symmetric: the token id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Security<'a> {
    /// The secure channel id.
    pub channel: u32,
    /// OPN: the security policy URI.
    pub policy: Option<&'a [u8]>,
    /// OPN: the sender's certificate.
    pub certificate: Option<&'a [u8]>,
    /// OPN: the receiver certificate's thumbprint.
    pub thumbprint: Option<&'a [u8]>,
    /// MSG, CLO: the security token id.
    pub token: Option<u32>,
    /// Offset in the chunk of what follows (the sequence header).
    pub rest: usize,
}

/// Read the channel id and security header of a secure message.
pub fn security(kind: MessageType, chunk: &[u8]) -> Result<Security<'_>, OpcUaError> {
    let body = chunk.get(HEADER_LEN..).unwrap_or_default();
    let mut u = Ua::new(body, HEADER_LEN);
    let channel = u.u32("secure channel id")?;
    let mut s = Security {
        channel,
        policy: None,
        certificate: None,
        thumbprint: None,
        token: None,
        rest: 0,
    };
    if kind == MessageType::Open {
        s.policy = u.bytes("security policy URI")?;
        s.certificate = u.bytes("sender certificate")?;
        s.thumbprint = u.bytes("receiver certificate thumbprint")?;
    } else {
        s.token = Some(u.u32("security token id")?);
    }
    s.rest = u.offset();
    Ok(s)
}

/// The sequence header (§6.7.2.4) and the service type that follows it.
#[derive(Debug, Clone)]
pub struct Sequence<'a> {
    /// Sequence number.
    pub number: u32,
    /// Request id.
    pub request_id: u32,
    /// The ExtensionObject type id of the body, when it is numeric in namespace 0.
    pub service: Option<u32>,
    /// What follows the type id.
    pub body: Ua<'a>,
}

/// Read only the sequence header at `at`: sequence number and request id.
pub fn sequence_numbers(chunk: &[u8], at: usize) -> Result<(u32, u32), OpcUaError> {
    let mut u = Ua::new(chunk.get(at..).unwrap_or_default(), at);
    Ok((u.u32("sequence number")?, u.u32("request id")?))
}

/// Read the sequence header at `at` and the body's type NodeId.
pub fn sequence(chunk: &[u8], at: usize) -> Result<Sequence<'_>, OpcUaError> {
    let mut u = Ua::new(chunk.get(at..).unwrap_or_default(), at);
    let number = u.u32("sequence number")?;
    let request_id = u.u32("request id")?;
    let type_id = u.node_id()?;
    Ok(Sequence {
        number,
        request_id,
        service: type_id.standard(),
        body: u,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_hello() {
        let hel = [
            b'H', b'E', b'L', b'F', 0x2c, 0, 0, 0, // HEL, final, 44 bytes (§7.1.2.3)
            0, 0, 0, 0, // protocol version 0
            0xff, 0xff, 0, 0, // receive buffer 65535
            0xff, 0xff, 0, 0, // send buffer 65535
            0xa0, 0x0f, 0, 0, // max message 4000
            0, 0, 0, 0, // max chunk count 0
            0x0c, 0, 0, 0, b'o', b'p', b'c', b'.', b't', b'c', b'p', b':', b'/', b'/', b'x', b'y',
        ];
        let h = header(&hel).expect("valid").expect("known type");
        assert_eq!((h.kind, h.chunk, h.size), (MessageType::Hello, b'F', 44));
        let body = hello(&hel[HEADER_LEN..], true).expect("valid");
        assert_eq!((body.receive_buffer, body.max_message), (65535, 4000));
        assert_eq!(body.endpoint_url, Some(&b"opc.tcp://xy"[..]));
        let err = hello(&hel[HEADER_LEN..30], true).expect_err("cut");
        assert!(matches!(
            err,
            OpcUaError::Truncated {
                field: "endpoint URL",
                offset: 28,
                ..
            }
        ));
    }

    #[test]
    fn reads_every_node_id_encoding() {
        let data = [
            0x00, 0x55, // two-byte: i=85
            0x01, 0x02, 0x7f, 0x00, // four-byte: ns=2;i=127
            0x03, 0x02, 0x00, 0x02, 0, 0, 0, b'M', b'1', // string: ns=2;s=M1
            0x07, // reserved encoding
        ];
        let mut u = Ua::new(&data, 0);
        assert_eq!(u.node_id().expect("valid").to_string(), "i=85");
        assert_eq!(u.node_id().expect("valid").to_string(), "ns=2;i=127");
        assert_eq!(u.node_id().expect("valid").to_string(), "ns=2;s=M1");
        assert_eq!(
            u.node_id(),
            Err(OpcUaError::BadNodeId {
                offset: 15,
                found: 7
            })
        );
    }

    #[test]
    fn refuses_lengths_below_minus_one_and_past_the_end() {
        let mut u = Ua::new(&[0xfe, 0xff, 0xff, 0xff], 0);
        assert_eq!(
            u.bytes("text"),
            Err(OpcUaError::BadLength {
                field: "text",
                offset: 0,
                length: -2
            })
        );
        let mut u = Ua::new(&[0xff, 0xff, 0xff, 0x7f, 0x00], 8);
        assert!(matches!(
            u.bytes("text"),
            Err(OpcUaError::Truncated { offset: 12, .. })
        ));
        assert_eq!(Ua::new(&[0xff; 4], 0).bytes("null"), Ok(None));
    }

    #[test]
    fn stops_diagnostic_infos_at_the_depth_cap() {
        let nested = [0x40u8; 32];
        assert!(matches!(
            Ua::new(&nested, 0).diagnostic_info(0),
            Err(OpcUaError::TooDeep { .. })
        ));
        assert_eq!(
            Ua::new(&[0x20, 1, 0, 0, 0x80], 0).diagnostic_info(0),
            Ok(())
        );
    }

    #[test]
    fn rejects_unknown_types_and_chunk_types() {
        assert_eq!(header(b"GET / HT"), Ok(None));
        assert_eq!(
            header(b"MSGX\x10\0\0\0"),
            Err(OpcUaError::ChunkType { found: b'X' })
        );
    }
}
