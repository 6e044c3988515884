//! Ethernet frames for the engine tests: a client and a server named by their MACs, each
//! at `10.0.0.N` where N is the last octet of its MAC.

#![allow(dead_code)] // each test binary uses a different part

use etherparse::PacketBuilder;

/// The IPv4 address of the host with MAC `mac`.
fn ip(mac: [u8; 6]) -> [u8; 4] {
    [10, 0, 0, mac[5]]
}

/// The (source MAC, destination MAC, source port, destination port) of a message.
fn ends(
    (client, server): ([u8; 6], [u8; 6]),
    (client_port, server_port): (u16, u16),
    from_client: bool,
) -> ([u8; 6], [u8; 6], u16, u16) {
    if from_client {
        (client, server, client_port, server_port)
    } else {
        (server, client, server_port, client_port)
    }
}

/// A TCP segment (PSH, ACK) between a client and a server, as MACs and ports.
pub fn tcp_between(
    hosts: ([u8; 6], [u8; 6]),
    ports: (u16, u16),
    from_client: bool,
    (seq, ack): (u32, u32),
    payload: &[u8],
) -> Vec<u8> {
    let (src, dst, sport, dport) = ends(hosts, ports, from_client);
    let mut out = Vec::new();
    PacketBuilder::ethernet2(src, dst)
        .ipv4(ip(src), ip(dst), 64)
        .tcp(sport, dport, seq, 8192)
        .ack(ack)
        .psh()
        .write(&mut out, payload)
        .expect("in-memory write");
    out
}

/// A UDP datagram between a client and a server, as MACs and ports.
pub fn udp_between(
    hosts: ([u8; 6], [u8; 6]),
    ports: (u16, u16),
    from_client: bool,
    payload: &[u8],
) -> Vec<u8> {
    let (src, dst, sport, dport) = ends(hosts, ports, from_client);
    let mut out = Vec::new();
    PacketBuilder::ethernet2(src, dst)
        .ipv4(ip(src), ip(dst), 64)
        .udp(sport, dport)
        .write(&mut out, payload)
        .expect("in-memory write");
    out
}
