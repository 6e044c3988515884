//! Streaming SSH: one identification line then unencrypted binary packets per direction, until
//! each side's KEXINIT (or NEWKEYS) has gone by.

use memchr::memchr;
use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Identity, Record, Value, report, text,
};

use super::parse::{
    self, Banner, KexInit, MAX_BANNER, MSG_KEXINIT, MSG_NEWKEYS, NAME_LISTS, PacketError,
};

const PROTOCOL: &str = "ssh";

/// How long a line may grow while looking for its end: RFC 4253 caps identification lines at
/// 255 bytes, but pre-banner lines and sloppy implementations get some slack.
const MAX_LINE: usize = 1024;

/// How many non-identification lines a server may send before its banner (RFC 4253 section
/// 4.2 allows them) before we conclude this is not SSH.
const MAX_PRE_BANNER_LINES: u8 = 16;

/// Where one direction is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for the identification line; counts lines skipped before it.
    #[default]
    Banner,
    /// Reading unencrypted binary packets until KEXINIT.
    Packets,
    /// Nothing more of interest in this direction.
    Finished,
}

/// Per-flow SSH state.
#[derive(Debug, Default)]
pub struct SshDissector {
    stages: [Stage; 2],
    pre_banner_lines: u8,
    /// Set when either side speaks only SSH-1, whose packets this module does not read.
    ssh1: bool,
}

/// What one parsing step did.
enum Step {
    /// Used this many bytes; go on.
    Used(usize),
    /// A message is incomplete: wait for more bytes.
    NeedMore,
}

impl Dissector for SshDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            let step = match self.stages[dir.index()] {
                Stage::Banner => self.banner(dir, rest, sink),
                Stage::Packets => self.packet(dir, rest, sink),
                Stage::Finished => Step::Used(rest.len()),
            };
            match step {
                Step::Used(n) => at += n,
                Step::NeedMore => break,
            }
        }
        if self.stages.iter().all(|&s| s == Stage::Finished) {
            Feed::Done
        } else {
            Feed::Consumed(at)
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        // Unencrypted packets carry no marker to resynchronise on, and what follows a lost
        // KEXINIT is encrypted anyway.
        self.stages[dir.index()] = Stage::Finished;
    }
}

