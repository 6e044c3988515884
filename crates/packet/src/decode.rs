//! Link, network and transport decoding of one captured frame.
//!
//! Header slicing is etherparse's lax decoder: well kept, zero-copy, and it keeps every layer
//! it understood and says where it stopped, which is exactly what a monitor needs. This module
//! adds the link types etherparse does not know (Linux cooked v2, BSD loopback, raw IP
//! variants), 802.3/LLC/SNAP frames (CDP, STP), and flattens the result into a small copyable
//! summary that the flow table reads without matching on etherparse's types.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    EtherType, LaxIpPayloadSlice, LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, LinkSlice,
    TransportSlice, err::Layer,
};
use rampart_event::Mac;

/// A link type number from a capture file (pcap `LINKTYPE_*`).
pub type LinkTypeCode = u16;

/// Link types this decoder understands.
pub mod link {
    use super::LinkTypeCode;
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: LinkTypeCode = 0;
    /// Ethernet II and 802.3.
    pub const ETHERNET: LinkTypeCode = 1;
    /// Raw IP on some BSDs.
    pub const RAW_ALT12: LinkTypeCode = 12;
    /// Raw IP on OpenBSD.
    pub const RAW_ALT14: LinkTypeCode = 14;
    /// Raw IPv4 or IPv6.
    pub const RAW: LinkTypeCode = 101;
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkTypeCode = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkTypeCode = 113;
    /// Raw IPv4.
    pub const IPV4: LinkTypeCode = 228;
    /// Raw IPv6.
    pub const IPV6: LinkTypeCode = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkTypeCode = 276;
}

/// TCP header flags, as on the wire (low byte of the flags word).
pub mod tcp_flags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push function.
    pub const PSH: u8 = 0x08;
    /// Acknowledgment field significant.
    pub const ACK: u8 = 0x10;
    /// Urgent pointer field significant.
    pub const URG: u8 = 0x20;
}

/// The network layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network<'a> {
    /// Nothing decodable above the link layer.
    None,
    /// IPv4 or IPv6.
    Ip(IpHeader<'a>),
    /// An Ethernet II payload that is not IP (ARP, LLDP, Profinet, GOOSE, …).
    EtherType {
        /// The EtherType.
        ether_type: u16,
        /// The bytes after it.
        payload: &'a [u8],
    },
    /// An 802.3 frame with an LLC header (STP, CDP via SNAP, …).
    Llc {
        /// Destination service access point.
        dsap: u8,
        /// Source service access point.
        ssap: u8,
        /// SNAP organisation code and protocol id, when DSAP/SSAP are 0xAA.
        snap: Option<([u8; 3], u16)>,
        /// The bytes after the LLC (and SNAP) header.
        payload: &'a [u8],
    },
}

/// The fields of an IP header the pipeline uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// TTL or hop limit (an OS hint).
    pub ttl: u8,
    /// The transport protocol number.
    pub protocol: u8,
    /// Present when the payload is one fragment of a larger datagram.
    pub fragment: Option<Fragment<'a>>,
}

/// One IP fragment, for reassembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// The datagram identification.
    pub id: u32,
    /// Byte offset of this fragment in the datagram.
    pub offset: u16,
    /// Whether more fragments follow.
    pub more: bool,
    /// The fragment's bytes.
    pub payload: &'a [u8],
}

/// The transport layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// No transport header (not IP, a non-first fragment, or undecodable).
    None,
    /// TCP.
    Tcp(TcpHeader<'a>),
    /// UDP.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// The datagram payload.
        payload: &'a [u8],
    },
    /// ICMP or ICMPv6.
    Icmp {
        /// True for ICMPv6.
        v6: bool,
        /// Message type.
        icmp_type: u8,
        /// Message code.
        code: u8,
    },
    /// Another IP protocol, by number (IGMP, GRE, ESP, …).
    Other(u8),
}

/// The fields of a TCP header the flow table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags (see [`tcp_flags`]).
    pub flags: u8,
    /// Receive window.
    pub window: u16,
    /// Segment payload.
    pub payload: &'a [u8],
}

