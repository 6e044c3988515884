//! DHCPv4 and BOOTP (RFC 2131, RFC 2132, RFC 951) on UDP 67/68.
//!
//! A DHCP exchange is the best identity source on a LAN: the client states its MAC, often its
//! host name, and its DHCP stack betrays itself through the vendor class and the order of the
//! parameters it requests (the fingerprint that Fingerbank-style databases key on). The
//! format is a fixed header plus type-length-value options, small enough to parse by hand
//! with the dissect `Reader`; the `dhcproto` crate would add an allocation per option and
//! reject the truncated options a monitor must report.
//!
//! Records: `message`, one per datagram, direction from `op` (BOOTREQUEST is a request).
//! Fields: `msg_type`, `msg_type_name` (option 53), `xid`, `client_mac` (or `chaddr` bytes
//! for non-Ethernet hardware), non-zero `ciaddr`, `yiaddr`, `siaddr`, `giaddr`, `hostname`
//! (12), `client_fqdn` (81), `vendor_class_id` (60), `domain_name` (15), `message` (56),
//! `client_id` (61), `param_list` (55, as `1,3,6,15`), `requested_ip` (50), `server_id` (54),
//! `router` (3, the first), `subnet_mask` (1), `lease_time` (51).
//!
//! Identity, on `Subject::Host { mac: chaddr, ip: requested, current or assigned }`: from
//! requests the host name, vendor class, fingerprint and an operating-system hint from
//! well-known vendor classes (weak); from replies the host name the server assigns.
//! Anomalies: truncated header or options, missing end option, wrong option sizes, bad
//! option overload, an `op` that is neither request nor reply.

mod dissector;
pub(crate) mod message;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use dissector::DhcpDissector;
use parse::{FIXED_LEN, MAGIC_COOKIE};

/// Register DHCP. All clients broadcast from 0.0.0.0:68 to 255.255.255.255:67, so that
/// one flow carries every client's requests for as long as the sensor runs.
pub static REGISTRATION: Registration = Registration {
    name: "dhcp",
    transports: &[Transport::Udp],
    ports: &[67, 68],
    probe,
    new: |_| Box::<DhcpDissector>::default(),
    limits: Limits {
        depth: None,
        ..Limits::IT
    },
};

/// Say whether a datagram is DHCP: certain with the magic cookie, unsure for a BOOTP header.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let cookie = data.get(FIXED_LEN..FIXED_LEN + MAGIC_COOKIE.len());
    match data {
        [1 | 2, _, hlen, ..] if *hlen <= 16 && cookie == Some(&MAGIC_COOKIE[..]) => Probe::Certain,
        [1 | 2, _, hlen, ..] if *hlen <= 16 && data.len() >= FIXED_LEN => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}
