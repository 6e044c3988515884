//! Pure parsing of MQTT control packets: no state, no allocation, every error located.

use rampart_dissect::{Reader, Truncated};

use super::message::{Connect, FixedHeader, LEVEL_5, Packet, PacketType, Publish};

/// Why a fixed header is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Packet type 0 is reserved (spec §2.2.1).
    #[error("packet type 0 at offset 0 is reserved")]
    Reserved,
    /// The remaining length continues past its fourth byte (spec §2.2.3).
    #[error("remaining length at offset 1 runs past four bytes")]
    Length,
}

/// Read a fixed header; `Ok(None)` when more bytes are needed to finish it.
pub fn fixed_header(data: &[u8]) -> Result<Option<FixedHeader>, HeaderError> {
    let Some(&first) = data.first() else {
        return Ok(None);
    };
    let kind = PacketType(first >> 4);
    if kind.0 == 0 {
        return Err(HeaderError::Reserved);
    }
    let mut remaining = 0usize;
    for i in 0..4 {
        let Some(&b) = data.get(1 + i) else {
            return Ok(None);
        };
        remaining |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some(FixedHeader {
                kind,
                flags: first & 0x0f,
                remaining,
                len: 2 + i,
            }));
        }
    }
    Err(HeaderError::Length)
}

/// Tell whether `data` starts with a fixed header whose flags fit its type, and how long its
/// packet is: what resynchronisation and the probe look for.
pub fn plausible(data: &[u8]) -> Option<usize> {
    let h = fixed_header(data).ok()??;
    h.kind.flags_valid(h.flags).then(|| h.total())
}

/// Why a packet could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// A field runs past the end of the packet.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// A variable byte integer runs past four bytes (spec §1.5.5).
    #[error("{field} at offset {offset} runs past four bytes")]
    VarInt {
        /// The field.
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
}

impl PacketError {
    /// Return the anomaly code.
    pub fn code(&self) -> &'static str {
        match self {
            PacketError::Truncated(_) => "truncated_packet",
            PacketError::VarInt { .. } => "bad_variable_integer",
        }
    }

    /// Return the offset within the packet's variable part.
    pub fn offset(&self) -> usize {
        match self {
            PacketError::Truncated(t) => t.offset,
            PacketError::VarInt { offset, .. } => *offset,
        }
    }
}

/// Read a variable byte integer (spec §1.5.5).
fn var_int(r: &mut Reader<'_>, field: &'static str) -> Result<usize, PacketError> {
    let offset = r.offset();
    let mut value = 0usize;
    for i in 0..4 {
        let b = r.u8(field)?;
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(PacketError::VarInt { field, offset })
}

/// Read a two-byte-length string or binary field (spec §1.5.3).
fn string<'a>(r: &mut Reader<'a>, field: &'static str) -> Result<&'a [u8], PacketError> {
    let len = r.u16(field)?;
    Ok(r.bytes(field, usize::from(len))?)
}

/// Skip MQTT 5 properties (v5 §2.2.2): their length, then that many bytes, unread.
fn properties(r: &mut Reader<'_>, level: u8) -> Result<(), PacketError> {
    if level == LEVEL_5 {
        let len = var_int(r, "properties length")?;
        r.skip("properties", len)?;
    }
    Ok(())
}

/// Read a CONNECT's variable header and payload (spec §3.1.2, §3.1.3). The level is its own.
fn connect<'a>(r: &mut Reader<'a>) -> Result<Connect<'a>, PacketError> {
    let protocol_name = string(r, "protocol name")?;
    let level = r.u8("protocol level")?;
    let flags = r.u8("connect flags")?;
    let keep_alive = r.u16("keep alive")?;
    properties(r, level)?;
    let client_id = string(r, "client identifier")?;
    let (mut will_topic, mut will_payload_len) = (None, None);
    if flags & 0x04 != 0 {
        properties(r, level)?;
        will_topic = Some(string(r, "will topic")?);
        will_payload_len = Some(string(r, "will payload")?.len());
    }
    let username = if flags & 0x80 != 0 {
        Some(string(r, "user name")?)
    } else {
        None
    };
    let password = flags & 0x40 != 0;
    if password {
        string(r, "password")?;
    }
    Ok(Connect {
        protocol_name,
        level,
        flags,
        keep_alive,
        client_id,
        will_topic,
        will_payload_len,
        username,
        password,
    })
}

