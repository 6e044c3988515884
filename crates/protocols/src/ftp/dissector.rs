//! The FTP control connection: commands paired with their replies, in order.
//!
//! FTP replies come back in command order (RFC 959 §4.2), so pending commands are a queue;
//! preliminary `1xx` replies leave a command pending, and a multi-line reply counts once.

use std::collections::VecDeque;
use std::net::IpAddr;

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Identity, Limits, Record, Subject, Value, report,
};

use super::parse::{self, Command};
use crate::sysdescr::{self, contains_ignore_case};

const PROTOCOL: &str = "ftp";
/// A longer line without a line feed is an overflow attempt, not a command.
pub const MAX_LINE: usize = 2048;
/// Longest argument or reply text kept in a record.
const MAX_TEXT: usize = 256;
/// Commands awaiting a reply before the oldest is reported unanswered.
const MAX_PENDING: usize = Limits::IT.max_transactions;

/// FTP server products, and the OS each implies, found in 220 greetings.
const PRODUCTS: &[(&str, Option<&str>)] = &[
    ("vsFTPd", None),
    ("ProFTPD", None),
    ("Pure-FTPd", None),
    ("FileZilla Server", Some("Windows")),
    ("Microsoft FTP Service", Some("Windows")),
    ("Serv-U FTP Server", Some("Windows")),
    ("WS_FTP Server", Some("Windows")),
    ("Xlight FTP Server", Some("Windows")),
    ("VxWorks", Some("VxWorks")),
    ("wu-", None),
    ("bftpd", None),
];

/// A data channel announced by PORT, EPRT, or a reply to PASV or EPSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DataChannel {
    passive: bool,
    ip: Option<IpAddr>,
    port: u16,
}

/// A command awaiting its reply.
#[derive(Debug)]
struct Pending {
    command: String,
    arg: Option<String>,
    data: Option<DataChannel>,
}

/// A multi-line reply being read.
#[derive(Debug)]
struct Multiline {
    code: u16,
    first: String,
}

/// Per-flow FTP state.
#[derive(Default)]
pub struct FtpDissector {
    pending: VecDeque<Pending>,
    reply: Option<Multiline>,
    user: Option<String>,
    greeted: bool,
    /// A line longer than [`MAX_LINE`] is being skipped, per direction.
    skipping: [bool; 2],
}

/// Decode text for a record, cut at a character boundary within [`MAX_TEXT`] bytes.
fn bounded(bytes: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if s.len() > MAX_TEXT {
        let end = (0..=MAX_TEXT)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        s.truncate(end);
    }
    s
}

/// Find a product and its version in a greeting: `(vsFTPd 3.0.3)` gives `vsFTPd 3.0.3`,
/// `FileZilla Server version 0.9.41 beta` gives `FileZilla Server 0.9.41`.
fn product(banner: &str) -> Option<(String, Option<&'static str>)> {
    let is_version = |t: &str| {
        let t = t.trim_start_matches(['v', 'V']);
        t.starts_with(|c: char| c.is_ascii_digit())
    };
    let mut bare = None;
    for &(name, os) in PRODUCTS {
        let lower_name = name.to_ascii_lowercase();
        let lower = banner.to_ascii_lowercase();
        for (at, _) in lower.match_indices(&lower_name) {
            let found = banner.get(at..at + name.len()).unwrap_or(name);
            let after = banner.get(at + name.len()..).unwrap_or_default();
            let version = after
                .split_whitespace()
                .filter(|t| !t.eq_ignore_ascii_case("version"))
                .take(1)
                .find(|t| is_version(t))
                .map(|t| {
                    t.trim_end_matches([')', ',', ']', ';'])
                        .trim_end_matches('.')
                });
            match version {
                // `wu-2.6.2` carries its version in the same token.
                _ if name == "wu-" => {
                    let token = after.split_whitespace().next().unwrap_or_default();
                    let token = token.split('(').next().unwrap_or_default();
                    if is_version(token) {
                        return Some((format!("wu-{token}"), os));
                    }
                }
                Some(v) => return Some((format!("{found} {v}"), os)),
                None => {
                    bare.get_or_insert_with(|| (found.to_string(), os));
                }
            }
        }
    }
    bare
}

