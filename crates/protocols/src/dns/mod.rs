//! DNS (RFC 1035) over UDP and TCP, and multicast DNS (RFC 6762) with DNS-SD (RFC 6763).
//!
//! Owns the DNS wire format for the crate: `parse` is also NBNS's parser. The parser is
//! written here rather than taken from hickory-proto or domain: those decode to be a
//! resolver, so they reject a message at its first broken name or count, allocate a name
//! per label or record, and hide the compression pointers and reserved bits a monitor has to
//! report. Here a broken name still yields the rest of the message, every problem becomes a
//! located anomaly, and names are walked without allocation.
//!
//! Records (direction from the QR bit, which is sturdier than the flow's orientation:
//! mDNS answers are multicast, captures start mid-flow):
//! - `query` (request): `id`, `opcode`, `qname`, `qtype`, `qtype_name`, `qclass`,
//!   `qclass_name`, `rd`, and `questions` (`name TYPE` each) when there are several.
//! - `answer`: `id`, `opcode`, `rcode`, `rcode_name`, the question fields, `aa`, `tc`, `rd`,
//!   `ra`, and the answer section as parallel lists `rrnames`, `answers` (`A 10.0.0.1`,
//!   `MX 10 mx.example.com`, RFC 3597 `\# len hex` for other types) and `ttls`. Paired with
//!   its query (same id and name, in the same flow) it is a transaction (no direction);
//!   otherwise a response.
//! - `unanswered` (transaction, at flow end): `id`, `qname`, `qtype` of queries never answered.
//!
//! mDNS and LLMNR (RFC 4795, registered as `llmnr`) responses add identity: A/AAAA host
//! names for the address, TXT model and maker strings, HINFO operating systems and service
//! types (`hints`). Unicast DNS gives none: the names a client looks up are not its own.
//!
//! Framing follows the transport the engine names: a two-byte length prefix per message on
//! TCP (RFC 1035 §4.2.2), one message per datagram on UDP.

mod dissector;
mod hints;
pub(crate) mod message;
pub(crate) mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use dissector::{DnsDissector, Flavor};
use message::HEADER_LEN;
use parse::{MessageReader, parses_exactly, plausible_header};

/// Limits shared by DNS and mDNS: responders and forwarders keep one flow for months, and a
/// TCP message may be 65,535 bytes plus its prefix.
const LIMITS: Limits = Limits {
    depth: None,
    max_message: 2 + 65_535,
    max_transactions: 256,
};

/// Register unicast DNS.
pub static REGISTRATION: Registration = Registration {
    name: "dns",
    transports: &[Transport::Udp, Transport::Tcp],
    ports: &[53],
    probe: probe_dns,
    new: |transport| {
        Box::new(DnsDissector::new(
            Flavor::Dns,
            transport,
            LIMITS.max_transactions,
        ))
    },
    limits: LIMITS,
};

/// Register multicast DNS.
pub static MDNS_REGISTRATION: Registration = Registration {
    name: "mdns",
    transports: &[Transport::Udp],
    ports: &[5353],
    probe: probe_mdns,
    new: |transport| {
        Box::new(DnsDissector::new(
            Flavor::Mdns,
            transport,
            LIMITS.max_transactions,
        ))
    },
    limits: LIMITS,
};

/// Say whether the first bytes are DNS: certain for one whole length-prefixed message (the
/// TCP form), and for a datagram that is exactly one message with a non-zero id and a name
/// that is not NetBIOS-encoded (mDNS uses id 0, NBNS 32-letter encoded names: they share the
/// format, so only those traits tell them apart off their ports); unsure for anything else
/// plausible.
fn probe_dns(_dir: Direction, data: &[u8]) -> Probe {
    let framed = match data {
        [hi, lo, msg @ ..] => {
            usize::from(u16::from_be_bytes([*hi, *lo])) == msg.len() && parses_exactly(msg)
        }
        _ => false,
    };
    let unicast_datagram = match data {
        [id_hi, id_lo, rest @ ..] if [*id_hi, *id_lo] != [0, 0] => {
            !netbios_encoded_name(rest.get(HEADER_LEN - 2..).unwrap_or_default())
                && parses_exactly(data)
        }
        _ => false,
    };
    if framed || unicast_datagram {
        Probe::Certain
    } else {
        plausible(data)
    }
}

/// Tell whether a question starts with a 32-letter label of `A`–`P`: a first-level encoded
/// NetBIOS name (RFC 1001 §14.1).
fn netbios_encoded_name(question: &[u8]) -> bool {
    match question {
        [32, label @ ..] => label
            .get(..32)
            .is_some_and(|l| l.iter().all(|b| (b'A'..=b'P').contains(b))),
        _ => false,
    }
}

/// Register LLMNR.
pub static LLMNR_REGISTRATION: Registration = Registration {
    name: "llmnr",
    transports: &[Transport::Udp],
    ports: &[5355],
    probe: probe_dns,
    new: |transport| {
        Box::new(DnsDissector::new(
            Flavor::Llmnr,
            transport,
            LIMITS.max_transactions,
        ))
    },
    limits: LIMITS,
};

/// Say whether the first bytes are mDNS: certain for exactly one message, which its port
/// then tells from DNS; unsure for anything else plausible.
fn probe_mdns(_dir: Direction, data: &[u8]) -> Probe {
    if parses_exactly(data) {
        Probe::Certain
    } else {
        plausible(data)
    }
}

fn plausible(data: &[u8]) -> Probe {
    match MessageReader::new(data) {
        Ok((header, _)) if plausible_header(&header) => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_certain_of_a_whole_unicast_query_on_any_port_but_not_of_mdns_or_nbns() {
        // RFC 1035 §4.1: id 0xd66a, flags RD, one question "a.b" type A class IN.
        let mut query = vec![0xd6, 0x6a, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        query.extend_from_slice(&[1, b'a', 1, b'b', 0, 0, 1, 0, 1]);
        assert_eq!(probe_dns(Direction::ToServer, &query), Probe::Certain);
        let mut mdns = query.clone();
        mdns[..2].copy_from_slice(&[0, 0]); // mDNS queries carry id 0 (RFC 6762 §18.1)
        assert_eq!(probe_dns(Direction::ToServer, &mdns), Probe::Unsure);
        let mut nbns = vec![0x80, 0x01, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 32];
        nbns.extend_from_slice(&[b'E'; 32]); // encoded NetBIOS name (RFC 1001 §14.1)
        nbns.extend_from_slice(&[0, 0, 0x20, 0, 1]); // root, type NB, class IN
        assert_eq!(probe_dns(Direction::ToServer, &nbns), Probe::Unsure);
    }
}
