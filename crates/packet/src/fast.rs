//! The fast path: Ethernet (with up to two VLAN tags) carrying plain IPv4 or IPv6 with TCP,
//! UDP or ICMP, decoded by hand.
//!
//! Measured on the benchmark corpus, etherparse's lax decoder spent about 150 ns a frame,
//! most of it copying its large result structure between layers. Almost every frame on an
//! industrial network is this simple shape, so it is decoded here in a few comparisons; any
//! frame this path is not sure of (IP options it would have to judge, IPv6 extension headers,
//! lengths that do not add up, odd link layers) returns `None` and goes to the etherparse path,
//! which keeps the final word on everything unusual. A differential test holds the two paths
//! to the same answers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rampart_event::Mac;

use crate::decode::{Decoded, Fragment, IpHeader, Network, TcpHeader, Transport};

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Decode a simple Ethernet frame, or say it is not simple.
pub(crate) fn ethernet(frame: &[u8]) -> Option<Decoded<'_>> {
    let dst = Mac(frame.get(0..6)?.try_into().ok()?);
    let src = Mac(frame.get(6..12)?.try_into().ok()?);
    let mut ether_type = be16(frame, 12)?;
    let mut at = 14;
    let mut vlans = [0u16; 2];
    for slot in &mut vlans {
        if !matches!(ether_type, 0x8100 | 0x88a8 | 0x9100) {
            break;
        }
        *slot = be16(frame, at)? & 0x0fff;
        ether_type = be16(frame, at + 2)?;
        at += 4;
    }
    let packet = frame.get(at..)?;
    let (network, transport) = match ether_type {
        0x0800 => ipv4(packet)?,
        0x86dd => ipv6(packet)?,
        _ => return None,
    };
    Some(Decoded {
        src_mac: Some(src),
        dst_mac: Some(dst),
        vlans,
        network,
        transport,
        problem: None,
    })
}

fn ipv4(packet: &[u8]) -> Option<(Network<'_>, Transport<'_>)> {
    let first = *packet.first()?;
    let header_len = usize::from(first & 0x0f) * 4;
    let total = usize::from(be16(packet, 2)?);
    // Only the plain shape: version 4, no options, a length that fits the capture.
    if first != 0x45 || total < header_len || total > packet.len() {
        return None;
    }
    let flags_offset = be16(packet, 6)?;
    let protocol = *packet.get(9)?;
    let src: [u8; 4] = packet.get(12..16)?.try_into().ok()?;
    let dst: [u8; 4] = packet.get(16..20)?.try_into().ok()?;
    let payload = packet.get(header_len..total)?;
    let more = flags_offset & 0x2000 != 0;
    let offset = (flags_offset & 0x1fff) * 8;
    let fragment = (more || offset != 0).then(|| Fragment {
        id: u32::from(be16(packet, 4).unwrap_or(0)),
        offset,
        more,
        payload,
    });
    let transport = match fragment {
        Some(_) => Transport::None,
        None => transport(protocol, false, payload)?,
    };
    let ip = IpHeader {
        src: IpAddr::V4(Ipv4Addr::from(src)),
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        ttl: *packet.get(8)?,
        protocol,
        fragment,
    };
    Some((Network::Ip(ip), transport))
}

fn ipv6(packet: &[u8]) -> Option<(Network<'_>, Transport<'_>)> {
    if packet.first()? >> 4 != 6 {
        return None;
    }
    let payload_len = usize::from(be16(packet, 4)?);
    let next = *packet.get(6)?;
    // Extension headers and jumbograms are for the full decoder.
    if !matches!(next, 6 | 17 | 58) || payload_len == 0 || 40 + payload_len > packet.len() {
        return None;
    }
    let src: [u8; 16] = packet.get(8..24)?.try_into().ok()?;
    let dst: [u8; 16] = packet.get(24..40)?.try_into().ok()?;
    let payload = packet.get(40..40 + payload_len)?;
    let ip = IpHeader {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        ttl: *packet.get(7)?,
        protocol: next,
        fragment: None,
    };
    Some((Network::Ip(ip), transport(next, true, payload)?))
}