impl Dissector for FtpDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
            let Some((line, used)) = parse::line(rest) else {
                if self.skipping[dir.index()] {
                    return Feed::Consumed(data.len());
                }
                if rest.len() > MAX_LINE {
                    let detail = format!("{} bytes without a line feed", rest.len());
                    report(sink, PROTOCOL, "line_too_long", Some(at), &detail);
                    self.skipping[dir.index()] = true;
                    return Feed::Consumed(data.len());
                }
                break;
            };
            let offset = at;
            at += used;
            if std::mem::take(&mut self.skipping[dir.index()]) {
                continue;
            }
            let done = match dir {
                Direction::ToServer => {
                    self.client_line(line, offset, sink);
                    false
                }
                Direction::ToClient => self.server_line(line, offset, sink),
            };
            if done {
                return Feed::Done;
            }
        }
        Feed::Consumed(at)
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        // Lost bytes may hold commands or replies: pairing can no longer be trusted.
        self.reply = None;
        self.pending.clear();
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        while let Some(p) = self.pending.pop_front() {
            self.emit_command(&p, None, None, sink);
        }
    }
}

impl FtpDissector {
    fn client_line(&mut self, line: &[u8], offset: usize, sink: &mut dyn EventSink) {
        if line.is_empty() {
            return;
        }
        let cmd = parse::command(line);
        if !cmd.well_formed() {
            let detail = format!("command verb {:?} is not 3 to 8 letters", bounded(cmd.verb));
            report(sink, PROTOCOL, "bad_command", Some(offset), &detail);
            return;
        }
        let command = String::from_utf8_lossy(cmd.verb).to_ascii_uppercase();
        let data = self.announced(&cmd, offset, sink);
        if cmd.is("USER") {
            self.user = Some(bounded(cmd.arg));
        }
        if cmd.is("PASS") {
            self.credential(sink);
        }
        let arg = (!cmd.is("PASS") && !cmd.arg.is_empty()).then(|| bounded(cmd.arg));
        let full = self.pending.len() >= MAX_PENDING;
        if let Some(oldest) = full.then(|| self.pending.pop_front()).flatten() {
            let detail = format!("more than {MAX_PENDING} commands without a reply");
            report(sink, PROTOCOL, "too_many_pending", Some(offset), &detail);
            self.emit_command(&oldest, None, None, sink);
        }
        self.pending.push_back(Pending { command, arg, data });
    }

    /// Read the data channel a PORT or EPRT command announces.
    fn announced(
        &self,
        cmd: &Command<'_>,
        offset: usize,
        sink: &mut dyn EventSink,
    ) -> Option<DataChannel> {
        let parsed = if cmd.is("PORT") {
            parse::host_port(cmd.arg)
        } else if cmd.is("EPRT") {
            parse::extended_address(cmd.arg)
        } else {
            return None;
        };
        if parsed.is_none() {
            let detail = format!(
                "{} argument {:?} is no address",
                bounded(cmd.verb),
                bounded(cmd.arg)
            );
            report(sink, PROTOCOL, "bad_port_argument", Some(offset), &detail);
        }
        parsed.map(|(ip, port)| DataChannel {
            passive: false,
            ip: Some(ip),
            port,
        })
    }

