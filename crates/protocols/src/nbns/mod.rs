//! NetBIOS Name Service (RFC 1001, RFC 1002 §4.2) on UDP 137.
//!
//! NBNS is DNS's wire format with NetBIOS names in it, so this module reuses
//! `dns::parse` for the header, sections and compression and adds only what NBNS
//! defines: first-level encoded names (32 characters for a 15-character name and a suffix
//! byte telling the service, `<00>` workstation, `<20>` file server, `<1c>` domain
//! controllers), NB address entries and node status answers.
//!
//! Records, one per message (direction from the R bit), kind from the opcode: `query`,
//! `registration`, `release`, `wack`, `refresh`, `multihomed_registration`, `unknown`.
//! Fields: `id`, `opcode`, `rcode` (responses), `name` (`NAME<xx>` plus any scope),
//! `name_suffix`, `name_type`, `qtype`, `qtype_name` (`NB`, `NBSTAT`; of the question, else of
//! the first record), `broadcast`, `ttl`, `group`, `addresses`, and for node status answers
//! `names` and `mac`.
//!
//! Identity: host names (unique `<00>` and `<20>` names) from registrations, for their
//! sender; from positive name query answers, for the address answered; from node status
//! answers, for the node that answered. Queries name nobody: asking is not owning.

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use crate::dns::parse::{MessageReader, walk_name};
use dissector::NbnsDissector;

/// Register NBNS. Name service flows between two port-137 sockets last as long as the hosts.
pub static REGISTRATION: Registration = Registration {
    name: "nbns",
    transports: &[Transport::Udp],
    ports: &[137],
    probe,
    new: |_| Box::<NbnsDissector>::default(),
    limits: Limits {
        depth: None,
        ..Limits::IT
    },
};

/// Say whether a datagram is NBNS: certain when its first name is a first-level encoded
/// NetBIOS name, unsure for any other plausible header.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Ok((header, reader)) = MessageReader::new(data) else {
        return Probe::NotForUs;
    };
    if !matches!(header.flags.opcode(), 0 | 5..=9 | 15) {
        return Probe::NotForUs;
    }
    let mut first = None;
    let _ = walk_name(data, reader.offset(), |label| {
        first.get_or_insert(parse::decode_first_level(label).is_ok());
    });
    if first == Some(true) {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}
