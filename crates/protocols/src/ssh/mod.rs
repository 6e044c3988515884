//! SSH (RFC 4253): the cleartext start of a session, version banners and key-exchange offers.
//!
//! Everything after the key exchange is encrypted, so this module owns only the identification
//! strings (which name the software and often the OS build of each side) and the two
//! `SSH_MSG_KEXINIT` packets, from which it computes the HASSH and HASSHServer fingerprints
//! (Salesforce, BSD-3-Clause). Once both sides have sent their KEXINIT (or NEWKEYS) it answers
//! [`Feed::Done`](rampart_dissect::Feed::Done) so that the engine stops reassembling the flow.
//! The parsing is hand-written: no maintained crate parses SSH passively without a transport.
//!
//! Records (protocol `ssh`):
//! - `banner` (per direction): `banner` (the whole line), `proto_version`, `software`,
//!   `comments`.
//! - `kexinit` (per direction): the ten algorithm name-lists (`kex_algorithms`,
//!   `server_host_key_algorithms`, `encryption_algorithms_client_to_server`, …),
//!   `first_kex_packet_follows`, and `hassh` + `hassh_string` (client) or `hassh_server` +
//!   `hassh_server_string` (server).
//!
//! Identities: `software` of each side (STRONG), an `os` hint from the banner comments or the
//! software name (`Ubuntu`, `Debian`, `Windows`, …; STRONG). Findings: `weak_crypto` for a side
//! that speaks SSH-1 (protocol `1.x`, or `1.99` which still accepts it).

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The SSH registration: TCP 22, and any port whose first bytes are an `SSH-` banner.
pub static REGISTRATION: Registration = Registration {
    name: "ssh",
    transports: &[Transport::Tcp],
    ports: &[22],
    probe,
    new: |_| Box::new(dissector::SshDissector::default()),
    limits: Limits::IT,
};

/// Recognise an identification string (RFC 4253 section 4.2) by its `SSH-` prefix.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    const PREFIX: &[u8] = b"SSH-";
    let n = data.len().min(PREFIX.len());
    match data.get(..n) {
        Some(head) if head == &PREFIX[..n] && n == PREFIX.len() => Probe::Certain,
        Some(head) if head == &PREFIX[..n] && n > 0 => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_is_certain_on_a_banner_and_unsure_on_a_prefix() {
        assert_eq!(probe(Direction::ToClient, b"SSH-2.0-x\r\n"), Probe::Certain);
        assert_eq!(probe(Direction::ToServer, b"SS"), Probe::Unsure);
        assert_eq!(
            probe(Direction::ToServer, b"GET / HTTP/1.1"),
            Probe::NotForUs
        );
        assert_eq!(probe(Direction::ToServer, b""), Probe::NotForUs);
    }
}