    fn credential(&self, sink: &mut dyn EventSink) {
        let user = self.user.as_deref();
        let anonymous = user
            .is_some_and(|u| u.eq_ignore_ascii_case("anonymous") || u.eq_ignore_ascii_case("ftp"));
        let mut fields = vec![("mechanism", Value::Str("ftp_pass"))];
        if let Some(u) = user {
            fields.push(("user", Value::Str(u)));
        }
        fields.push(("anonymous", Value::Bool(anonymous)));
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject: Subject::Server,
            fields: Fields(&fields),
        }));
    }

    /// Handle one reply line; return true when the session turns to TLS.
    fn server_line(&mut self, line: &[u8], offset: usize, sink: &mut dyn EventSink) -> bool {
        if let Some(m) = &self.reply {
            // Inside a multi-line reply only `code<SP>` ends it (RFC 959 §4.2).
            match parse::reply(line) {
                Some(r) if r.code == m.code && r.last => {}
                _ => return false,
            }
            let Some(m) = self.reply.take() else {
                return false;
            };
            return self.finish(m.code, m.first, sink);
        }
        let Some(r) = parse::reply(line) else {
            if !line.is_empty() {
                let detail = format!("reply line {:?} has no 3-digit code", bounded(line));
                report(sink, PROTOCOL, "bad_reply", Some(offset), &detail);
            }
            return false;
        };
        if r.last {
            self.finish(r.code, bounded(r.text), sink)
        } else {
            self.reply = Some(Multiline {
                code: r.code,
                first: bounded(r.text),
            });
            false
        }
    }

    /// Pair a complete reply with the oldest pending command.
    fn finish(&mut self, code: u16, text: String, sink: &mut dyn EventSink) -> bool {
        if (100..200).contains(&code) && !self.pending.is_empty() {
            return false;
        }
        if !self.greeted && self.pending.is_empty() {
            self.greeted = true;
            if code == 220 {
                self.identify(&text, sink);
            }
            emit_reply(code, &text, sink);
            return false;
        }
        let Some(mut p) = self.pending.pop_front() else {
            emit_reply(code, &text, sink);
            return false;
        };
        match (p.command.as_str(), code) {
            ("PASV", 227) => {
                p.data = parse::host_port(text.as_bytes()).map(|(ip, port)| DataChannel {
                    passive: true,
                    ip: Some(ip),
                    port,
                });
            }
            ("EPSV", 229) => {
                p.data = parse::extended_passive_port(text.as_bytes()).map(|port| DataChannel {
                    passive: true,
                    ip: None,
                    port,
                });
            }
            _ => {}
        }
        self.emit_command(&p, Some(code), Some(&text), sink);
        // RFC 4217 §4: after 234 to AUTH TLS the control connection is TLS.
        p.command == "AUTH" && code == 234
    }

    fn identify(&self, banner: &str, sink: &mut dyn EventSink) {
        let mut say = |attribute, value: &str, confidence| {
            sink.emit(Event::Identity(Identity {
                protocol: PROTOCOL,
                subject: Subject::Server,
                attribute,
                value,
                confidence,
            }));
        };
        let found = product(banner);
        if let Some((software, _)) = &found {
            say(Attribute::Software, software, Confidence::STRONG);
        }
        let hints = sysdescr::hints(banner);
        if let Some(os) = hints.os.or(found.and_then(|(_, os)| os)) {
            say(Attribute::Os, os, Confidence::WEAK);
        }
        if let Some(vendor) = hints.vendor {
            say(Attribute::Vendor, vendor, Confidence::WEAK);
        }
        if contains_ignore_case(banner, "Microsoft FTP Service") {
            say(Attribute::Vendor, "Microsoft", Confidence::WEAK);
        }
    }

    fn emit_command(
        &self,
        p: &Pending,
        code: Option<u16>,
        text: Option<&str>,
        sink: &mut dyn EventSink,
    ) {
        let mut f: Vec<(&str, Value<'_>)> = Vec::with_capacity(9);
        if let Some(u) = &self.user {
            f.push(("user", Value::Str(u)));
        }
        f.push(("command", Value::Str(&p.command)));
        if let Some(a) = &p.arg {
            f.push(("arg", Value::Str(a)));
        }
        if let Some(c) = code {
            f.push(("reply_code", Value::U64(c.into())));
        }
        if let Some(t) = text {
            f.push(("reply_msg", Value::Str(t)));
        }
        if let Some(d) = p.data {
            f.push(("data_passive", Value::Bool(d.passive)));
            if let Some(ip) = d.ip {
                f.push(("data_ip", Value::Ip(ip)));
            }
            f.push(("data_port", Value::U64(d.port.into())));
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "command",
            direction: None,
            activity: None,
            fields: Fields(&f),
        }));
    }
}

