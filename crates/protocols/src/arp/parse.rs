//! The ARP packet layout (RFC 826, "Packet format") and its code points (IANA "Address
//! Resolution Protocol (ARP) Parameters").

use std::net::Ipv4Addr;

use rampart_dissect::{Mac, Reader, Truncated};

/// Hardware type Ethernet (IANA hardware type 1).
pub const HW_ETHERNET: u16 = 1;
/// Hardware type IEEE 802 networks (IANA hardware type 6), also seen on Ethernet.
pub const HW_IEEE802: u16 = 6;
/// Protocol type IPv4 (the EtherType 0x0800).
pub const PROTO_IPV4: u16 = 0x0800;
/// Bytes before the addresses: hardware type, protocol type, both sizes, opcode.
pub const HEADER_LEN: usize = 8;

/// An ARP operation code, kept even when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opcode(pub u16);

impl Opcode {
    /// ARP request (RFC 826).
    pub const REQUEST: Opcode = Opcode(1);
    /// ARP reply (RFC 826).
    pub const REPLY: Opcode = Opcode(2);

    /// Name the operation as the IANA registry does, or `None` when it is unassigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "request",
            2 => "reply",
            3 => "rarp_request",
            4 => "rarp_reply",
            5 => "drarp_request",
            6 => "drarp_reply",
            7 => "drarp_error",
            8 => "inarp_request",
            9 => "inarp_reply",
            10 => "arp_nak",
            11 => "mars_request",
            12 => "mars_multi",
            13 => "mars_mserv",
            14 => "mars_join",
            15 => "mars_leave",
            16 => "mars_nak",
            17 => "mars_unserv",
            18 => "mars_sjoin",
            19 => "mars_sleave",
            20 => "mars_grouplist_request",
            21 => "mars_grouplist_reply",
            22 => "mars_redirect_map",
            23 => "mapos_unarp",
            24 => "op_exp1",
            25 => "op_exp2",
            _ => return None,
        })
    }
}

/// One ARP packet, borrowing its addresses from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpPacket<'a> {
    /// Hardware address space (1 = Ethernet).
    pub hw_type: u16,
    /// Protocol address space (0x0800 = IPv4).
    pub proto_type: u16,
    /// Length of each hardware address.
    pub hw_size: u8,
    /// Length of each protocol address.
    pub proto_size: u8,
    /// The operation.
    pub opcode: Opcode,
    /// Sender hardware address.
    pub sender_hw: &'a [u8],
    /// Sender protocol address.
    pub sender_proto: &'a [u8],
    /// Target hardware address.
    pub target_hw: &'a [u8],
    /// Target protocol address.
    pub target_proto: &'a [u8],
    /// What follows the packet in the frame: Ethernet padding, normally all zero.
    pub padding: &'a [u8],
}

/// Why a frame is not a complete ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ArpError {
    /// Fewer than eight bytes: not even the fixed header.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// The address sizes claim more bytes than the frame holds.
    #[error(
        "hardware size {hw_size} and protocol size {proto_size} need {needed} address bytes at offset 8, {available} available"
    )]
    AddressesTruncated {
        /// The hardware size field.
        hw_size: u8,
        /// The protocol size field.
        proto_size: u8,
        /// Address bytes the sizes call for.
        needed: usize,
        /// Bytes after the header.
        available: usize,
    },
}

impl ArpError {
    /// Return the anomaly code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ArpError::Truncated(_) => "truncated",
            ArpError::AddressesTruncated { .. } => "address_length_mismatch",
        }
    }
}

/// Parse one ARP packet from the bytes after the EtherType.
pub fn parse(data: &[u8]) -> Result<ArpPacket<'_>, ArpError> {
    let mut r = Reader::new(data);
    let hw_type = r.u16("hardware type")?;
    let proto_type = r.u16("protocol type")?;
    let hw_size = r.u8("hardware size")?;
    let proto_size = r.u8("protocol size")?;
    let opcode = Opcode(r.u16("opcode")?);
    let (hw, proto) = (usize::from(hw_size), usize::from(proto_size));
    let needed = 2 * (hw + proto);
    if needed > r.remaining() {
        return Err(ArpError::AddressesTruncated {
            hw_size,
            proto_size,
            needed,
            available: r.remaining(),
        });
    }
    Ok(ArpPacket {
        hw_type,
        proto_type,
        hw_size,
        proto_size,
        opcode,
        sender_hw: r.bytes("sender hardware address", hw)?,
        sender_proto: r.bytes("sender protocol address", proto)?,
        target_hw: r.bytes("target hardware address", hw)?,
        target_proto: r.bytes("target protocol address", proto)?,
        padding: r.rest(),
    })
}

