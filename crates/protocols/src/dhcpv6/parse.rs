//! Pure parsing of DHCPv6 messages and options (RFC 8415 §8, §9, §21).

use std::net::Ipv6Addr;

use rampart_dissect::{Mac, Reader, Truncated};

use crate::dns::parse::{MAX_NAME_LEN, push_label};

/// Relay agents may nest at most this many relay messages (RFC 8415 §7.6 HOP_COUNT_LIMIT).
pub const MAX_RELAY_DEPTH: usize = 8;

/// Message type RELAY-FORW.
pub const RELAY_FORW: u8 = 12;
/// Message type RELAY-REPL.
pub const RELAY_REPL: u8 = 13;

/// Name a message type (RFC 8415 §7.3, RFC 5007, RFC 7341).
pub fn message_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "solicit",
        2 => "advertise",
        3 => "request",
        4 => "confirm",
        5 => "renew",
        6 => "rebind",
        7 => "reply",
        8 => "release",
        9 => "decline",
        10 => "reconfigure",
        11 => "information-request",
        12 => "relay-forw",
        13 => "relay-repl",
        14 => "leasequery",
        15 => "leasequery-reply",
        20 => "dhcpv4-query",
        21 => "dhcpv4-response",
        _ => return None,
    })
}

/// Tell whether a message type travels from client (or relay) to server.
pub fn from_client(code: u8) -> bool {
    matches!(code, 1 | 3 | 4 | 5 | 6 | 8 | 9 | 11 | 12 | 14 | 20)
}

/// What follows the message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// A client/server message (RFC 8415 §8).
    Client {
        /// The 24-bit transaction id.
        transaction_id: u32,
    },
    /// A relay agent message (RFC 8415 §9).
    Relay {
        /// Relays traversed.
        hop_count: u8,
        /// The link the client is on.
        link_address: Ipv6Addr,
        /// The client's (or previous relay's) address.
        peer_address: Ipv6Addr,
    },
}

/// One DHCPv6 message, its options not yet read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// msg-type.
    pub msg_type: u8,
    /// Transaction id or relay fields.
    pub head: Head,
    /// The options.
    pub options: &'a [u8],
    /// Offset of the options in the datagram.
    pub options_offset: usize,
}

/// Read a message found at `base` in the datagram.
pub fn parse_message(data: &[u8], base: usize) -> Result<Message<'_>, Truncated> {
    let mut r = Reader::new(data);
    let msg_type = r.u8("msg-type").map_err(|e| shift(e, base))?;
    let head = if matches!(msg_type, RELAY_FORW | RELAY_REPL) {
        let hop_count = r.u8("hop-count").map_err(|e| shift(e, base))?;
        let mut addr = |field| {
            r.bytes(field, 16)
                .map(|b| Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap_or_default()))
        };
        let link_address = addr("link-address").map_err(|e| shift(e, base))?;
        let peer_address = addr("peer-address").map_err(|e| shift(e, base))?;
        Head::Relay {
            hop_count,
            link_address,
            peer_address,
        }
    } else {
        let id = r.bytes("transaction-id", 3).map_err(|e| shift(e, base))?;
        Head::Client {
            transaction_id: u32::from_be_bytes([0, id[0], id[1], id[2]]),
        }
    };
    Ok(Message {
        msg_type,
        head,
        options_offset: base + r.offset(),
        options: r.rest(),
    })
}

fn shift(mut e: Truncated, base: usize) -> Truncated {
    e.offset += base;
    e
}

/// Something wrong in the options, located in the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OptionProblem {
    /// An option's length runs past its enclosing area.
    #[error("option {code} at offset {offset} claims {claimed} bytes, {available} remain")]
    Truncated {
        /// Option code.
        code: u16,
        /// Where the option starts.
        offset: usize,
        /// Its option-len.
        claimed: usize,
        /// Bytes left.
        available: usize,
    },
    /// An option too short for its fixed fields.
    #[error("option {code} at offset {offset} is {actual} bytes, expected {expected}")]
    BadLength {
        /// Option code.
        code: u16,
        /// Where the option starts.
        offset: usize,
        /// Its length.
        actual: usize,
        /// What RFC 8415 requires.
        expected: &'static str,
    },
    /// Relay messages nested deeper than [`MAX_RELAY_DEPTH`].
    #[error("relay message at offset {offset} nested deeper than {MAX_RELAY_DEPTH}")]
    RelayTooDeep {
        /// Where the innermost relay message starts.
        offset: usize,
    },
    /// An FQDN option whose name is malformed (RFC 4704 §4.2).
    #[error("client FQDN at offset {offset}: label runs past the option or name over 255 bytes")]
    BadFqdn {
        /// Where the option starts.
        offset: usize,
    },
}

