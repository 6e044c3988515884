//! Follow a Telnet login: prompts from the server, keystrokes from the client, and the
//! server's verdict.
//!
//! Telnet has no login protocol, only text, so this is a heuristic state machine. The server
//! side is read as lines; a prompt is the unfinished line at the end of a delivery, because a
//! server shows a prompt and then waits. The client side is read keystroke by keystroke
//! (terminals send one byte per segment), honouring backspace. Passwords are never kept.

use rampart_dissect::{
    Attribute, Confidence, Direction, Dissector, Event, EventSink, Feed, Fields, Finding,
    FindingKind, Identity, Record, Subject, Value, report,
};

use super::parse::{Token, Tokens};
use crate::sysdescr::{self, contains_ignore_case};

const PROTOCOL: &str = "telnet";
/// The server line kept for prompt detection; older bytes are dropped.
const MAX_LINE: usize = 256;
/// The longest user name kept.
const MAX_FIELD: usize = 64;
/// The longest banner kept, in bytes.
const MAX_BANNER: usize = 160;
/// Failed logins followed before the flow is left alone.
const MAX_ATTEMPTS: u8 = 5;

const USER_PROMPTS: [&str; 4] = ["login:", "username:", "user name:", "user:"];
const PASSWORD_PROMPTS: [&str; 3] = ["password:", "passcode:", "passwd:"];
const FAILURES: [&str; 6] = [
    "incorrect",
    "invalid",
    "failed",
    "failure",
    "denied",
    "bad password",
];
const SHELL_PROMPT_ENDS: [char; 4] = ['$', '#', '>', '%'];

/// Where the login stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    /// No prompt yet: banner lines.
    #[default]
    Banner,
    /// A user name prompt is showing; the client types the name.
    User,
    /// The name was entered; a password prompt or a verdict follows.
    AfterUser,
    /// A password prompt is showing; the client types the password.
    Password,
    /// The password was entered; the server's verdict follows.
    Verdict,
}

/// What the server's unfinished line looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    User,
    Password,
    Shell,
}

/// Per-flow Telnet login state.
#[derive(Default)]
pub struct TelnetDissector {
    phase: Phase,
    line: Vec<u8>,
    typed: Vec<u8>,
    banner: String,
    user: Option<String>,
    password: bool,
    attempts: u8,
    finished: bool,
}

impl Dissector for TelnetDissector {
    fn feed(&mut self, dir: Direction, data: &[u8], sink: &mut dyn EventSink) -> Feed {
        let mut tokens = Tokens::new(data);
        loop {
            let at = tokens.offset();
            let Some(token) = tokens.next() else {
                break;
            };
            match token {
                Token::Data(bytes) => {
                    for &b in bytes {
                        match dir {
                            Direction::ToClient => self.server_byte(b, sink),
                            Direction::ToServer => self.client_byte(b, sink),
                        }
                    }
                }
                Token::UnknownCommand(code) => {
                    let detail = format!("IAC followed by {code:#04x}, which is no command");
                    report(sink, PROTOCOL, "unknown_command", Some(at), &detail);
                }
                Token::Unterminated(option) => {
                    let detail = format!("subnegotiation of option {option} has no IAC SE");
                    report(
                        sink,
                        PROTOCOL,
                        "unterminated_subnegotiation",
                        Some(at),
                        &detail,
                    );
                }
                Token::Command { .. } | Token::Subnegotiation { .. } => {}
            }
            if self.finished {
                return Feed::Done;
            }
        }
        if dir == Direction::ToClient {
            self.check_prompt(sink);
        }
        if self.finished {
            Feed::Done
        } else {
            Feed::Consumed(tokens.consumed())
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _sink: &mut dyn EventSink) {
        self.line.clear();
        self.typed.clear();
    }

    fn close(&mut self, sink: &mut dyn EventSink) {
        if self.user.is_some() || self.password {
            self.emit_login(None, sink);
        }
    }
}

impl TelnetDissector {
    fn server_byte(&mut self, b: u8, sink: &mut dyn EventSink) {
        match b {
            b'\r' | b'\n' => {
                if !self.line.is_empty() {
                    let line = std::mem::take(&mut self.line);
                    self.server_line(&line, sink);
                    self.line = line;
                    self.line.clear();
                }
            }
            0 => {}
            _ => {
                if self.line.len() >= MAX_LINE {
                    self.line.drain(..MAX_LINE / 2);
                }
                self.line.push(b);
            }
        }
    }