/// Read a PUBLISH's variable header from `body`, which may hold only the start of the packet
/// whose remaining length is `remaining`; `Ok(None)` when the header is not all there yet.
pub fn publish<'a>(
    flags: u8,
    body: &'a [u8],
    remaining: usize,
    level: u8,
) -> Result<Option<Publish<'a>>, PacketError> {
    let mut r = Reader::new(body.get(..remaining).unwrap_or(body));
    let head = (|| {
        let topic = string(&mut r, "topic name")?;
        let packet_id = if flags & 0x06 != 0 {
            Some(r.u16("packet identifier")?)
        } else {
            None
        };
        properties(&mut r, level)?;
        Ok::<_, PacketError>((topic, packet_id))
    })();
    match head {
        Ok((topic, packet_id)) => Ok(Some(Publish {
            topic,
            packet_id,
            payload_len: remaining.saturating_sub(r.offset()),
        })),
        Err(PacketError::Truncated(_)) if body.len() < remaining => Ok(None),
        Err(e) => Err(e),
    }
}

/// Read the packet after the fixed header `h`; `level` is the connection's protocol level
/// (4 when unknown). Returns the packet and how many bytes of `body` were not read.
pub fn packet<'a>(
    h: &FixedHeader,
    body: &'a [u8],
    level: u8,
) -> Result<(Packet<'a>, usize), PacketError> {
    let mut r = Reader::new(body);
    let v5 = level == LEVEL_5;
    let packet = match h.kind.0 {
        1 => Packet::Connect(connect(&mut r)?),
        2 => {
            let flags = r.u8("acknowledge flags")?;
            let code = r.u8("return code")?;
            if r.remaining() > 0 {
                properties(&mut r, level)?;
            }
            Packet::Connack {
                session_present: flags & 1 != 0,
                code,
            }
        }
        3 => {
            let p = publish(h.flags, body, body.len(), level)?.ok_or(Truncated {
                field: "topic name",
                offset: 0,
                needed: 2,
                available: body.len(),
            })?;
            r.skip("application message", body.len())?;
            Packet::Publish(p)
        }
        4..=7 => {
            let packet_id = r.u16("packet identifier")?;
            let reason = if v5 && r.remaining() > 0 {
                let code = r.u8("reason code")?;
                if r.remaining() > 0 {
                    properties(&mut r, level)?;
                }
                Some(code)
            } else {
                None
            };
            Packet::Ack { packet_id, reason }
        }
        8 | 10 => {
            let packet_id = r.u16("packet identifier")?;
            properties(&mut r, level)?;
            let filters = r.bytes("topic filters", r.remaining())?;
            if h.kind.0 == 8 {
                Packet::Subscribe { packet_id, filters }
            } else {
                Packet::Unsubscribe { packet_id, filters }
            }
        }
        9 | 11 => {
            let packet_id = r.u16("packet identifier")?;
            if v5 || h.kind.0 == 9 {
                properties(&mut r, level)?;
            }
            Packet::SubAck {
                packet_id,
                codes: r.bytes("return codes", r.remaining())?,
            }
        }
        12 | 13 => Packet::Ping,
        _ => {
            let reason = if r.remaining() > 0 {
                let code = r.u8("reason code")?;
                if r.remaining() > 0 {
                    properties(&mut r, LEVEL_5)?;
                }
                Some(code)
            } else {
                None
            };
            Packet::Reason(reason)
        }
    };
    Ok((packet, r.remaining()))
}

