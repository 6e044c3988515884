//! Pure parsing of SSH identification strings (RFC 4253 section 4.2), binary packet framing
//! (section 6) and the `SSH_MSG_KEXINIT` payload (section 7.1), plus the HASSH fingerprints.

use md5::{Digest, Md5};
use rampart_dissect::{Direction, Reader, Truncated};
use rampart_event::Hex;

/// The longest identification line RFC 4253 section 4.2 allows, CR LF included.
pub const MAX_BANNER: usize = 255;

/// The largest packet RFC 4253 section 6.1 obliges every implementation to accept.
pub const MAX_PACKET: usize = 35_000;

/// Message number of `SSH_MSG_KEXINIT` (RFC 4253 section 12).
pub const MSG_KEXINIT: u8 = 20;

/// Message number of `SSH_MSG_NEWKEYS` (RFC 4253 section 12).
pub const MSG_NEWKEYS: u8 = 21;

/// An identification string: `SSH-protoversion-softwareversion SP comments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banner<'a> {
    /// The whole line, without CR LF.
    pub line: &'a str,
    /// The protocol version (`2.0`, `1.99`, `1.5`).
    pub proto_version: &'a str,
    /// The software version (`OpenSSH_7.4`).
    pub software: &'a str,
    /// The free-form comments after the first space (`Ubuntu-4ubuntu0.3`), if any.
    pub comments: Option<&'a str>,
}

/// Why a line is not an identification string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BannerError {
    /// The line does not start with `SSH-`.
    #[error("identification string does not start with SSH-")]
    NoPrefix,
    /// No `-` separates the protocol version from the software version.
    #[error("identification string has no '-' after the protocol version")]
    NoSoftwareVersion,
}

/// Split an identification line (CR LF already removed) into its parts.
pub fn parse_banner(line: &str) -> Result<Banner<'_>, BannerError> {
    let rest = line.strip_prefix("SSH-").ok_or(BannerError::NoPrefix)?;
    let (proto_version, rest) = rest.split_once('-').ok_or(BannerError::NoSoftwareVersion)?;
    let (software, comments) = match rest.split_once(' ') {
        Some((software, comments)) => (software, Some(comments)),
        None => (rest, None),
    };
    Ok(Banner {
        line,
        proto_version,
        software,
        comments,
    })
}

impl Banner<'_> {
    /// Tell whether this side accepts protocol 1 (`1.x`, including the `1.99` compatibility
    /// version that RFC 4253 section 5.1 defines).
    pub fn accepts_ssh1(&self) -> bool {
        self.proto_version.starts_with("1.")
    }

    /// Tell whether this side speaks only protocol 1, so no SSH-2 packets will follow.
    pub fn only_ssh1(&self) -> bool {
        self.accepts_ssh1() && self.proto_version != "1.99"
    }

    /// Guess the operating system from distribution tags in the comments or a platform-specific
    /// software name.
    pub fn os_hint(&self) -> Option<&'static str> {
        const IN_COMMENTS: &[(&str, &str)] = &[
            ("Ubuntu", "Ubuntu"),
            ("Debian", "Debian"),
            ("Raspbian", "Raspbian"),
            ("FreeBSD", "FreeBSD"),
            ("NetBSD", "NetBSD"),
        ];
        const IN_SOFTWARE: &[(&str, &str)] = &[
            ("for_Windows", "Windows"),
            ("Cisco-", "Cisco IOS"),
            ("ROSSSH", "MikroTik RouterOS"),
        ];
        let from_comments = self.comments.and_then(|c| {
            IN_COMMENTS
                .iter()
                .find(|(needle, _)| c.contains(needle))
                .map(|&(_, os)| os)
        });
        from_comments.or_else(|| {
            IN_SOFTWARE
                .iter()
                .find(|(needle, _)| self.software.contains(needle))
                .map(|&(_, os)| os)
        })
    }
}

/// Why a binary packet cannot be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// `packet_length` exceeds what any implementation must accept.
    #[error("packet_length {length} exceeds the {MAX_PACKET}-byte maximum")]
    TooLong {
        /// The claimed packet length.
        length: u32,
    },
    /// `padding_length` leaves no room for a payload.
    #[error("padding_length {padding} does not fit in packet_length {length}")]
    Padding {
        /// The claimed padding length.
        padding: u8,
        /// The claimed packet length.
        length: u32,
    },
}

