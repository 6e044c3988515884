//! FTP (RFC 959), TCP 21: the control connection, where user names and passwords travel in
//! cleartext and industrial devices (PLCs, RTUs, HMIs) take firmware and configuration files.
//!
//! Commands are paired with their replies in order. One record per command, kind `command`
//! (no direction), with Zeek's ftp.log fields `user`, `command`, `arg` (never for PASS),
//! `reply_code`, `reply_msg` (the first line of the reply), and, when a PORT or EPRT command
//! or a reply to PASV or EPSV announces a data channel, `data_passive`, `data_ip` and
//! `data_port`; commands still unanswered at the end of the flow are recorded without reply.
//! A reply that answers no command (the greeting, a 421 shutdown) is a record of kind `reply`
//! with `reply_code` and `reply_msg`. PASS is a `cleartext_credential` finding about the
//! server with the user name (`anonymous` flagged); the password is never kept. The 220
//! greeting names the server software (`vsFTPd 3.0.3`, `ProFTPD 1.3.5e`, `Microsoft FTP
//! Service`, `VxWorks 5.4.2`, …) and hints at its OS. After `234` to `AUTH TLS` the rest is
//! TLS, so the dissector is done. Anomalies: `line_too_long` (over 2,048 bytes without a line
//! feed: the shape of a buffer-overflow attempt), `bad_command`, `bad_reply`,
//! `bad_port_argument`, `too_many_pending`.

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The FTP flow protocol.
pub static REGISTRATION: Registration = Registration {
    name: "ftp",
    transports: &[Transport::Tcp],
    ports: &[21],
    probe,
    new: |_| Box::<dissector::FtpDissector>::default(),
    limits: Limits::IT,
};

/// Commands a client opens a session with.
const OPENING_COMMANDS: [&str; 6] = ["USER", "AUTH", "FEAT", "SYST", "OPTS", "HOST"];

/// Recognise a greeting that says FTP (`220 … FTP …`); a bare `220` greeting is SMTP's as
/// well, so the port decides; a client's first command is as weak a sign.
fn probe(dir: Direction, data: &[u8]) -> Probe {
    match dir {
        Direction::ToClient => match parse::reply(parse::line(data).map_or(data, |(l, _)| l)) {
            Some(r)
                if r.code == 220
                    && crate::sysdescr::contains_ignore_case(
                        &String::from_utf8_lossy(r.text),
                        "ftp",
                    ) =>
            {
                Probe::Certain
            }
            Some(_) => Probe::Unsure,
            None if data.len() < 4 => Probe::Unsure,
            None => Probe::NotForUs,
        },
        Direction::ToServer => {
            let cmd = parse::command(parse::line(data).map_or(data, |(l, _)| l));
            if OPENING_COMMANDS.iter().any(|c| cmd.is(c)) {
                Probe::Unsure
            } else {
                Probe::NotForUs
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_greetings_and_opening_commands() {
        use Direction::{ToClient as S, ToServer as C};
        assert_eq!(probe(S, b"220 (vsFTPd 3.0.3)\r\n"), Probe::Certain);
        assert_eq!(probe(S, b"220-Microsoft FTP Service\r\n"), Probe::Certain);
        assert_eq!(probe(S, b"220-FileZilla Server\r\n"), Probe::Unsure);
        assert_eq!(
            probe(S, b"220 mail.example.com ESMTP Postfix\r\n"),
            Probe::Unsure
        );
        assert_eq!(probe(S, b"SSH-2.0-OpenSSH\r\n"), Probe::NotForUs);
        assert_eq!(probe(S, b"22"), Probe::Unsure);
        assert_eq!(probe(C, b"USER anonymous\r\n"), Probe::Unsure);
        assert_eq!(probe(C, b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
    }
}