/// Iterate over SUBSCRIBE (`options` true: each filter is followed by an options byte) or
/// UNSUBSCRIBE topic filters, stopping at the first that runs past the end.
pub fn filters(
    data: &[u8],
    options: bool,
) -> impl Iterator<Item = Result<(&[u8], u8), PacketError>> + '_ {
    let mut r = Reader::new(data);
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || r.remaining() == 0 {
            return None;
        }
        let item = (|| {
            let topic = string(&mut r, "topic filter")?;
            let opts = if options {
                r.u8("subscription options")?
            } else {
                0
            };
            Ok((topic, opts))
        })();
        failed = item.is_err();
        Some(item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CONNECT of MQTT 3.1.1 (spec §3.1): client "c1", user "u", password "p", keep alive 60.
    const CONNECT: &[u8] = &[
        0x10, 0x14, // CONNECT, remaining length 20
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x04, // level 4
        0xc2, // user name, password, clean session
        0x00, 0x3c, // keep alive 60
        0x00, 0x02, b'c', b'1', // client identifier
        0x00, 0x01, b'u', // user name
        0x00, 0x01, b'p', // password
        0x00, 0x00, // (two bytes past the packet, to check the length is honoured)
    ];

    #[test]
    fn reads_a_connect_and_keeps_no_password() {
        let h = fixed_header(CONNECT).expect("valid").expect("complete");
        assert_eq!((h.kind, h.remaining, h.len), (PacketType::CONNECT, 20, 2));
        let body = &CONNECT[h.len..h.total()];
        let (packet, trailing) = packet(&h, body, 4).expect("parses");
        assert_eq!(trailing, 0);
        let Packet::Connect(c) = packet else {
            panic!("not a connect: {packet:?}");
        };
        assert_eq!(
            (c.protocol_name, c.level, c.keep_alive),
            (&b"MQTT"[..], 4, 60)
        );
        assert_eq!((c.client_id, c.username), (&b"c1"[..], Some(&b"u"[..])));
        assert!(c.password && c.username_flag() && !c.will_flag());
    }

    #[test]
    fn reads_remaining_lengths_of_up_to_four_bytes() {
        // 321 = 0xc1 0x02 (spec §2.2.3 example encoding).
        let h = fixed_header(&[0x30, 0xc1, 0x02])
            .expect("valid")
            .expect("complete");
        assert_eq!((h.remaining, h.len), (321, 3));
        assert_eq!(fixed_header(&[0x30, 0xff]), Ok(None));
        assert_eq!(
            fixed_header(&[0x30, 0xff, 0xff, 0xff, 0xff]),
            Err(HeaderError::Length)
        );
        assert_eq!(fixed_header(&[0x00, 0x00]), Err(HeaderError::Reserved));
    }

    #[test]
    fn reads_a_publish_header_before_its_payload_arrives() {
        // PUBLISH QoS 1, topic "a/b", packet id 10, then 1000 payload bytes not here yet.
        let body = [0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0a, 0xff];
        let p = publish(0x02, &body, 1007, 4)
            .expect("valid")
            .expect("header complete");
        assert_eq!(
            (p.topic, p.packet_id, p.payload_len),
            (&b"a/b"[..], Some(10), 1000)
        );
        assert_eq!(publish(0x02, &body[..3], 1007, 4), Ok(None));
        // MQTT 5: properties length 2 (a payload format indicator) before the payload.
        let v5 = [0x00, 0x01, b't', 0x02, 0x01, 0x01, b'x'];
        let p = publish(0x00, &v5, v5.len(), 5)
            .expect("valid")
            .expect("complete");
        assert_eq!(p.payload_len, 1);
    }

    #[test]
    fn names_the_field_a_short_packet_lacks() {
        let h = fixed_header(&[0x82, 0x03])
            .expect("valid")
            .expect("complete");
        let err = packet(&h, &[0x00], 4).expect_err("packet id cut");
        assert_eq!(err.code(), "truncated_packet");
        assert_eq!(
            err.to_string(),
            "packet identifier: needs 2 bytes at offset 0, 1 available"
        );
        let (p, _) = packet(&h, &[0x00, 0x01], 4).expect("no filters");
        assert_eq!(
            p,
            Packet::Subscribe {
                packet_id: 1,
                filters: &[]
            }
        );
        let topics: Vec<_> = filters(&[0x00, 0x01, b'#', 0x01, 0x00, 0x05], true).collect();
        assert_eq!(topics.len(), 2);
        assert_eq!(topics[0], Ok((&b"#"[..], 1)));
        assert!(topics[1].is_err());
    }
}
