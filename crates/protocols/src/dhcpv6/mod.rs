//! DHCPv6 (RFC 8415) on UDP 546/547.
//!
//! Hand-written for the same reasons as [`crate::dhcp`]: a fixed head and code-length-value
//! options, read with the dissect `Reader`, every overrun a located anomaly. Relay messages
//! are unwrapped (at most 8 deep, RFC 8415's hop limit) and every level is recorded.
//!
//! Records: `message`, direction from the message type (client and relay-forward messages
//! are requests). Fields: `msg_type`, `msg_type_name`, `trans_id` (or `hop_count`,
//! `link_address`, `peer_address` for relay messages), `client_duid`, `duid_mac` (the
//! link-layer address inside a DUID-LLT/DUID-LL), `server_duid`, `fqdn` (39),
//! `vendor_enterprise` and `vendor_class` (16), `oro` (6, as `23,24,39`), `addresses` (IA_NA
//! and IA_TA), `prefixes` (IA_PD), `status_code`, `status_message` (13).
//!
//! Identity, from the client's own messages, for the sender (or, unwrapped from a relay,
//! for the relayed client's address and DUID MAC): host name (FQDN), vendor class with an
//! operating-system hint (shared with DHCPv4), and the option request list as fingerprint.

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use dissector::Dhcpv6Dissector;

/// Register DHCPv6. Clients multicast from port 546 to ff02::1:2 port 547, so the flow of a
/// client lasts as long as it does.
pub static REGISTRATION: Registration = Registration {
    name: "dhcpv6",
    transports: &[Transport::Udp],
    ports: &[546, 547],
    probe,
    new: |_| Box::<Dhcpv6Dissector>::default(),
    limits: Limits {
        depth: None,
        ..Limits::IT
    },
};

/// Say whether a datagram may be DHCPv6: an assigned message type and a first option that
/// fits. There is no signature, so the port decides.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Ok(msg) = parse::parse_message(data, 0) else {
        return Probe::NotForUs;
    };
    let first_fits = match msg.options {
        [] => true,
        [_, _, hi, lo, rest @ ..] => usize::from(u16::from_be_bytes([*hi, *lo])) <= rest.len(),
        _ => false,
    };
    if parse::message_type_name(msg.msg_type).is_some() && first_fits {
        Probe::Unsure
    } else {
        Probe::NotForUs
    }
}