impl TcpHeader<'_> {
    /// Tell whether all of `flags` are set.
    pub fn has(&self, flags: u8) -> bool {
        self.flags & flags == flags
    }
}

/// Where and why decoding stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeProblem {
    /// The layer that could not be decoded (`ethernet`, `ipv4`, `tcp`, …).
    pub layer: &'static str,
    /// A stable reason code (`truncated`, `bad_header`, `unknown_link_type`, …).
    pub code: &'static str,
    /// Byte offset within the frame where the layer starts.
    pub offset: usize,
}

/// Everything the pipeline needs to know about one frame, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Source MAC, when the link layer has one.
    pub src_mac: Option<Mac>,
    /// Destination MAC, when the link layer has one.
    pub dst_mac: Option<Mac>,
    /// VLAN ids, outermost first (0 when untagged).
    pub vlans: [u16; 2],
    /// The network layer.
    pub network: Network<'a>,
    /// The transport layer.
    pub transport: Transport<'a>,
    /// Set when a layer could not be decoded.
    pub problem: Option<DecodeProblem>,
}

impl<'a> Decoded<'a> {
    fn empty() -> Decoded<'a> {
        Decoded {
            src_mac: None,
            dst_mac: None,
            vlans: [0, 0],
            network: Network::None,
            transport: Transport::None,
            problem: None,
        }
    }

    /// Return the IP header, if the frame carries IP.
    pub fn ip(&self) -> Option<&IpHeader<'a>> {
        match &self.network {
            Network::Ip(ip) => Some(ip),
            _ => None,
        }
    }

    /// Return the innermost VLAN id (0 when untagged), the one a flow is keyed on.
    pub fn vlan(&self) -> u16 {
        if self.vlans[1] != 0 {
            self.vlans[1]
        } else {
            self.vlans[0]
        }
    }
}

/// Decode one frame of link type `link_type`. Total on any input: what cannot be decoded is
/// described in [`Decoded::problem`].
pub fn decode(link_type: LinkTypeCode, frame: &[u8]) -> Decoded<'_> {
    if link_type == link::ETHERNET
        && let Some(simple) = crate::fast::ethernet(frame)
    {
        return simple;
    }
    decode_with_etherparse(link_type, frame)
}

/// Decode one frame with etherparse's lax decoder (the path for everything the fast path
/// leaves alone).
pub(crate) fn decode_with_etherparse(link_type: LinkTypeCode, frame: &[u8]) -> Decoded<'_> {
    match link_type {
        link::ETHERNET => decode_ethernet(frame),
        link::RAW | link::RAW_ALT12 | link::RAW_ALT14 | link::IPV4 | link::IPV6 => {
            decode_ip(frame, 0)
        }
        link::NULL => decode_loopback(frame, u32::from_ne_bytes),
        link::LOOP => decode_loopback(frame, u32::from_be_bytes),
        link::LINUX_SLL => decode_sll(frame),
        link::LINUX_SLL2 => decode_sll2(frame),
        _ => problem_only("link", "unknown_link_type", 0),
    }
}

/// Decode the transport header of a reassembled IP datagram.
pub fn decode_transport(
    protocol: u8,
    v6: bool,
    payload: &[u8],
) -> Result<Transport<'_>, DecodeProblem> {
    use etherparse::{TcpSlice, UdpSlice};
    match protocol {
        6 => TcpSlice::from_slice(payload)
            .map(|t| tcp(&t))
            .map_err(|_| DecodeProblem {
                layer: "tcp",
                code: "bad_header",
                offset: 0,
            }),
        17 => UdpSlice::from_slice_lax(payload)
            .map(|u| Transport::Udp {
                src_port: u.source_port(),
                dst_port: u.destination_port(),
                payload: u.payload(),
            })
            .map_err(|_| DecodeProblem {
                layer: "udp",
                code: "truncated",
                offset: 0,
            }),
        1 | 58 => match payload {
            [t, c, _, _, ..] => Ok(Transport::Icmp {
                v6,
                icmp_type: *t,
                code: *c,
            }),
            _ => Err(DecodeProblem {
                layer: "icmp",
                code: "truncated",
                offset: 0,
            }),
        },
        other => Ok(Transport::Other(other)),
    }
}

