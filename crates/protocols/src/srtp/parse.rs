//! Pure parsing of SRTP messages: no state, no allocation.

use rampart_dissect::Reader;

use super::message::{
    EXTENDED_REQUEST, HEADER_LEN, Message, PacketType, Service, ServiceRequest, Status,
    message_type_name,
};

/// The largest text buffer read as SRTP: a program block transfer carries a few kilobytes.
pub const MAX_TEXT: usize = 16 * 1024;

/// Why 56 bytes are not an SRTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A packet type no source names.
    #[error("packet type {0} at offset 0 is not SRTP's")]
    PacketType(u8),
    /// A request or response whose mailbox message type no source names.
    #[error("message type 0x{0:02x} at offset 31 is not a mailbox message type")]
    MessageType(u8),
    /// A text buffer longer than any message.
    #[error("text length {0} at offset 4 is over {MAX_TEXT}")]
    TextLength(usize),
}

/// Read the header at the start of `data`: `Ok(None)` when fewer than 56 bytes are there.
/// The text buffer is not required to be present; [`total`] says how long the message is.
pub fn header(data: &[u8]) -> Result<Option<Message<'_>>, HeaderError> {
    let Some(head) = data.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let le16 = |i: usize| u16::from_le_bytes([head[i], head[i + 1]]);
    let le32 = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let packet_type = PacketType(head[0]);
    if packet_type.name().is_none() || head[1] != 0 {
        return Err(HeaderError::PacketType(head[0]));
    }
    let message_type = head[31];
    let service = matches!(packet_type, PacketType::REQUEST | PacketType::RESPONSE);
    if service && message_type_name(message_type).is_none() {
        return Err(HeaderError::MessageType(message_type));
    }
    let text_length = le16(4);
    if usize::from(text_length) > MAX_TEXT {
        return Err(HeaderError::TextLength(text_length.into()));
    }
    let body: &[u8; 14] = head[42..56]
        .try_into()
        .map_err(|_| HeaderError::PacketType(head[0]))?;
    let end = (HEADER_LEN + usize::from(text_length)).min(data.len());
    Ok(Some(Message {
        packet_type,
        sequence: le16(2),
        text_length,
        message_type,
        mailbox_source: le32(32),
        mailbox_destination: le32(36),
        packet: (head[40], head[41]),
        body,
        text: &data[HEADER_LEN..end],
    }))
}

/// Return the length of the whole message `m` heads.
pub fn total(m: &Message<'_>) -> usize {
    HEADER_LEN + usize::from(m.text_length)
}

/// Read a request's service fields: at byte 42 in the short form, at byte 50 in the extended
/// form (0x80), whose first eight body bytes are unknown.
pub fn service_request(m: &Message<'_>) -> ServiceRequest {
    let b = if m.message_type == EXTENDED_REQUEST {
        &m.body[8..]
    } else {
        &m.body[..]
    };
    let mut r = Reader::new(b);
    ServiceRequest {
        service: Service(r.u8("service").unwrap_or(0)),
        selector: r.u8("segment selector").unwrap_or(0),
        index: r.u16_le("index").unwrap_or(0),
        count: r.u16_le("count").unwrap_or(0),
    }
}

/// Read a reply's status fields (the paper, table 4; GFK-0529 table 3-8 for the status word).
pub fn status(m: &Message<'_>) -> Status {
    let b = m.body;
    Status {
        major: b[0],
        minor: b[1],
        program: b[8],
        privilege: b[9],
        sweep_time: u16::from_le_bytes([b[10], b[11]]),
        word: u16::from_le_bytes([b[12], b[13]]),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A short request (the paper, table 1): read system memory, registers %R1-%R4.
    pub fn read_registers(sequence: u8) -> [u8; 56] {
        let mut m = [0u8; 56];
        m[0] = 0x02; // packet type: request
        m[2] = sequence; // sequence number
        m[9] = 0x01; // reserved, fixed
        m[17] = 0x01; // reserved, fixed
        m[30] = sequence; // sequence number, repeated
        m[31] = 0xc0; // message type: request mailbox message
        m[36..40].copy_from_slice(&[0x10, 0x0e, 0x00, 0x00]); // destination: CPU in slot 1
        m[40] = 0x01; // packet 1
        m[41] = 0x01; // of 1
        m[42] = 0x04; // service: read system memory
        m[43] = 0x08; // segment selector: %R, words
        m[44..46].copy_from_slice(&0u16.to_le_bytes()); // index 0 (%R1)
        m[46..48].copy_from_slice(&4u16.to_le_bytes()); // 4 words
        m
    }

    #[test]
    fn reads_a_short_request() {
        let data = read_registers(7);
        let m = header(&data).expect("valid").expect("complete");
        assert_eq!(
            (m.packet_type, m.sequence, m.message_type, total(&m)),
            (PacketType::REQUEST, 7, 0xc0, 56)
        );
        let s = service_request(&m);
        assert_eq!(
            (s.service.name(), s.selector, s.index, s.count),
            (Some("read_system_memory"), 8, 0, 4)
        );
        assert_eq!(m.mailbox_destination, 0x0e10);
    }

    #[test]
    fn rejects_what_is_not_a_header() {
        let mut data = read_registers(1);
        data[31] = 0x55;
        assert_eq!(header(&data), Err(HeaderError::MessageType(0x55)));
        data[0] = 0x09;
        assert_eq!(header(&data), Err(HeaderError::PacketType(9)));
        assert_eq!(header(&data[..40]), Ok(None));
        let init = [0u8; 56];
        assert_eq!(
            header(&init).expect("valid").map(|m| m.packet_type),
            Some(PacketType::INIT)
        );
    }

    #[test]
    fn reads_the_plc_state_from_a_reply() {
        let mut data = read_registers(1);
        data[0] = 0x03;
        data[31] = 0xd4;
        data[42] = 0x00; // no error
        data[50] = 0xff; // not logged in to a program task
        data[51] = 0x02; // privilege level 2
        data[54..56].copy_from_slice(&0x6100u16.to_le_bytes()); // stop I/O enabled, run switch
        let m = header(&data).expect("valid").expect("complete");
        let s = status(&m);
        assert_eq!(
            (s.major, s.program, s.privilege, s.word >> 12),
            (0, 0xff, 2, 6)
        );
    }
}