/// Frame one unencrypted binary packet at the start of `data`: the payload and the bytes the
/// whole packet takes, or `None` when more bytes are needed.
pub fn split_packet(data: &[u8]) -> Result<Option<(&[u8], usize)>, PacketError> {
    let mut r = Reader::new(data);
    let (Ok(length), Ok(padding)) = (r.u32("packet_length"), r.u8("padding_length")) else {
        return Ok(None);
    };
    let too_long = PacketError::TooLong { length };
    let body = usize::try_from(length).map_err(|_| too_long)?;
    if body > MAX_PACKET {
        return Err(too_long);
    }
    let payload_len = body
        .checked_sub(1 + usize::from(padding))
        .ok_or(PacketError::Padding { padding, length })?;
    let total = 4 + body;
    match data.get(5..5 + payload_len) {
        Some(payload) if data.len() >= total => Ok(Some((payload, total))),
        _ => Ok(None),
    }
}

/// Names of the ten name-lists of a KEXINIT, in wire order, as records spell them.
pub const NAME_LISTS: [&str; 10] = [
    "kex_algorithms",
    "server_host_key_algorithms",
    "encryption_algorithms_client_to_server",
    "encryption_algorithms_server_to_client",
    "mac_algorithms_client_to_server",
    "mac_algorithms_server_to_client",
    "compression_algorithms_client_to_server",
    "compression_algorithms_server_to_client",
    "languages_client_to_server",
    "languages_server_to_client",
];

/// The body of an `SSH_MSG_KEXINIT` (RFC 4253 section 7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KexInit<'a> {
    /// The ten comma-separated name-lists, in [`NAME_LISTS`] order.
    pub lists: [&'a str; 10],
    /// Whether a guessed key-exchange packet follows.
    pub first_kex_packet_follows: bool,
}

/// Why a KEXINIT payload cannot be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KexInitError {
    /// A field runs past the end of the payload.
    #[error(transparent)]
    Truncated(#[from] Truncated),
    /// A name-list holds bytes outside US-ASCII.
    #[error("{field} at offset {offset} is not US-ASCII")]
    NotAscii {
        /// The name-list.
        field: &'static str,
        /// Its offset within the payload.
        offset: usize,
    },
}

/// Parse a KEXINIT payload, message number included.
pub fn parse_kexinit(payload: &[u8]) -> Result<KexInit<'_>, KexInitError> {
    let mut r = Reader::new(payload);
    r.skip("message number", 1)?;
    r.skip("cookie", 16)?;
    let mut lists = [""; 10];
    for (slot, field) in lists.iter_mut().zip(NAME_LISTS) {
        let len = r.u32(field)?;
        let offset = r.offset();
        let bytes = r.bytes(field, usize::try_from(len).unwrap_or(usize::MAX))?;
        *slot = std::str::from_utf8(bytes)
            .ok()
            .filter(|s| s.is_ascii())
            .ok_or(KexInitError::NotAscii { field, offset })?;
    }
    let first_kex_packet_follows = r.u8("first_kex_packet_follows")? != 0;
    r.u32("reserved")?;
    Ok(KexInit {
        lists,
        first_kex_packet_follows,
    })
}

impl KexInit<'_> {
    /// Build the HASSH input (client, `ToServer`) or HASSHServer input (server, `ToClient`):
    /// key exchange, encryption, MAC and compression lists of the sender's direction, joined by
    /// semicolons.
    pub fn hassh_string(&self, dir: Direction) -> String {
        let [
            kex,
            _,
            enc_cs,
            enc_sc,
            mac_cs,
            mac_sc,
            comp_cs,
            comp_sc,
            _,
            _,
        ] = self.lists;
        match dir {
            Direction::ToServer => format!("{kex};{enc_cs};{mac_cs};{comp_cs}"),
            Direction::ToClient => format!("{kex};{enc_sc};{mac_sc};{comp_sc}"),
        }
    }
}

