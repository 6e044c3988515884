//! Telnet (RFC 854), TCP 23: still the way into many switches, serial servers, RTUs and PLCs,
//! and every password typed into it crosses the network in cleartext.
//!
//! Owns the login phase only. Option negotiation (`IAC` commands) is stripped from the data,
//! the server's prompts (`login:`, `Username:`, `Password:`) and the client's keystrokes are
//! followed, and the server's reaction (`Login incorrect`, `Last login`, a shell prompt) gives
//! the verdict. Each attempt is one record, kind `login` (no direction), with fields `user`,
//! `password` (whether one was typed), `success` (when the verdict is known) and `banner`
//! (the first line the server sent). A password typed after a prompt is a
//! `cleartext_credential` finding about the server, with the user name; the password itself
//! is never kept. The banner's vendor and OS, and the banner as software when it carries a
//! version, identify the server (weakly). After a successful login, or five failures, the
//! dissector is done and the engine stops reassembling the session. Anomalies:
//! `unknown_command`, `unterminated_subnegotiation`.

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The Telnet flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "telnet",
    transports: &[Transport::Tcp],
    ports: &[23],
    probe,
    new: |_| Box::<dissector::TelnetDissector>::default(),
    limits: Limits::IT,
};

/// Recognise option negotiation (`IAC WILL/WONT/DO/DONT`), which opens almost every Telnet
/// session; rule out the protocols most often found on odd ports. Plain text is left to the
/// port.
fn probe(_dir: Direction, data: &[u8]) -> Probe {
    match data {
        [parse::IAC, 0xfb..=0xfe, ..] => Probe::Certain,
        [0x16, 0x03, ..] => Probe::NotForUs,
        _ if data.starts_with(b"SSH-") || data.starts_with(b"GET ") => Probe::NotForUs,
        _ => Probe::Unsure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_option_negotiation() {
        let d = Direction::ToClient;
        assert_eq!(probe(d, &[0xff, 0xfd, 0x18]), Probe::Certain);
        assert_eq!(probe(d, b"login: "), Probe::Unsure);
        assert_eq!(probe(d, b"SSH-2.0-OpenSSH_8.9\r\n"), Probe::NotForUs);
        assert_eq!(probe(d, &[0x16, 0x03, 0x01]), Probe::NotForUs);
    }
}