fn transport(protocol: u8, v6: bool, payload: &[u8]) -> Option<Transport<'_>> {
    match protocol {
        6 => {
            let header_len = usize::from(payload.get(12)? >> 4) * 4;
            if header_len < 20 || header_len > payload.len() {
                return None;
            }
            Some(Transport::Tcp(TcpHeader {
                src_port: be16(payload, 0)?,
                dst_port: be16(payload, 2)?,
                seq: be32(payload, 4)?,
                ack: be32(payload, 8)?,
                flags: *payload.get(13)?,
                window: be16(payload, 14)?,
                payload: payload.get(header_len..)?,
            }))
        }
        17 => {
            let length = usize::from(be16(payload, 4)?);
            // A UDP length that disagrees with IP is left to the full decoder's judgement.
            if length != payload.len() {
                return None;
            }
            Some(Transport::Udp {
                src_port: be16(payload, 0)?,
                dst_port: be16(payload, 2)?,
                payload: payload.get(8..)?,
            })
        }
        1 if !v6 => icmp(payload, false),
        58 if v6 => icmp(payload, true),
        _ => None,
    }
}

fn icmp(payload: &[u8], v6: bool) -> Option<Transport<'_>> {
    if payload.len() < 8 {
        return None;
    }
    Some(Transport::Icmp {
        v6,
        icmp_type: payload[0],
        code: payload[1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_with_etherparse, link};
    use etherparse::PacketBuilder;

    /// Frames of every simple shape, and each cut and mutated byte by byte: wherever the fast
    /// path answers, it must answer exactly as etherparse's decoding does.
    #[test]
    fn agrees_with_the_full_decoder_wherever_it_answers() {
        let mut frames = Vec::new();
        let eth = || PacketBuilder::ethernet2([0, 0x1b, 0x1b, 1, 2, 3], [0, 0x0e, 0x8c, 4, 5, 6]);
        let payload = b"0123456789abcdefghij";
        let mut f = Vec::new();
        eth()
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 502, 7, 1024)
            .ack(9)
            .psh()
            .write(&mut f, payload)
            .expect("write");
        frames.push(f);
        let mut f = Vec::new();
        eth()
            .ipv4([10, 0, 0, 1], [224, 0, 0, 251], 255)
            .udp(5353, 5353)
            .write(&mut f, payload)
            .expect("write");
        frames.push(f);
        let mut f = Vec::new();
        eth()
            .ipv6([1; 16], [2; 16], 64)
            .udp(546, 547)
            .write(&mut f, payload)
            .expect("write");
        frames.push(f);
        let mut f = Vec::new();
        eth()
            .ipv6([1; 16], [2; 16], 64)
            .tcp(443, 50000, 1, 100)
            .syn()
            .write(&mut f, payload)
            .expect("write");
        frames.push(f);
        let mut f = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .single_vlan(etherparse::VlanId::try_new(10).expect("vlan"))
            .ipv4([192, 168, 0, 1], [192, 168, 0, 2], 128)
            .icmpv4_echo_request(1, 2)
            .write(&mut f, payload)
            .expect("write");
        frames.push(f);
        for frame in &frames {
            assert!(
                ethernet(frame).is_some(),
                "a simple frame takes the fast path"
            );
        }
        let mut checked = 0;
        for frame in &frames {
            for cut in 0..=frame.len() {
                for flip in 0..frame.len().min(60) {
                    let mut bytes = frame[..cut].to_vec();
                    if let Some(b) = bytes.get_mut(flip) {
                        *b ^= 0x5a;
                    }
                    if let Some(fast) = ethernet(&bytes) {
                        let slow = decode_with_etherparse(link::ETHERNET, &bytes);
                        assert_eq!(fast, slow, "frame {bytes:02x?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 200, "the fast path answered {checked} times");
    }
}