impl ArpPacket<'_> {
    /// Tell whether the hardware addresses are Ethernet MACs.
    fn has_macs(&self) -> bool {
        matches!(self.hw_type, HW_ETHERNET | HW_IEEE802) && self.hw_size == 6
    }

    /// Tell whether the protocol addresses are IPv4 addresses.
    fn has_ipv4(&self) -> bool {
        self.proto_type == PROTO_IPV4 && self.proto_size == 4
    }

    /// Return the sender MAC, when the hardware addresses are Ethernet.
    pub fn sender_mac(&self) -> Option<Mac> {
        self.has_macs().then(|| Mac::from_slice(self.sender_hw))?
    }

    /// Return the target MAC, when the hardware addresses are Ethernet.
    pub fn target_mac(&self) -> Option<Mac> {
        self.has_macs().then(|| Mac::from_slice(self.target_hw))?
    }

    /// Return the sender IPv4 address, when the protocol addresses are IPv4.
    pub fn sender_ip(&self) -> Option<Ipv4Addr> {
        self.has_ipv4().then(|| ipv4(self.sender_proto))?
    }

    /// Return the target IPv4 address, when the protocol addresses are IPv4.
    pub fn target_ip(&self) -> Option<Ipv4Addr> {
        self.has_ipv4().then(|| ipv4(self.target_proto))?
    }
}

fn ipv4(bytes: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(bytes).ok().map(Ipv4Addr::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ARP request from 00:1b:1b:01:02:03 / 192.168.0.10 for 192.168.0.1 (RFC 826).
    const REQUEST: [u8; 28] = [
        0x00, 0x01, // hardware type 1, Ethernet
        0x08, 0x00, // protocol type IPv4
        0x06, // hardware size 6
        0x04, // protocol size 4
        0x00, 0x01, // opcode 1, request
        0x00, 0x1b, 0x1b, 0x01, 0x02, 0x03, // sender MAC
        192, 168, 0, 10, // sender IP
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC, unknown
        192, 168, 0, 1, // target IP
    ];

    #[test]
    fn decodes_ethernet_ipv4_request() {
        let p = parse(&REQUEST).expect("complete request");
        assert_eq!(p.opcode, Opcode::REQUEST);
        assert_eq!(p.sender_mac(), Some(Mac([0, 0x1b, 0x1b, 1, 2, 3])));
        assert_eq!(p.sender_ip(), Some(Ipv4Addr::new(192, 168, 0, 10)));
        assert_eq!(p.target_mac(), Some(Mac([0; 6])));
        assert_eq!(p.target_ip(), Some(Ipv4Addr::new(192, 168, 0, 1)));
        assert!(p.padding.is_empty());
    }

    #[test]
    fn keeps_other_address_kinds_as_bytes() {
        let mut bytes = REQUEST;
        bytes[2..4].copy_from_slice(&[0x86, 0xdd]); // protocol type IPv6, size still 4
        let p = parse(&bytes).expect("complete packet");
        assert_eq!(p.sender_ip(), None);
        assert_eq!(p.sender_proto, &[192, 168, 0, 10]);
    }

    #[test]
    fn rejects_sizes_that_run_past_the_frame() {
        let mut bytes = REQUEST;
        bytes[5] = 36; // protocol size 36: 2 * (6 + 36) = 84 address bytes
        assert_eq!(
            parse(&bytes),
            Err(ArpError::AddressesTruncated {
                hw_size: 6,
                proto_size: 36,
                needed: 84,
                available: 20
            })
        );
    }

    #[test]
    fn rejects_a_short_header() {
        let err = parse(&REQUEST[..5]).expect_err("five bytes");
        assert_eq!(err.code(), "truncated");
        assert_eq!(
            err.to_string(),
            "protocol size: needs 1 bytes at offset 5, 0 available"
        );
    }

    #[test]
    fn names_known_opcodes_only() {
        assert_eq!(Opcode(4).name(), Some("rarp_reply"));
        assert_eq!(Opcode(0xaaaa).name(), None);
    }
}