impl SshDissector {
    fn banner(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Step {
        let Some(end) = memchr(b'\n', &data[..data.len().min(MAX_LINE)]) else {
            if data.len() >= MAX_LINE {
                report(
                    sink,
                    PROTOCOL,
                    "banner_too_long",
                    Some(0),
                    &format_args!("no line end within {MAX_LINE} bytes"),
                );
                self.stages[dir.index()] = Stage::Finished;
                return Step::Used(data.len());
            }
            return Step::NeedMore;
        };
        let raw = data.get(..end).unwrap_or_default();
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = text(raw);
        match parse::parse_banner(&line) {
            Ok(banner) => {
                if end + 1 > MAX_BANNER {
                    report(
                        sink,
                        PROTOCOL,
                        "banner_too_long",
                        Some(0),
                        &format_args!("identification line of {} bytes exceeds 255", end + 1),
                    );
                }
                self.ssh1 |= banner.only_ssh1();
                self.stages[dir.index()] = Stage::Packets;
                emit_banner(dir, &banner, sink);
            }
            Err(parse::BannerError::NoPrefix)
                if dir == Direction::ToClient && self.pre_banner_lines < MAX_PRE_BANNER_LINES =>
            {
                self.pre_banner_lines += 1;
            }
            Err(err) => {
                report(sink, PROTOCOL, "bad_banner", Some(0), &err);
                self.stages[dir.index()] = Stage::Finished;
            }
        }
        Step::Used(end + 1)
    }

    fn packet(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Step {
        if self.ssh1 {
            self.stages[dir.index()] = Stage::Finished;
            return Step::Used(data.len());
        }
        let (payload, used) = match parse::split_packet(data) {
            Ok(Some(framed)) => framed,
            Ok(None) => return Step::NeedMore,
            Err(err) => {
                let code = match err {
                    PacketError::TooLong { .. } => "packet_too_long",
                    PacketError::Padding { .. } => "bad_padding_length",
                };
                report(sink, PROTOCOL, code, Some(0), &err);
                self.stages[dir.index()] = Stage::Finished;
                return Step::Used(data.len());
            }
        };
        match payload.first() {
            Some(&MSG_KEXINIT) => {
                match parse::parse_kexinit(payload) {
                    Ok(kexinit) => emit_kexinit(dir, &kexinit, sink),
                    Err(err) => report(sink, PROTOCOL, "bad_kexinit", Some(5), &err),
                }
                self.stages[dir.index()] = Stage::Finished;
            }
            Some(&MSG_NEWKEYS) => self.stages[dir.index()] = Stage::Finished,
            _ => {}
        }
        Step::Used(used)
    }
}

fn emit_banner(dir: Direction, banner: &Banner<'_>, sink: &mut dyn EventSink) {
    let mut fields = vec![
        ("banner", Value::Str(banner.line)),
        ("proto_version", Value::Str(banner.proto_version)),
        ("software", Value::Str(banner.software)),
    ];
    if let Some(comments) = banner.comments {
        fields.push(("comments", Value::Str(comments)));
    }
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "banner",
        direction: Some(dir),
        activity: None,
        fields: Fields(&fields),
    }));
    let identity = |attribute, value| {
        Event::Identity(Identity {
            protocol: PROTOCOL,
            subject: dir.sender(),
            attribute,
            value,
            confidence: Confidence::STRONG,
        })
    };
    sink.emit(identity(Attribute::Software, banner.software));
    if let Some(os) = banner.os_hint() {
        sink.emit(identity(Attribute::Os, os));
    }
    if banner.accepts_ssh1() {
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::WeakCrypto,
            subject: dir.sender(),
            fields: Fields(&[
                ("reason", Value::Str("ssh1_protocol")),
                ("proto_version", Value::Str(banner.proto_version)),
                ("software", Value::Str(banner.software)),
            ]),
        }));
    }
}

fn emit_kexinit(dir: Direction, kexinit: &KexInit<'_>, sink: &mut dyn EventSink) {
    let lists: Vec<Vec<&str>> = kexinit
        .lists
        .iter()
        .map(|l| l.split(',').filter(|n| !n.is_empty()).collect())
        .collect();
    let hassh_string = kexinit.hassh_string(dir);
    let hash = parse::hassh(&hassh_string);
    let (hash_name, string_name) = match dir {
        Direction::ToServer => ("hassh", "hassh_string"),
        Direction::ToClient => ("hassh_server", "hassh_server_string"),
    };
    let mut fields: Vec<(&str, Value<'_>)> = NAME_LISTS
        .iter()
        .zip(&lists)
        .map(|(&name, names)| (name, Value::Strs(names)))
        .collect();
    fields.push((
        "first_kex_packet_follows",
        Value::Bool(kexinit.first_kex_packet_follows),
    ));
    fields.push((hash_name, Value::Str(&hash)));
    fields.push((string_name, Value::Str(&hassh_string)));
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "kexinit",
        direction: Some(dir),
        activity: None,
        fields: Fields(&fields),
    }));
}

#[cfg(test)]
mod tests {
    use super::super::parse::tests::kexinit_payload;
    use super::*;
    use rampart_event::CollectingSink;

    /// Wrap a payload in an unencrypted binary packet (RFC 4253 section 6) with 4 bytes of
    /// padding.
    fn packet(payload: &[u8]) -> Vec<u8> {
        let length = u32::try_from(payload.len() + 5).unwrap_or(0);
        let mut p = length.to_be_bytes().to_vec(); // packet_length
        p.push(4); // padding_length
        p.extend_from_slice(payload);
        p.extend_from_slice(&[0; 4]); // padding
        p
    }