/// Report a reply that answers no command: the greeting, or a server closing the session.
fn emit_reply(code: u16, text: &str, sink: &mut dyn EventSink) {
    let fields = [
        ("reply_code", Value::U64(code.into())),
        ("reply_msg", Value::Str(text)),
    ];
    sink.emit(Event::Record(Record {
        protocol: PROTOCOL,
        kind: "reply",
        direction: Some(Direction::ToClient),
        activity: None,
        fields: Fields(&fields),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};
    use rampart_event::CollectingSink;

    fn run(steps: &[(Direction, &[u8])]) -> (CollectingSink, Vec<Feed>) {
        let mut d = FtpDissector::default();
        let mut sink = CollectingSink::default();
        let feeds = steps
            .iter()
            .map(|&(dir, bytes)| d.feed(dir, bytes, &mut sink))
            .collect();
        d.close(&mut sink);
        (sink, feeds)
    }

    #[test]
    fn pairs_commands_with_replies_and_reports_the_login() {
        let (sink, _) = run(&[
            (S, b"220 (vsFTPd 3.0.3)\r\n"),
            (C, b"USER anonymous\r\n"),
            (S, b"331 Please specify the password.\r\n"),
            (C, b"PASS guest@\r\n"),
            (S, b"230 Login successful.\r\n"),
            (C, b"PASV\r\n"),
            (S, b"227 Entering Passive Mode (192,168,1,20,195,149).\r\n"),
            (C, b"RETR plc.cfg\r\n"),
            (
                S,
                b"150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n",
            ),
        ]);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record ftp reply response {"reply_code":220,"reply_msg":"(vsFTPd 3.0.3)"}"#,
                r#"record ftp command transaction {"user":"anonymous","command":"USER","arg":"anonymous","reply_code":331,"reply_msg":"Please specify the password."}"#,
                r#"record ftp command transaction {"user":"anonymous","command":"PASS","reply_code":230,"reply_msg":"Login successful."}"#,
                r#"record ftp command transaction {"user":"anonymous","command":"PASV","reply_code":227,"reply_msg":"Entering Passive Mode (192,168,1,20,195,149).","data_passive":true,"data_ip":"192.168.1.20","data_port":50069}"#,
                r#"record ftp command transaction {"user":"anonymous","command":"RETR","arg":"plc.cfg","reply_code":226,"reply_msg":"Transfer complete."}"#,
            ]
        );
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding ftp cleartext_credential Server {"mechanism":"ftp_pass","user":"anonymous","anonymous":true}"#
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec!["identity ftp Server software vsFTPd 3.0.3"]
        );
        assert!(
            !sink.lines.iter().any(|l| l.contains("guest@")),
            "password never reported"
        );
    }

    #[test]
    fn reads_multi_line_replies_and_active_mode() {
        let (sink, _) = run(&[
            (S, b"220-FileZilla Server version 0.9.41 beta\r\n220-written by Tim Kosse\r\n220 Please visit http://sourceforge.net/projects/filezilla/\r\n"),
            (C, b"PORT 10,0,0,5,4,1\r\n"),
            (S, b"200 Port command successful\r\n"),
            (C, b"EPRT |1|10.0.0.5|6275|\r\n"),
            (S, b"200 EPRT command successful\r\n"),
            (C, b"EPSV\r\n"),
            (S, b"229 Entering Extended Passive Mode (|||6446|)\r\n"),
        ]);
        let records = sink.matching("record");
        assert_eq!(
            records[0],
            r#"record ftp reply response {"reply_code":220,"reply_msg":"FileZilla Server version 0.9.41 beta"}"#
        );
        assert!(
            records[1].ends_with(r#""data_passive":false,"data_ip":"10.0.0.5","data_port":1025}"#)
        );
        assert!(
            records[2].ends_with(r#""data_passive":false,"data_ip":"10.0.0.5","data_port":6275}"#)
        );
        assert!(records[3].ends_with(r#""data_passive":true,"data_port":6446}"#));
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity ftp Server software FileZilla Server 0.9.41",
                "identity ftp Server os Windows"
            ]
        );
    }

    #[test]
    fn stops_when_the_session_turns_to_tls() {
        let (sink, feeds) = run(&[
            (S, b"220 Microsoft FTP Service\r\n"),
            (C, b"AUTH TLS\r\n"),
            (
                S,
                b"234 AUTH command ok. Expecting TLS Negotiation.\r\n\x16\x03\x01",
            ),
        ]);
        assert_eq!(feeds.last(), Some(&Feed::Done));
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity ftp Server software Microsoft FTP Service",
                "identity ftp Server os Windows",
                "identity ftp Server vendor Microsoft"
            ]
        );
    }

    #[test]
    fn reports_unanswered_commands_at_close() {
        let (sink, _) = run(&[(C, b"USER admin\r\n"), (C, b"PASS x\r\n")]);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record ftp command transaction {"user":"admin","command":"USER","arg":"admin"}"#,
                r#"record ftp command transaction {"user":"admin","command":"PASS"}"#
            ]
        );
        assert!(sink.matching("finding")[0].contains(r#""anonymous":false"#));
    }

    #[test]
    fn flags_overflow_attempts_and_garbage() {
        let mut d = FtpDissector::default();
        let mut sink = CollectingSink::default();
        let long = vec![b'A'; MAX_LINE + 1];
        assert_eq!(d.feed(C, &long, &mut sink), Feed::Consumed(long.len()));
        assert_eq!(sink.anomalies("line_too_long"), 1);
        assert_eq!(
            d.feed(C, b"AAAA\r\nNOOP\r\n", &mut sink),
            Feed::Consumed(12)
        );
        d.feed(C, b"\x90\x90\xeb\x1f\r\n", &mut sink);
        assert_eq!(sink.anomalies("bad_command"), 1);
        d.feed(C, b"PORT 1,2,3\r\n", &mut sink);
        assert_eq!(sink.anomalies("bad_port_argument"), 1);
        d.feed(S, b"hello\r\n", &mut sink);
        assert_eq!(sink.anomalies("bad_reply"), 1);
        d.close(&mut sink);
        let commands: Vec<_> = sink.matching("record ftp command");
        assert_eq!(
            commands.len(),
            2,
            "NOOP and PORT, not the skipped line: {commands:?}"
        );
    }

    #[test]
    fn reports_and_forgets_the_oldest_pending_command() {
        let mut d = FtpDissector::default();
        let mut sink = CollectingSink::default();
        for _ in 0..=MAX_PENDING {
            d.feed(C, b"NOOP\r\n", &mut sink);
        }
        assert_eq!(sink.anomalies("too_many_pending"), 1);
        assert_eq!(sink.matching("record").len(), 1);
        assert_eq!(d.pending.len(), MAX_PENDING);
    }

    #[test]
    fn finds_products_and_versions_in_greetings() {
        let name = |b: &str| product(b).map(|(s, _)| s);
        assert_eq!(
            name("ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.1]").as_deref(),
            Some("ProFTPD 1.3.5e")
        );
        assert_eq!(
            name("VxWorks FTP server (VxWorks 5.4.2) ready.").as_deref(),
            Some("VxWorks 5.4.2")
        );
        assert_eq!(
            name("Serv-U FTP Server v15.1 ready...").as_deref(),
            Some("Serv-U FTP Server v15.1")
        );
        assert_eq!(
            name("ftp.example.org FTP server (Version wu-2.6.2(1) Mon Dec 3 2001) ready.")
                .as_deref(),
            Some("wu-2.6.2")
        );
        assert_eq!(name("Welcome to the plant file server"), None);
    }
}