fn problem_only(layer: &'static str, code: &'static str, offset: usize) -> Decoded<'static> {
    Decoded {
        problem: Some(DecodeProblem {
            layer,
            code,
            offset,
        }),
        ..Decoded::empty()
    }
}

fn decode_ethernet(frame: &[u8]) -> Decoded<'_> {
    let Ok(sliced) = LaxSlicedPacket::from_ethernet(frame) else {
        return problem_only("ethernet", "truncated", 0);
    };
    let mut out = Decoded::empty();
    if let Some(LinkSlice::Ethernet2(eth)) = &sliced.link {
        out.src_mac = Some(Mac(eth.source()));
        out.dst_mac = Some(Mac(eth.destination()));
        let ether_type = eth.ether_type().0;
        if ether_type <= 1500 {
            out.network = llc(eth.payload_slice(), ether_type);
            return out;
        }
    }
    fill(&mut out, &sliced, frame);
    out
}

fn decode_ip(frame: &[u8], link_len: usize) -> Decoded<'_> {
    match LaxSlicedPacket::from_ip(frame) {
        Ok(sliced) => {
            let mut out = Decoded::empty();
            fill(&mut out, &sliced, frame);
            if let Some(p) = &mut out.problem {
                p.offset += link_len;
            }
            out
        }
        Err(_) => problem_only("ip", "bad_header", link_len),
    }
}

fn decode_loopback(frame: &[u8], read: fn([u8; 4]) -> u32) -> Decoded<'_> {
    let Some((family, rest)) = frame.split_first_chunk::<4>() else {
        return problem_only("loopback", "truncated", 0);
    };
    // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
    match read(*family) {
        2 | 10 | 24 | 28 | 30 => decode_ip(rest, 4),
        _ => problem_only("loopback", "unknown_family", 0),
    }
}

fn decode_sll(frame: &[u8]) -> Decoded<'_> {
    // Linux cooked v1: 16-byte header, protocol type in the last two bytes.
    let Some((header, rest)) = frame.split_first_chunk::<16>() else {
        return problem_only("linux_sll", "truncated", 0);
    };
    let protocol = u16::from_be_bytes([header[14], header[15]]);
    let mut out = decode_ether_payload(protocol, rest, 16);
    if header[4..6] == [0, 6] {
        out.src_mac = Mac::from_slice(&header[6..12]);
    }
    out
}

fn decode_sll2(frame: &[u8]) -> Decoded<'_> {
    // Linux cooked v2: 20-byte header, protocol type first, link address at 12..20.
    let Some((header, rest)) = frame.split_first_chunk::<20>() else {
        return problem_only("linux_sll2", "truncated", 0);
    };
    let protocol = u16::from_be_bytes([header[0], header[1]]);
    let mut out = decode_ether_payload(protocol, rest, 20);
    if header[11] == 6 {
        out.src_mac = Mac::from_slice(&header[12..18]);
    }
    out
}

fn decode_ether_payload(ether_type: u16, payload: &[u8], offset: usize) -> Decoded<'_> {
    let sliced = LaxSlicedPacket::from_ether_type(EtherType(ether_type), payload);
    let mut out = Decoded::empty();
    fill(&mut out, &sliced, payload);
    if let Some(p) = &mut out.problem {
        p.offset += offset;
    }
    out
}

fn llc(payload: &[u8], length: u16) -> Network<'_> {
    let payload = payload.get(..usize::from(length)).unwrap_or(payload);
    match payload {
        [0xaa, 0xaa, 0x03, o1, o2, o3, p1, p2, rest @ ..] => Network::Llc {
            dsap: 0xaa,
            ssap: 0xaa,
            snap: Some(([*o1, *o2, *o3], u16::from_be_bytes([*p1, *p2]))),
            payload: rest,
        },
        [dsap, ssap, _control, rest @ ..] => Network::Llc {
            dsap: *dsap,
            ssap: *ssap,
            snap: None,
            payload: rest,
        },
        _ => Network::None,
    }
}

