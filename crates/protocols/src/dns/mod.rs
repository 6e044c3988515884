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
//! mDNS responses add identity: A/AAAA host names for the address, TXT model and maker
//! strings, HINFO operating systems and service types (`hints`). Unicast DNS gives none.
//!
//! The seam does not tell a dissector its transport, so the first bytes of a `dns` flow
//! decide: a length prefix followed by a plausible header means TCP framing, unless the same
//! bytes read as one complete datagram.

mod dissector;
mod hints;
pub(crate) mod message;
pub(crate) mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use dissector::{DnsDissector, Flavor};
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
    new: || Box::new(DnsDissector::new(Flavor::Dns, LIMITS.max_transactions)),
    limits: LIMITS,
};

/// Register multicast DNS.
pub static MDNS_REGISTRATION: Registration = Registration {
    name: "mdns",
    transports: &[Transport::Udp],
    ports: &[5353],
    probe: probe_mdns,
    new: || Box::new(DnsDissector::new(Flavor::Mdns, LIMITS.max_transactions)),
    limits: LIMITS,
};

/// Say whether the first bytes are DNS: certain for one whole length-prefixed message (the
/// TCP form), unsure for a plausible datagram, since mDNS, LLMNR and NBNS share its format.
fn probe_dns(_dir: Direction, data: &[u8]) -> Probe {
    let framed = match data {
        [hi, lo, msg @ ..] => {
            usize::from(u16::from_be_bytes([*hi, *lo])) == msg.len() && parses_exactly(msg)
        }
        _ => false,
    };
    if framed {
        Probe::Certain
    } else {
        plausible(data)
    }
}

/// Say whether the first bytes may be mDNS; only the port can make it certain.
fn probe_mdns(_dir: Direction, data: &[u8]) -> Probe {
    plausible(data)
}

fn plausible(data: &[u8]) -> Probe {
    match MessageReader::new(data) {
        Ok((header, _)) if plausible_header(&header) => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}