    const LISTS: [&str; 10] = [
        "curve25519-sha256,diffie-hellman-group14-sha1",
        "ssh-ed25519",
        "aes128-ctr",
        "aes128-ctr",
        "hmac-sha2-256",
        "hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ];

    #[test]
    fn reports_banners_kexinits_and_finishes() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        let mut client = b"SSH-2.0-OpenSSH_7.4p1 Ubuntu-4ubuntu0.3\r\n".to_vec();
        client.extend(packet(&kexinit_payload(LISTS)));
        let server = b"SSH-2.0-dropbear_2019.78\r\n";
        assert_eq!(
            d.feed(Direction::ToServer, &client, &mut sink),
            Feed::Consumed(client.len())
        );
        assert_eq!(
            d.feed(Direction::ToClient, server, &mut sink),
            Feed::Consumed(server.len())
        );
        let kex = packet(&kexinit_payload(LISTS));
        assert_eq!(d.feed(Direction::ToClient, &kex, &mut sink), Feed::Done);
        assert_eq!(
            sink.matching("record ssh banner request"),
            vec![
                r#"record ssh banner request {"banner":"SSH-2.0-OpenSSH_7.4p1 Ubuntu-4ubuntu0.3","proto_version":"2.0","software":"OpenSSH_7.4p1","comments":"Ubuntu-4ubuntu0.3"}"#
            ]
        );
        assert_eq!(
            sink.matching("identity ssh Client"),
            vec![
                "identity ssh Client software OpenSSH_7.4p1",
                "identity ssh Client os Ubuntu"
            ]
        );
        assert_eq!(
            sink.matching("identity ssh Server"),
            vec!["identity ssh Server software dropbear_2019.78"]
        );
        let client_kex = sink.matching("record ssh kexinit request");
        assert_eq!(client_kex.len(), 1);
        let expected = parse::hassh(
            "curve25519-sha256,diffie-hellman-group14-sha1;aes128-ctr;hmac-sha2-256;none",
        );
        assert!(client_kex[0].contains(&format!(r#""hassh":"{expected}""#)));
        assert!(
            client_kex[0].contains(
                r#""kex_algorithms":["curve25519-sha256","diffie-hellman-group14-sha1"]"#
            )
        );
        assert_eq!(sink.matching("record ssh kexinit response").len(), 1);
        assert!(sink.matching("record ssh kexinit response")[0].contains("hassh_server"));
    }

    #[test]
    fn hassh_matches_the_suricata_reference_for_openssh_7_4() {
        // The algorithm lists of `it/ssh-hassh-suricata.pcap` (OpenSSH_for_Windows_7.7 client,
        // OpenSSH_7.4 server); suricata-verify tests/ssh-hassh expects these two hashes.
        let kex = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,\
ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,\
diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,\
diffie-hellman-group14-sha256,diffie-hellman-group14-sha1";
        let client_kex = format!("{kex},ext-info-c");
        let server_kex = format!("{kex},diffie-hellman-group1-sha1");
        let ciphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,\
aes128-gcm@openssh.com,aes256-gcm@openssh.com";
        let server_ciphers =
            format!("{ciphers},aes128-cbc,aes192-cbc,aes256-cbc,blowfish-cbc,cast128-cbc,3des-cbc");
        let macs = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,\
hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,\
hmac-sha2-256,hmac-sha2-512,hmac-sha1";
        let client = [
            client_kex.as_str(),
            "ssh-ed25519",
            ciphers,
            ciphers,
            macs,
            macs,
            "none",
            "none",
            "",
            "",
        ];
        let server = [
            server_kex.as_str(),
            "ssh-rsa",
            &server_ciphers,
            &server_ciphers,
            macs,
            macs,
            "none,zlib@openssh.com",
            "none,zlib@openssh.com",
            "",
            "",
        ];
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        let mut to_server = b"SSH-2.0-OpenSSH_for_Windows_7.7\r\n".to_vec();
        to_server.extend(packet(&kexinit_payload(client)));
        let mut to_client = b"SSH-2.0-OpenSSH_7.4\r\n".to_vec();
        to_client.extend(packet(&kexinit_payload(server)));
        d.feed(Direction::ToServer, &to_server, &mut sink);
        assert_eq!(
            d.feed(Direction::ToClient, &to_client, &mut sink),
            Feed::Done
        );
        assert!(
            sink.matching("record ssh kexinit request")[0]
                .contains(r#""hassh":"2dd6531c7e89d3c925db9214711be76a""#)
        );
        assert!(
            sink.matching("record ssh kexinit response")[0]
                .contains(r#""hassh_server":"6832f1ce43d4397c2c0a3e2f8c94334e""#)
        );
    }

    #[test]
    fn reassembles_a_kexinit_split_across_deliveries() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        let mut stream = b"SSH-2.0-x\r\n".to_vec();
        stream.extend(packet(&kexinit_payload(LISTS)));
        let (first, second) = stream.split_at(30);
        assert_eq!(
            d.feed(Direction::ToServer, first, &mut sink),
            Feed::Consumed(11)
        );
        let rest = [&first[11..], second].concat();
        assert_eq!(
            d.feed(Direction::ToServer, &rest, &mut sink),
            Feed::Consumed(rest.len())
        );
        assert_eq!(sink.matching("record ssh kexinit").len(), 1);
    }

    #[test]
    fn flags_ssh1_as_weak_and_stops_reading_its_packets() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        d.feed(Direction::ToClient, b"SSH-1.5-OldServer\n", &mut sink);
        assert_eq!(
            sink.matching("finding ssh weak_crypto Server"),
            vec![
                r#"finding ssh weak_crypto Server {"reason":"ssh1_protocol","proto_version":"1.5","software":"OldServer"}"#
            ]
        );
        d.feed(Direction::ToServer, b"SSH-1.5-OldClient\n", &mut sink);
        // An SSH-1 packet: length 9, 7 bytes of padding, type 2 (SMSG_PUBLIC_KEY), …
        let ssh1 = [0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 2, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            d.feed(Direction::ToClient, &ssh1, &mut sink),
            Feed::Consumed(20)
        );
        assert_eq!(d.feed(Direction::ToServer, &ssh1, &mut sink), Feed::Done);
        assert!(sink.matching("anomaly").is_empty(), "{:?}", sink.lines);
    }

    #[test]
    fn skips_lines_a_server_sends_before_its_banner() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        d.feed(
            Direction::ToClient,
            b"Authorised users only\r\nSSH-2.0-OpenSSH_for_Windows_7.7\r\n",
            &mut sink,
        );
        assert_eq!(
            sink.matching("identity ssh Server os"),
            vec!["identity ssh Server os Windows"]
        );
    }

    #[test]
    fn reports_a_client_that_does_not_speak_ssh() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        d.feed(Direction::ToServer, b"GET / HTTP/1.0\r\n", &mut sink);
        assert_eq!(sink.anomalies("bad_banner"), 1);
    }

    #[test]
    fn reports_an_oversized_packet_and_finishes_that_direction() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        let mut stream = b"SSH-2.0-x\r\n".to_vec();
        stream.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 4, 20]); // packet_length 2^32-1
        d.feed(Direction::ToServer, &stream, &mut sink);
        assert_eq!(sink.anomalies("packet_too_long"), 1);
        d.gap(Direction::ToClient, 10, &mut sink);
        assert_eq!(d.feed(Direction::ToServer, b"more", &mut sink), Feed::Done);
    }

    #[test]
    fn reports_a_line_that_never_ends() {
        let mut sink = CollectingSink::default();
        let mut d = SshDissector::default();
        assert_eq!(
            d.feed(Direction::ToServer, b"SSH-2.0-", &mut sink),
            Feed::Consumed(0)
        );
        let long = vec![b'a'; MAX_LINE];
        d.feed(Direction::ToServer, &long, &mut sink);
        assert_eq!(sink.anomalies("banner_too_long"), 1);
    }
}