impl OptionProblem {
    /// Return the anomaly code for this problem.
    pub fn code(&self) -> &'static str {
        match self {
            OptionProblem::Truncated { .. } => "truncated_option",
            OptionProblem::BadLength { .. } => "bad_option_length",
            OptionProblem::RelayTooDeep { .. } => "relay_too_deep",
            OptionProblem::BadFqdn { .. } => "bad_fqdn",
        }
    }

    /// Return where the problem is in the datagram.
    pub fn offset(&self) -> usize {
        match *self {
            OptionProblem::Truncated { offset, .. }
            | OptionProblem::BadLength { offset, .. }
            | OptionProblem::RelayTooDeep { offset }
            | OptionProblem::BadFqdn { offset } => offset,
        }
    }
}

/// An address or prefix leased in an IA option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// IAADDR in IA_NA or IA_TA (RFC 8415 §21.6).
    Address(Ipv6Addr),
    /// IAPREFIX in IA_PD (RFC 8415 §21.22), with its length.
    Prefix(Ipv6Addr, u8),
}

/// The options a monitor reports, first instance of each.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Options<'a> {
    /// 1: client DUID.
    pub client_duid: Option<&'a [u8]>,
    /// 2: server DUID.
    pub server_duid: Option<&'a [u8]>,
    /// 6: requested option codes, two bytes each.
    pub oro: Option<&'a [u8]>,
    /// 9: the relayed message and its offset.
    pub relay_message: Option<(&'a [u8], usize)>,
    /// 13: status code and message.
    pub status: Option<(u16, &'a [u8])>,
    /// 16: enterprise number and the vendor-class-data area.
    pub vendor_class: Option<(u32, &'a [u8])>,
    /// 39: the client FQDN option's domain name, in DNS wire format (RFC 4704 §4).
    pub fqdn: Option<(&'a [u8], usize)>,
}

/// Read the options of one message; hand leases (also those nested in IA options) to
/// `lease` and problems to `problem`.
pub fn read_options<'a>(
    area: &'a [u8],
    base: usize,
    lease: &mut impl FnMut(Lease),
    problem: &mut impl FnMut(OptionProblem),
) -> Options<'a> {
    let mut o = Options::default();
    let cut = walk(area, base, |code, data, offset| match code {
        1 => {
            o.client_duid.get_or_insert(data);
        }
        2 => {
            o.server_duid.get_or_insert(data);
        }
        6 => {
            o.oro.get_or_insert(data);
        }
        9 => {
            o.relay_message.get_or_insert((data, offset + 4));
        }
        13 => match data {
            [hi, lo, message @ ..] => {
                o.status
                    .get_or_insert((u16::from_be_bytes([*hi, *lo]), message));
            }
            _ => problem(OptionProblem::BadLength {
                code,
                offset,
                actual: data.len(),
                expected: "at least 2",
            }),
        },
        16 => match data {
            [a, b, c, d, classes @ ..] => {
                o.vendor_class
                    .get_or_insert((u32::from_be_bytes([*a, *b, *c, *d]), classes));
            }
            _ => problem(OptionProblem::BadLength {
                code,
                offset,
                actual: data.len(),
                expected: "at least 4",
            }),
        },
        39 => match data.get(1..) {
            Some(name) => {
                o.fqdn.get_or_insert((name, offset));
            }
            None => problem(OptionProblem::BadLength {
                code,
                offset,
                actual: 0,
                expected: "at least 1",
            }),
        },
        // IA_NA (§21.4) and IA_PD (§21.21) have IAID, T1, T2; IA_TA (§21.5) only IAID.
        3 | 4 | 25 => {
            let fixed = if code == 4 { 4 } else { 12 };
            let inner = data.get(fixed..).map(|inner| {
                walk(inner, offset + 4 + fixed, |code, data, offset| {
                    ia_option(code, data, offset, lease, problem)
                })
            });
            match inner {
                Some(None) => {}
                Some(Some(cut)) => problem(cut),
                None => problem(OptionProblem::BadLength {
                    code,
                    offset,
                    actual: data.len(),
                    expected: if code == 4 {
                        "at least 4"
                    } else {
                        "at least 12"
                    },
                }),
            }
        }
        _ => {}
    });
    if let Some(cut) = cut {
        problem(cut);
    }
    o
}

fn ia_option(
    code: u16,
    data: &[u8],
    offset: usize,
    lease: &mut impl FnMut(Lease),
    problem: &mut impl FnMut(OptionProblem),
) {
    let bad = |expected| OptionProblem::BadLength {
        code,
        offset,
        actual: data.len(),
        expected,
    };
    match code {
        5 => match data.get(..16).and_then(|a| <[u8; 16]>::try_from(a).ok()) {
            Some(addr) if data.len() >= 24 => lease(Lease::Address(Ipv6Addr::from(addr))),
            _ => problem(bad("at least 24")),
        },
        26 => match (
            data.get(8),
            data.get(9..25).and_then(|a| <[u8; 16]>::try_from(a).ok()),
        ) {
            (Some(&len), Some(prefix)) => lease(Lease::Prefix(Ipv6Addr::from(prefix), len)),
            _ => problem(bad("at least 25")),
        },
        _ => {}
    }
}

/// Walk the code-length-value options of `area` (RFC 8415 §21.1); stop at the first one that
/// runs past the end and return it.
fn walk<'a>(
    area: &'a [u8],
    base: usize,
    mut visit: impl FnMut(u16, &'a [u8], usize),
) -> Option<OptionProblem> {
    let mut r = Reader::new(area);
    while r.remaining() > 0 {
        let offset = base + r.offset();
        let header = r
            .u16("option-code")
            .and_then(|code| Ok((code, r.u16("option-len")?)));
        let Ok((code, len)) = header else {
            return Some(OptionProblem::Truncated {
                code: 0,
                offset,
                claimed: 4,
                available: r.remaining(),
            });
        };
        match r.bytes("option-data", usize::from(len)) {
            Ok(data) => visit(code, data, offset),
            Err(e) => {
                return Some(OptionProblem::Truncated {
                    code,
                    offset,
                    claimed: e.needed,
                    available: e.available,
                });
            }
        }
    }
    None
}

/// Append the FQDN option's name as dotted text (RFC 4704 §4.2: uncompressed, and without the
/// final root label when the client sends only a partial name); return whether it was whole.
pub fn write_fqdn(out: &mut String, name: &[u8]) -> bool {
    let begin = out.len();
    let mut r = Reader::new(name);
    while let Ok(len) = r.u8("label length") {
        if len == 0 {
            return true;
        }
        let Ok(label) = r.bytes("label", usize::from(len)) else {
            return false;
        };
        if r.offset() > MAX_NAME_LEN {
            return false;
        }
        if out.len() > begin {
            out.push('.');
        }
        push_label(out, label);
    }
    true
}

/// Return the link-layer address in a DUID-LLT or DUID-LL of Ethernet type (RFC 8415 §11.2,
/// §11.4).
pub fn duid_mac(duid: &[u8]) -> Option<Mac> {
    match duid {
        [0, 1, 0, 1, _, _, _, _, mac @ ..] | [0, 3, 0, 1, mac @ ..] if mac.len() == 6 => {
            Mac::from_slice(mac)
        }
        _ => None,
    }
}

/// Iterate over the vendor-class-data entries of option 16 (RFC 8415 §21.16), stopping at
/// the first one that runs past the end.
pub fn vendor_classes(area: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut r = Reader::new(area);
    std::iter::from_fn(move || {
        let len = r.u16("vendor-class-len").ok()?;
        r.bytes("opaque-data", usize::from(len)).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_client_message_head_and_relay_head() {
        let msg = parse_message(&[0x01, 0x31, 0x7d, 0x40, 0x00, 0x08], 0).expect("solicit");
        assert_eq!(msg.msg_type, 1);
        assert_eq!(
            msg.head,
            Head::Client {
                transaction_id: 0x31_7d40
            }
        );
        assert_eq!((msg.options, msg.options_offset), (&[0x00, 0x08][..], 4));
        let mut relay = vec![RELAY_FORW, 0x00]; // msg-type, hop-count
        relay.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // link-address 2001:db8::1
        relay.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]); // peer-address fe80::2
        let msg = parse_message(&relay, 10).expect("relay");
        assert_eq!(msg.options_offset, 10 + 34);
        assert!(
            matches!(msg.head, Head::Relay { peer_address, .. } if peer_address == Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2))
        );
        let e = parse_message(&relay[..20], 10).expect_err("cut in peer-address");
        assert_eq!((e.field, e.offset), ("peer-address", 28));
    }

    #[test]
    fn reads_options_and_leases_nested_in_ia_na() {
        let area = [
            0x00, 0x01, 0x00, 0x0a, // CLIENTID, 10 bytes (§21.2)
            0x00, 0x03, 0x00, 0x01, // DUID-LL, hardware type Ethernet (§11.4)
            0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c, // link-layer address
            0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x18, // ORO: 23, 24 (§21.7)
            0x00, 0x03, 0x00, 0x28, // IA_NA, 40 bytes (§21.4)
            0x0e, 0x00, 0xa0, 0x45, // IAID
            0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x15, 0x18, // T1 3600, T2 5400
            0x00, 0x05, 0x00, 0x18, // IAADDR, 24 bytes (§21.6)
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, // 2001:db8::100
            0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x2a, 0x30, // preferred, valid lifetimes
        ];
        let mut leases = Vec::new();
        let mut problems = Vec::new();
        let o = read_options(&area, 4, &mut |l| leases.push(l), &mut |p| problems.push(p));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(o.oro, Some(&[0x00, 0x17, 0x00, 0x18][..]));
        assert_eq!(
            o.client_duid
                .and_then(duid_mac)
                .map(|m| m.to_string())
                .as_deref(),
            Some("00:1b:1b:0a:0b:0c")
        );
        assert_eq!(
            leases,
            vec![Lease::Address("2001:db8::100".parse().expect("address"))]
        );
    }

    #[test]
    fn reports_an_option_running_past_the_message() {
        let area = [0x00, 0x27, 0x00, 0x20, 0x00, 0x04]; // CLIENT_FQDN claiming 32 bytes
        let mut problems = Vec::new();
        read_options(&area, 4, &mut |_| (), &mut |p| problems.push(p));
        assert_eq!(
            problems,
            vec![OptionProblem::Truncated {
                code: 39,
                offset: 4,
                claimed: 32,
                available: 2
            }]
        );
    }

    #[test]
    fn writes_partial_and_whole_fqdns() {
        let mut out = String::new();
        // RFC 4704 §4.2: a partial name has no terminating zero
        assert!(write_fqdn(
            &mut out,
            &[0x08, b'k', b'w', b'-', b'V', b'L', b'I', b'P', b'C']
        ));
        assert_eq!(out, "kw-VLIPC");
        out.clear();
        assert!(write_fqdn(
            &mut out,
            &[0x03, b'h', b'm', b'i', 0x03, b'l', b'a', b'b', 0x00]
        ));
        assert_eq!(out, "hmi.lab");
        out.clear();
        assert!(!write_fqdn(&mut out, &[0x09, b'x']));
    }

    #[test]
    fn splits_vendor_class_data() {
        let area = [
            0x00, 0x08, b'M', b'S', b'F', b'T', b' ', b'5', b'.', b'0', 0x00, 0x05, b'x',
        ];
        let classes: Vec<&[u8]> = vendor_classes(&area).collect();
        assert_eq!(classes, vec![&b"MSFT 5.0"[..]]);
    }
}
