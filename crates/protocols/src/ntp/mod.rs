//! NTP (RFC 5905) on UDP 123, with the mode 6 control (RFC 9327) and ntpd mode 7 private
//! messages that reconnaissance and amplification attacks use (`ntpq -c rv`, `monlist`).
//!
//! A 48-byte fixed header and two small control headers: a hand-written parser over the
//! dissect `Reader` is shorter than wrapping a client library, and it reports a short packet
//! with the field it cut instead of failing.
//!
//! Records, one per packet:
//! - `message` (modes 0–5; direction from the mode): `version`, `mode`, `mode_name`,
//!   `control` (false), `leap`, `stratum`, `poll` and `precision` (log2 seconds),
//!   `root_delay`, `root_disp` (seconds), `ref_id` (four characters at stratum 0–1, else an
//!   IPv4 address), `ref_time`, `org_time`, `rec_time`, `xmt_time` (Unix seconds, 0 if unset).
//! - `control` (modes 6 and 7; direction from the R bit): `version`, `mode`, `mode_name`,
//!   `control` (true), `response`, `more`, then for mode 6 `error`, `opcode`, `opcode_name`,
//!   `sequence`, `status`, `association_id`, `count`, and for mode 7 `implementation`,
//!   `request_code`, `request_name` (`mon_getlist_1` is monlist), `sequence`, `error`,
//!   `items`, `item_size`. Control traffic is not an anomaly in itself; detection decides.
//!
//! Identity: a read-variables response names the daemon (`version=`, Software) and the
//! system it runs on (`system=`, Os) of the server that sent it.

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

use dissector::NtpDissector;

/// Register NTP. Peers keep one flow per server pair for as long as they run.
pub static REGISTRATION: Registration = Registration {
    name: "ntp",
    transports: &[Transport::Udp],
    ports: &[123],
    probe,
    new: |_| Box::<NtpDissector>::default(),
    limits: Limits {
        depth: None,
        ..Limits::IT
    },
};

/// Say whether a datagram may be NTP: a known version and a whole header for its mode.
/// NTP has no signature, so the port decides.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    let Some(&first) = data.first() else {
        return Probe::NotForUs;
    };
    let version = (first >> 3) & 0x07;
    let header = match first & 0x07 {
        0 => usize::MAX,
        6 => 12,
        7 => 8,
        _ => parse::TIME_LEN,
    };
    if (1..=4).contains(&version) && data.len() >= header {
        Probe::Unsure
    } else {
        Probe::NotForUs
    }
}