/// Hash a HASSH string into its fingerprint: MD5 as lowercase hex.
pub fn hassh(input: &str) -> String {
    let digest: [u8; 16] = Md5::digest(input.as_bytes()).into();
    Hex(&digest).to_string()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn splits_banner_into_version_software_and_comments() {
        let b = parse_banner("SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7").expect("valid");
        assert_eq!(b.proto_version, "2.0");
        assert_eq!(b.software, "OpenSSH_7.4p1");
        assert_eq!(b.comments, Some("Debian-10+deb9u7"));
        assert_eq!(b.os_hint(), Some("Debian"));
        assert!(!b.accepts_ssh1());
    }

    #[test]
    fn banner_without_comments_has_none() {
        let b = parse_banner("SSH-1.99-Cisco-1.25").expect("valid");
        assert_eq!(b.software, "Cisco-1.25");
        assert_eq!(b.comments, None);
        assert!(b.accepts_ssh1());
        assert!(!b.only_ssh1());
        assert_eq!(b.os_hint(), Some("Cisco IOS"));
    }

    #[test]
    fn rejects_lines_that_are_not_identification_strings() {
        assert_eq!(parse_banner("Welcome"), Err(BannerError::NoPrefix));
        assert_eq!(parse_banner("SSH-2.0"), Err(BannerError::NoSoftwareVersion));
    }

    #[test]
    fn frames_a_packet_and_waits_for_the_rest() {
        // RFC 4253 section 6: packet_length 6, padding_length 4, payload 0x15 (NEWKEYS), padding.
        let packet = [0, 0, 0, 6, 4, MSG_NEWKEYS, 0, 0, 0, 0];
        assert_eq!(split_packet(&packet), Ok(Some((&[MSG_NEWKEYS][..], 10))));
        assert_eq!(split_packet(&packet[..7]), Ok(None));
        assert_eq!(split_packet(&packet[..3]), Ok(None));
    }

    #[test]
    fn refuses_oversized_and_overpadded_packets() {
        assert_eq!(
            split_packet(&[0, 1, 0, 0, 4]),
            Err(PacketError::TooLong { length: 65536 })
        );
        assert_eq!(
            split_packet(&[0, 0, 0, 4, 4]),
            Err(PacketError::Padding {
                padding: 4,
                length: 4
            })
        );
    }

    /// A KEXINIT payload (RFC 4253 section 7.1) with one name per list.
    pub(crate) fn kexinit_payload(lists: [&str; 10]) -> Vec<u8> {
        let mut p = vec![MSG_KEXINIT];
        p.extend_from_slice(&[0x11; 16]); // cookie
        for list in lists {
            p.extend_from_slice(&u32::try_from(list.len()).unwrap_or(0).to_be_bytes());
            p.extend_from_slice(list.as_bytes());
        }
        p.push(0); // first_kex_packet_follows: false
        p.extend_from_slice(&[0, 0, 0, 0]); // reserved
        p
    }

    #[test]
    fn parses_kexinit_and_builds_hassh_for_each_direction() {
        let payload = kexinit_payload([
            "curve25519-sha256",
            "ssh-ed25519",
            "aes128-ctr",
            "aes256-ctr",
            "hmac-sha2-256",
            "hmac-sha2-512",
            "none",
            "zlib",
            "",
            "",
        ]);
        let k = parse_kexinit(&payload).expect("valid");
        assert!(!k.first_kex_packet_follows);
        assert_eq!(
            k.hassh_string(Direction::ToServer),
            "curve25519-sha256;aes128-ctr;hmac-sha2-256;none"
        );
        assert_eq!(
            k.hassh_string(Direction::ToClient),
            "curve25519-sha256;aes256-ctr;hmac-sha2-512;zlib"
        );
    }

    #[test]
    fn hashes_hassh_input_with_md5() {
        // RFC 1321 appendix A.5 test suite: MD5("abc").
        assert_eq!(hassh("abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn kexinit_names_the_truncated_list() {
        let mut payload = kexinit_payload(["a", "b", "c", "d", "e", "f", "g", "h", "", ""]);
        payload.truncate(20);
        let err = parse_kexinit(&payload).expect_err("truncated");
        assert!(err.to_string().starts_with("kex_algorithms"), "{err}");
    }

    #[test]
    fn kexinit_refuses_non_ascii_names() {
        let payload = kexinit_payload(["é", "b", "c", "d", "e", "f", "g", "h", "", ""]);
        assert_eq!(
            parse_kexinit(&payload),
            Err(KexInitError::NotAscii {
                field: "kex_algorithms",
                offset: 21
            })
        );
    }
}
