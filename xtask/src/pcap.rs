//! The test capture of a scaffolded protocol: one TCP session of the template's toy format,
//! written as a classic pcap with correct IPv4 and TCP checksums.

/// Client and server addresses of the session.
const CLIENT: ([u8; 6], [u8; 4], u16) = ([0x02, 0, 0, 0x66, 0, 0x20], [10, 66, 0, 20], 50200);
const SERVER: ([u8; 6], [u8; 4]) = ([0x02, 0, 0, 0x66, 0, 0x10], [10, 66, 0, 10]);

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

/// A toy message: magic, function, flags, transaction id, length, payload.
fn message(function: u8, response: bool, tid: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![b'R', b'P', function, u8::from(response)];
    m.extend_from_slice(&tid.to_be_bytes());
    m.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    m.extend_from_slice(payload);
    m
}

fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    for chunk in chunks {
        for pair in chunk.chunks(2) {
            let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
            sum += u32::from(word);
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// One Ethernet/IPv4/TCP frame.
fn frame(from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8], port: u16) -> Vec<u8> {
    let (src, dst) = if from_client {
        ((CLIENT.0, CLIENT.1, CLIENT.2), (SERVER.0, SERVER.1, port))
    } else {
        ((SERVER.0, SERVER.1, port), (CLIENT.0, CLIENT.1, CLIENT.2))
    };
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&src.2.to_be_bytes());
    tcp.extend_from_slice(&dst.2.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[5 << 4, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let length = (tcp.len() as u16).to_be_bytes();
    let pseudo = [&src.1[..], &dst.1[..], &[0, 6], &length[..]].concat();
    let sum = checksum(&[&pseudo, &tcp]);
    tcp[16..18].copy_from_slice(&sum.to_be_bytes());
    let total = (20 + tcp.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    ip.extend_from_slice(&src.1);
    ip.extend_from_slice(&dst.1);
    let sum = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut out = Vec::new();
    out.extend_from_slice(&dst.0);
    out.extend_from_slice(&src.0);
    out.extend_from_slice(&[0x08, 0x00]);
    out.extend_from_slice(&ip);
    out.extend_from_slice(&tcp);
    out
}

/// A pcap of one session: handshake, a read, an identify, a write, an unknown function, close.
pub fn toy_session(port: u16) -> Vec<u8> {
    let exchanges: [(Vec<u8>, Vec<u8>); 4] = [
        (
            message(0x01, false, 1, &[0, 100, 0, 10]),
            message(0x01, true, 1, &[0; 20]),
        ),
        (
            message(0x11, false, 2, &[]),
            message(0x11, true, 2, b"Acme\0PLC-9\0v2.1"),
        ),
        (
            message(0x02, false, 3, &[0, 100, 0, 1, 0, 42]),
            message(0x02, true, 3, &[]),
        ),
        (message(0x5a, false, 4, &[]), message(0x5a, true, 4, &[])),
    ];
    let (mut c, mut s) = (1000u32, 5000u32);
    let mut frames = vec![
        frame(true, c, 0, SYN, &[], port),
        frame(false, s, c + 1, SYN | ACK, &[], port),
        frame(true, c + 1, s + 1, ACK, &[], port),
    ];
    c += 1;
    s += 1;
    for (request, response) in &exchanges {
        frames.push(frame(true, c, s, PSH | ACK, request, port));
        c += request.len() as u32;
        frames.push(frame(false, s, c, PSH | ACK, response, port));
        s += response.len() as u32;
    }
    frames.push(frame(true, c, s, FIN | ACK, &[], port));
    frames.push(frame(false, s, c + 1, FIN | ACK, &[], port));
    frames.push(frame(true, c + 1, s + 1, ACK, &[], port));
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0]);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&1_764_633_600u32.to_le_bytes());
        out.extend_from_slice(&((i as u32) * 1000).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_to_zero() {
        let f = frame(true, 1, 2, PSH | ACK, b"RPabc", 40000);
        let ip = &f[14..34];
        assert_eq!(checksum(&[ip]), 0);
        let tcp = &f[34..];
        let pseudo = [
            &ip[12..16],
            &ip[16..20],
            &[0, 6],
            &(tcp.len() as u16).to_be_bytes()[..],
        ]
        .concat();
        assert_eq!(checksum(&[&pseudo, tcp]), 0);
    }

    #[test]
    fn writes_a_classic_pcap_of_fourteen_frames() {
        let pcap = toy_session(40000);
        assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        let mut at = 24;
        let mut frames = 0;
        while at < pcap.len() {
            let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().expect("4 bytes"));
            at += 16 + len as usize;
            frames += 1;
        }
        assert_eq!((frames, at), (14, pcap.len()));
    }
}