/// Copy what etherparse found into the summary.
fn fill<'a>(out: &mut Decoded<'a>, sliced: &LaxSlicedPacket<'a>, frame: &'a [u8]) {
    let mut tags = 0;
    let mut last_ether_payload = None;
    for ext in &sliced.link_exts {
        if let LaxLinkExtSlice::Vlan(vlan) = ext {
            if tags < 2 {
                out.vlans[tags] = vlan.vlan_identifier().value();
            }
            tags += 1;
            last_ether_payload = Some(vlan.payload());
        }
    }
    if let Some((_, layer)) = &sliced.stop_err {
        let offset = frame.len().saturating_sub(err_remaining(sliced, frame));
        out.problem = Some(DecodeProblem {
            layer: layer_name(*layer),
            code: "bad_header",
            offset,
        });
    }
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let payload = v4.payload();
            let fragment = h.is_fragmenting_payload().then(|| Fragment {
                id: u32::from(h.identification()),
                offset: h.fragments_offset().byte_offset(),
                more: h.more_fragments(),
                payload: payload.payload,
            });
            out.network = Network::Ip(IpHeader {
                src: IpAddr::V4(Ipv4Addr::from(h.source())),
                dst: IpAddr::V4(Ipv4Addr::from(h.destination())),
                ttl: h.ttl(),
                protocol: payload.ip_number.0,
                fragment,
            });
            note_incomplete(out, payload, "ipv4", frame);
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let payload = v6.payload();
            let fragment =
                ipv6_fragment(h.next_header().0, v6.extensions().slice(), payload.payload);
            out.network = Network::Ip(IpHeader {
                src: IpAddr::V6(Ipv6Addr::from(h.source())),
                dst: IpAddr::V6(Ipv6Addr::from(h.destination())),
                ttl: h.hop_limit(),
                protocol: payload.ip_number.0,
                fragment,
            });
            note_incomplete(out, payload, "ipv6", frame);
        }
        Some(LaxNetSlice::Arp(arp)) => {
            // The whole Ethernet payload, padding included: non-zero padding after an ARP
            // message is a leak (Etherleak) the ARP dissector reports.
            let padded = last_ether_payload
                .clone()
                .or_else(|| match &sliced.link {
                    Some(LinkSlice::Ethernet2(eth)) => Some(eth.payload()),
                    _ => None,
                })
                .map_or(arp.slice(), |p| p.payload);
            out.network = Network::EtherType {
                ether_type: 0x0806,
                payload: padded,
            };
        }
        None => {
            let ether_payload = last_ether_payload.or_else(|| match &sliced.link {
                Some(LinkSlice::Ethernet2(eth)) => Some(eth.payload()),
                Some(LinkSlice::EtherPayload(p)) => Some(p.clone()),
                _ => None,
            });
            if let Some(p) = ether_payload {
                let ether_type = p.ether_type.0;
                out.network = if ether_type <= 1500 {
                    llc(p.payload, ether_type)
                } else {
                    Network::EtherType {
                        ether_type,
                        payload: p.payload,
                    }
                };
            }
        }
    }
    out.transport = match &sliced.transport {
        Some(TransportSlice::Tcp(t)) => tcp(t),
        Some(TransportSlice::Udp(u)) => Transport::Udp {
            src_port: u.source_port(),
            dst_port: u.destination_port(),
            payload: u.payload(),
        },
        Some(TransportSlice::Icmpv4(i)) => Transport::Icmp {
            v6: false,
            icmp_type: i.type_u8(),
            code: i.code_u8(),
        },
        Some(TransportSlice::Icmpv6(i)) => Transport::Icmp {
            v6: true,
            icmp_type: i.type_u8(),
            code: i.code_u8(),
        },
        _ => match out.ip() {
            Some(ip) if ip.fragment.is_none() && !matches!(ip.protocol, 6 | 17 | 1 | 58) => {
                Transport::Other(ip.protocol)
            }
            _ => Transport::None,
        },
    };
}