    fn server_line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        match self.phase {
            Phase::Banner if self.banner.is_empty() => self.set_banner(text, sink),
            Phase::AfterUser | Phase::Verdict => {
                // Shown only after success, even as "Last failed login: … 3 failed attempts".
                if contains_ignore_case(text, "last login")
                    || contains_ignore_case(text, "last failed login")
                {
                    self.verdict(true, sink);
                } else if FAILURES.iter().any(|f| contains_ignore_case(text, f)) {
                    self.verdict(false, sink);
                }
            }
            _ => {}
        }
    }

    /// Keep the first banner line; report the vendor and OS it names, and the line itself as
    /// software when it carries a version number.
    fn set_banner(&mut self, text: &str, sink: &mut dyn EventSink) {
        let end = (0..=MAX_BANNER.min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        self.banner = text.get(..end).unwrap_or_default().to_string();
        let hints = sysdescr::hints(&self.banner);
        if hints.vendor.is_none() && hints.os.is_none() {
            return;
        }
        let versioned = self.banner.bytes().any(|b| b.is_ascii_digit());
        for (attribute, value) in [
            (
                Attribute::Software,
                versioned.then_some(self.banner.as_str()),
            ),
            (Attribute::Vendor, hints.vendor),
            (Attribute::Os, hints.os),
        ] {
            if let Some(value) = value {
                sink.emit(Event::Identity(Identity {
                    protocol: PROTOCOL,
                    subject: Subject::Server,
                    attribute,
                    value,
                    confidence: Confidence::WEAK,
                }));
            }
        }
    }

    /// Classify the unfinished server line.
    fn prompt(&self) -> Option<Prompt> {
        let text = String::from_utf8_lossy(&self.line);
        let text = text.trim_end();
        let ends = |list: &[&str]| {
            list.iter().any(|p| {
                text.len() >= p.len()
                    && text
                        .get(text.len() - p.len()..)
                        .is_some_and(|end| end.eq_ignore_ascii_case(p))
            })
        };
        if ends(&PASSWORD_PROMPTS) {
            Some(Prompt::Password)
        } else if ends(&USER_PROMPTS) {
            Some(Prompt::User)
        } else if text.ends_with(SHELL_PROMPT_ENDS) {
            Some(Prompt::Shell)
        } else {
            None
        }
    }

    fn check_prompt(&mut self, sink: &mut dyn EventSink) {
        let Some(prompt) = self.prompt() else {
            return;
        };
        match (prompt, self.phase) {
            (Prompt::Shell, Phase::AfterUser | Phase::Verdict) => self.verdict(true, sink),
            (Prompt::Shell, _) => return,
            (Prompt::User, Phase::User) => {}
            (Prompt::User, _) => {
                if self.phase != Phase::Banner {
                    self.verdict(false, sink);
                }
                self.phase = Phase::User;
            }
            (Prompt::Password, Phase::Password) => {}
            (Prompt::Password, phase) => {
                if phase == Phase::User {
                    self.end_user();
                } else if phase == Phase::Verdict {
                    self.verdict(false, sink);
                }
                self.phase = Phase::Password;
            }
        }
        // Echoed keystrokes follow a prompt on the same line; they must not look like one.
        self.line.clear();
    }

    fn client_byte(&mut self, b: u8, sink: &mut dyn EventSink) {
        if !matches!(self.phase, Phase::User | Phase::Password) {
            return;
        }
        match b {
            b'\r' | b'\n' => match self.phase {
                Phase::User => self.end_user(),
                _ => self.end_password(sink),
            },
            0x08 | 0x7f => {
                self.typed.pop();
            }
            // Ctrl-U erases the line.
            0x15 => self.typed.clear(),
            _ if b < 0x20 => {}
            // The password is not kept, not even for a moment.
            _ if self.phase == Phase::Password => {}
            _ if self.typed.len() < MAX_FIELD => self.typed.push(b),
            _ => {}
        }
    }

    fn end_user(&mut self) {
        if self.typed.is_empty() {
            return;
        }
        self.user = Some(String::from_utf8_lossy(&self.typed).into_owned());
        self.typed.clear();
        self.phase = Phase::AfterUser;
    }

    fn end_password(&mut self, sink: &mut dyn EventSink) {
        self.password = true;
        self.phase = Phase::Verdict;
        let mut fields = vec![("mechanism", Value::Str("telnet_login"))];
        if let Some(user) = &self.user {
            fields.push(("user", Value::Str(user)));
        }
        sink.emit(Event::Finding(Finding {
            protocol: PROTOCOL,
            kind: FindingKind::CleartextCredential,
            subject: Subject::Server,
            fields: Fields(&fields),
        }));
    }

    fn verdict(&mut self, success: bool, sink: &mut dyn EventSink) {
        self.emit_login(Some(success), sink);
        self.user = None;
        self.password = false;
        self.phase = Phase::Banner;
        self.attempts = self.attempts.saturating_add(1);
        self.finished = success || self.attempts >= MAX_ATTEMPTS;
    }

    fn emit_login(&self, success: Option<bool>, sink: &mut dyn EventSink) {
        let mut fields = Vec::with_capacity(4);
        if let Some(user) = &self.user {
            fields.push(("user", Value::Str(user)));
        }
        fields.push(("password", Value::Bool(self.password)));
        if let Some(success) = success {
            fields.push(("success", Value::Bool(success)));
        }
        if !self.banner.is_empty() {
            fields.push(("banner", Value::Str(&self.banner)));
        }
        sink.emit(Event::Record(Record {
            protocol: PROTOCOL,
            kind: "login",
            direction: None,
            activity: None,
            fields: Fields(&fields),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_event::CollectingSink;

    const IAC: u8 = 255;

    /// Drive a session: (direction, bytes) in order, each a separate delivery.
    fn run(steps: &[(Direction, &[u8])]) -> (CollectingSink, Vec<Feed>) {
        let mut d = TelnetDissector::default();
        let mut sink = CollectingSink::default();
        let feeds = steps
            .iter()
            .map(|&(dir, bytes)| d.feed(dir, bytes, &mut sink))
            .collect();
        d.close(&mut sink);
        (sink, feeds)
    }

    use Direction::{ToClient as S, ToServer as C};

    #[test]
    fn follows_a_linux_login_typed_one_key_at_a_time() {
        let (sink, feeds) = run(&[
            (S, &[IAC, 0xfd, 0x18, IAC, 0xfd, 0x20]), // DO TERMINAL-TYPE, DO TERMINAL-SPEED
            (C, &[IAC, 0xfb, 0x18]),                  // WILL TERMINAL-TYPE
            (S, b"Ubuntu 22.04.3 LTS\r\n"),
            (S, b"plc-gw login: "),
            (C, b"r"),
            (S, b"r"), // echo
            (C, b"x"),
            (S, b"x"),
            (C, &[0x7f]), // backspace
            (S, b"\x08 \x08"),
            (C, b"o"),
            (S, b"o"),
            (C, b"ot"),
            (S, b"ot"),
            (C, b"\r\0"),
            (S, b"\r\n"),
            (S, b"Password: "),
            (C, b"s"),
            (C, b"3"),
            (C, b"\r\n"),
            (
                S,
                b"\r\nLast login: Mon Jan  1 10:00:00 2024 from 10.0.0.5\r\n",
            ),
            (S, b"root@plc-gw:~# "),
        ]);
        assert_eq!(
            sink.matching("finding"),
            vec![
                r#"finding telnet cleartext_credential Server {"mechanism":"telnet_login","user":"root"}"#
            ]
        );
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record telnet login transaction {"user":"root","password":true,"success":true,"banner":"Ubuntu 22.04.3 LTS"}"#
            ]
        );
        assert_eq!(
            sink.matching("identity"),
            vec![
                "identity telnet Server software Ubuntu 22.04.3 LTS",
                "identity telnet Server os Linux"
            ]
        );
        assert_eq!(
            feeds.last(),
            Some(&Feed::Done),
            "nothing after the login matters"
        );
        assert!(
            !sink.lines.iter().any(|l| l.contains("s3")),
            "password never reported"
        );
    }

    #[test]
    fn reports_a_failed_login_and_the_retry() {
        let (sink, feeds) = run(&[
            (S, b"login: "),
            (C, b"admin\r\n"),
            (S, b"Password: "),
            (C, b"guess\r\n"),
            (S, b"\r\nLogin incorrect\r\n"),
            (S, b"login: "),
            (C, b"admin\r\n"),
            (S, b"Password: "),
            (C, b"guess2\r\n"),
            (S, b"\r\n$ "),
        ]);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record telnet login transaction {"user":"admin","password":true,"success":false}"#,
                r#"record telnet login transaction {"user":"admin","password":true,"success":true}"#
            ]
        );
        assert_eq!(sink.matching("finding").len(), 2);
        assert_eq!(feeds.last(), Some(&Feed::Done));
    }

    #[test]
    fn follows_a_password_only_cisco_login() {
        let (sink, _) = run(&[
            (S, b"\r\n\r\nUser Access Verification\r\n\r\nPassword: "),
            (C, b"cisco\r"),
            (S, b"\r\n% Login invalid\r\n\r\nPassword: "),
            (C, b"cisco123\r"),
            (S, b"\r\nsw1>"),
        ]);
        assert_eq!(
            sink.matching("record"),
            vec![
                r#"record telnet login transaction {"password":true,"success":false,"banner":"User Access Verification"}"#,
                r#"record telnet login transaction {"password":true,"success":true,"banner":"User Access Verification"}"#
            ]
        );
        assert_eq!(
            sink.matching("finding")[0],
            r#"finding telnet cleartext_credential Server {"mechanism":"telnet_login"}"#
        );
        assert!(
            sink.matching("identity")
                .contains(&"identity telnet Server vendor Cisco")
        );
    }

    #[test]
    fn takes_a_last_failed_login_notice_as_success() {
        let (sink, _) = run(&[
            (S, b"login: "),
            (C, b"ops\r\n"),
            (S, b"Password: "),
            (C, b"pw\r\n"),
            (S, b"Last failed login: Tue Jan  2 from 10.0.0.9\r\nThere were 3 failed login attempts\r\n"),
        ]);
        assert!(sink.matching("record")[0].contains(r#""success":true"#));
    }

    #[test]
    fn reports_an_unfinished_login_at_close() {
        let (sink, _) = run(&[(S, b"Username: "), (C, b"operator\r\n"), (S, b"Password: ")]);
        assert_eq!(
            sink.matching("record"),
            vec![r#"record telnet login transaction {"user":"operator","password":false}"#]
        );
        assert!(sink.matching("finding").is_empty(), "no password was typed");
    }

    #[test]
    fn leaves_an_incomplete_command_for_the_next_delivery() {
        let mut d = TelnetDissector::default();
        let mut sink = CollectingSink::default();
        assert_eq!(
            d.feed(S, &[b'h', b'i', IAC, 0xfd], &mut sink),
            Feed::Consumed(2)
        );
        assert_eq!(d.feed(S, &[IAC, b'Z'], &mut sink), Feed::Consumed(2));
        assert_eq!(sink.anomalies("unknown_command"), 1);
    }

    #[test]
    fn stops_after_too_many_failures() {
        let attempt: [(Direction, &[u8]); 4] = [
            (S, b"login: "),
            (C, b"x\r"),
            (S, b"Password: "),
            (C, b"y\r"),
        ];
        let mut steps: Vec<(Direction, &[u8])> = Vec::new();
        for _ in 0..MAX_ATTEMPTS {
            steps.extend_from_slice(&attempt);
        }
        steps.push((S, b"login: "));
        let (sink, feeds) = run(&steps);
        assert_eq!(sink.matching("record").len(), usize::from(MAX_ATTEMPTS));
        assert_eq!(feeds.last(), Some(&Feed::Done));
    }
}