/// Find the fragment header among IPv6 extension headers (RFC 8200 §4.5), walking their raw
/// bytes with bounds checks. etherparse's extension iterator is not used here: the fuzz
/// target found it reading past its buffer (unchecked slicing) on headers that the lax parse
/// had accepted, so the walk is done in safe code.
fn ipv6_fragment<'a>(first: u8, mut extensions: &[u8], payload: &'a [u8]) -> Option<Fragment<'a>> {
    let mut next = first;
    loop {
        match next {
            44 => {
                let header = extensions.get(..8)?;
                let offset_flags = u16::from_be_bytes([header[2], header[3]]);
                let more = offset_flags & 1 == 1;
                let offset = offset_flags & 0xfff8;
                if !more && offset == 0 {
                    return None;
                }
                return Some(Fragment {
                    id: u32::from_be_bytes([header[4], header[5], header[6], header[7]]),
                    offset,
                    more,
                    payload,
                });
            }
            0 | 43 | 60 | 51 => {
                let length = match (next, extensions.get(1)) {
                    (51, Some(&l)) => (usize::from(l) + 2) * 4,
                    (_, Some(&l)) => (usize::from(l) + 1) * 8,
                    (_, None) => return None,
                };
                next = *extensions.first()?;
                extensions = extensions.get(length..)?;
            }
            _ => return None,
        }
    }
}

fn tcp<'a>(t: &etherparse::TcpSlice<'a>) -> Transport<'a> {
    let flags = t.header_slice().get(13).copied().unwrap_or(0);
    Transport::Tcp(TcpHeader {
        src_port: t.source_port(),
        dst_port: t.destination_port(),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        flags,
        window: t.window_size(),
        payload: t.payload(),
    })
}

/// Record that the IP length field claimed more than was captured (snaplen cuts are common
/// and not an attack; they are still worth counting).
fn note_incomplete(
    out: &mut Decoded<'_>,
    payload: &LaxIpPayloadSlice<'_>,
    layer: &'static str,
    frame: &[u8],
) {
    if payload.incomplete && out.problem.is_none() {
        let start = frame.len() - payload.payload.len();
        out.problem = Some(DecodeProblem {
            layer,
            code: "truncated",
            offset: start,
        });
    }
}

/// Estimate how many bytes remained where decoding stopped: the start of the deepest layer
/// that was decoded, or the whole frame.
fn err_remaining(sliced: &LaxSlicedPacket<'_>, frame: &[u8]) -> usize {
    match (&sliced.transport, &sliced.net) {
        (Some(_), _) => 0,
        (None, Some(LaxNetSlice::Ipv4(v4))) => v4.payload().payload.len(),
        (None, Some(LaxNetSlice::Ipv6(v6))) => v6.payload().payload.len(),
        _ => match sliced.link_exts.last() {
            Some(LaxLinkExtSlice::Vlan(v)) => v.payload().payload.len(),
            _ => frame.len().saturating_sub(14),
        },
    }
}

fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::LinuxSllHeader => "linux_sll",
        Layer::Ethernet2Header | Layer::EtherPayload => "ethernet",
        Layer::VlanHeader => "vlan",
        Layer::MacsecHeader | Layer::MacsecPacket => "macsec",
        Layer::IpHeader => "ip",
        Layer::Ipv4Header | Layer::Ipv4Packet => "ipv4",
        Layer::Ipv6Header | Layer::Ipv6Packet => "ipv6",
        Layer::TcpHeader => "tcp",
        Layer::UdpHeader => "udp",
        Layer::Icmpv4 | Layer::Icmpv4Timestamp | Layer::Icmpv4TimestampReply => "icmp",
        Layer::Icmpv6 => "icmpv6",
        Layer::Arp => "arp",
        _ => "ip_extension",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    const SRC: [u8; 6] = [0x00, 0x1b, 0x1b, 0x01, 0x02, 0x03];
    const DST: [u8; 6] = [0x00, 0x0e, 0x8c, 0x0a, 0x0b, 0x0c];

    fn tcp_frame(payload: &[u8]) -> Vec<u8> {
        let builder = PacketBuilder::ethernet2(SRC, DST)
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(49152, 502, 1000, 8192)
            .syn();
        let mut out = Vec::new();
        builder.write(&mut out, payload).expect("in-memory write");
        out
    }

    #[test]
    fn decodes_ethernet_ipv4_tcp() {
        let frame = tcp_frame(b"\x00\x01");
        let d = decode(link::ETHERNET, &frame);
        assert_eq!(d.src_mac, Some(Mac(SRC)));
        let ip = d.ip().expect("ip");
        assert_eq!(ip.src.to_string(), "10.0.0.1");
        assert_eq!(ip.ttl, 64);
        let Transport::Tcp(t) = d.transport else {
            panic!("expected tcp, got {:?}", d.transport)
        };
        assert_eq!((t.src_port, t.dst_port, t.seq), (49152, 502, 1000));
        assert!(t.has(tcp_flags::SYN));
        assert_eq!(t.payload, b"\x00\x01");
        assert_eq!(d.problem, None);
    }

    #[test]
    fn decodes_qinq_vlans_outermost_first() {
        let builder = PacketBuilder::ethernet2(SRC, DST)
            .double_vlan(
                etherparse::VlanId::try_new(100).expect("valid"),
                etherparse::VlanId::try_new(7).expect("valid"),
            )
            .ipv6([1; 16], [2; 16], 32)
            .udp(5353, 5353);
        let mut frame = Vec::new();
        builder.write(&mut frame, b"mdns").expect("in-memory write");
        let d = decode(link::ETHERNET, &frame);
        assert_eq!(d.vlans, [100, 7]);
        assert_eq!(d.vlan(), 7);
        assert!(matches!(
            d.transport,
            Transport::Udp {
                dst_port: 5353,
                payload: b"mdns",
                ..
            }
        ));
    }

    #[test]
    fn decodes_raw_ip_and_bsd_loopback() {
        let frame = tcp_frame(b"");
        let raw = &frame[14..];
        assert!(matches!(
            decode(link::RAW, raw).transport,
            Transport::Tcp(_)
        ));
        let mut null = 2u32.to_ne_bytes().to_vec();
        null.extend_from_slice(raw);
        assert!(matches!(
            decode(link::NULL, &null).transport,
            Transport::Tcp(_)
        ));
        let mut lo = 2u32.to_be_bytes().to_vec();
        lo.extend_from_slice(raw);
        assert!(matches!(
            decode(link::LOOP, &lo).transport,
            Transport::Tcp(_)
        ));
    }

    #[test]
    fn decodes_linux_cooked_v1_and_v2() {
        let frame = tcp_frame(b"");
        let raw = &frame[14..];
        let mut v1 = vec![0, 0, 0, 1, 0, 6]; // packet type, ARPHRD_ETHER, address length 6
        v1.extend_from_slice(&SRC);
        v1.extend_from_slice(&[0, 0, 0x08, 0x00]); // padding, protocol IPv4
        v1.extend_from_slice(raw);
        let d = decode(link::LINUX_SLL, &v1);
        assert_eq!(d.src_mac, Some(Mac(SRC)));
        assert!(matches!(d.transport, Transport::Tcp(_)));

        let mut v2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6]; // protocol, reserved, ifindex, ARPHRD, type, addr len
        v2.extend_from_slice(&SRC);
        v2.extend_from_slice(&[0, 0]);
        v2.extend_from_slice(raw);
        let d = decode(link::LINUX_SLL2, &v2);
        assert_eq!(d.src_mac, Some(Mac(SRC)));
        assert!(matches!(d.transport, Transport::Tcp(_)));
    }

    #[test]
    fn decodes_llc_snap_frames_such_as_cdp() {
        let mut frame = vec![0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc];
        frame.extend_from_slice(&SRC);
        frame.extend_from_slice(&[0x00, 0x0c]); // 802.3 length 12
        frame.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00]); // LLC SNAP Cisco CDP
        frame.extend_from_slice(&[0x02, 0xb4, 0x00, 0x00]); // CDP v2, ttl 180, checksum
        let d = decode(link::ETHERNET, &frame);
        assert_eq!(
            d.network,
            Network::Llc {
                dsap: 0xaa,
                ssap: 0xaa,
                snap: Some(([0, 0, 0x0c], 0x2000)),
                payload: &[0x02, 0xb4, 0x00, 0x00],
            }
        );
    }

    #[test]
    fn keeps_non_ip_ethertype_payloads() {
        let mut frame = DST.to_vec();
        frame.extend_from_slice(&SRC);
        frame.extend_from_slice(&[0x88, 0xcc, 0x02, 0x07]);
        let d = decode(link::ETHERNET, &frame);
        assert_eq!(
            d.network,
            Network::EtherType {
                ether_type: 0x88cc,
                payload: &[0x02, 0x07]
            }
        );
    }

    #[test]
    fn reports_truncated_tcp_header_with_offset() {
        let frame = tcp_frame(b"");
        let cut = &frame[..14 + 20 + 10];
        let d = decode(link::ETHERNET, cut);
        assert!(d.ip().is_some());
        let p = d.problem.expect("problem reported");
        assert_eq!(p.layer, "tcp");
        assert_eq!(p.offset, 34);
        assert_eq!(d.transport, Transport::None);
    }

    #[test]
    fn exposes_fragment_and_no_transport_for_fragments() {
        let mut frame = tcp_frame(b"0123456789abcdef");
        // Set "more fragments" and fragment offset 0 on the IPv4 header (bytes 20-21 of IP).
        frame[14 + 6] = 0x20;
        let d = decode(link::ETHERNET, &frame);
        let frag = d.ip().and_then(|ip| ip.fragment).expect("fragment");
        assert!(frag.more);
        assert_eq!(frag.offset, 0);
        assert_eq!(d.transport, Transport::None);
    }

    #[test]
    fn survives_the_ipv6_extension_headers_that_broke_etherparse_iteration() {
        // Found by the `packet` fuzz target: raw IPv6 (link type 228) whose hop-by-hop and
        // following extension lengths run past the end of the frame.
        let frame = [
            0x69, 0x31, 0x65, 0x69, 0xff, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00,
            0xff, 0x00, 0x00, 0x00, 0x35, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0x69, 0x29,
        ];
        let _ = decode(link::IPV6, &frame);
        let _ = decode(link::RAW, &frame);
    }

    #[test]
    fn finds_the_ipv6_fragment_header_behind_other_extensions() {
        let exts = [
            17, 0, 0, 0, 0, 0, 0, 0, // destination options (8 bytes), next header UDP
        ];
        assert_eq!(ipv6_fragment(60, &exts, b""), None, "no fragment header");
        let chain = [
            44, 0, 0, 0, 0, 0, 0, 0, // destination options (8 bytes), next: fragment
            17, 0, 0x00, 0x11, 0, 0, 0,
            9, // fragment: next UDP, offset 2 (16 bytes), M=1, id 9
        ];
        let f = ipv6_fragment(60, &chain, b"x").expect("fragment");
        assert_eq!((f.id, f.offset, f.more), (9, 16, true));
        assert_eq!(ipv6_fragment(60, &chain[..12], b"x"), None, "cut header");
    }

    #[test]
    fn survives_garbage_for_every_link_type() {
        let garbage: Vec<u8> = (0..=255u8).collect();
        for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999] {
            for len in 0..garbage.len() {
                let _ = decode(lt, &garbage[..len]);
            }
        }
    }
}
