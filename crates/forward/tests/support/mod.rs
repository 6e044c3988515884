//! Receivers' side of the tests: parsers for what a SIEM gets (RFC 5424 frames, octet
//! counting, CEF, LEEF), written from the specifications independently of the crate's
//! formatters, and the alerts the tests send.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use rampart_detect::{Alert, AlertDraft, Endpoint, EngineKind, Rule, Severity};
use rampart_event::{Mac, Timestamp};

/// Everything that breaks naive formats: delimiters, escapes, line breaks, non-ASCII.
pub const HOSTILE: &str = "a|b = c\\d\ne\rf\tg ünïcødé ☃ k=v";

/// A rule for the tests; the remediation is the same for all.
const fn rule(
    id: &'static str,
    title: &'static str,
    engine: EngineKind,
    category: &'static str,
    severity: Severity,
    techniques: &'static [&'static str],
) -> Rule {
    Rule {
        id,
        title,
        engine,
        category,
        severity,
        techniques,
        remediation: "Check with the owner of the source.",
    }
}

pub static WRITE: Rule = rule(
    "policy.new_command",
    "New command on an edge",
    EngineKind::Policy,
    "command",
    Severity::Major,
    &["T0855", "T0836"],
);
pub static STOP: Rule = rule(
    "protocol_policy.plc_stop",
    "PLC stop",
    EngineKind::ProtocolPolicy,
    "operating_mode",
    Severity::Critical,
    &["T0858", "T0816"],
);
pub static SCAN: Rule = rule(
    "anomaly.port_scan",
    "Port scan",
    EngineKind::Anomaly,
    "scan",
    Severity::Minor,
    &["T0846"],
);

/// An alert of `rule` from 10.0.0.5 to 10.0.0.9:502 over Modbus, with `description`.
pub fn alert(rule: &'static Rule, description: &str, n: u8) -> Alert {
    let t = Timestamp::from_parts(1_709_287_200 + u64::from(n), 0);
    Alert::open(
        AlertDraft::new(rule, t, description)
            .between(
                Some(Endpoint {
                    ip: Some([10, 0, 0, 5].into()),
                    mac: Some(Mac([0, 0x1b, 0x1b, 1, 2, 3])),
                    port: Some(40000 + u16::from(n)),
                }),
                Some(Endpoint {
                    ip: Some([10, 0, 0, 9].into()),
                    mac: None,
                    port: Some(502),
                }),
            )
            .protocol("modbus")
            .discriminator(format!("d{n}")),
    )
}

/// Write a forwarding configuration into `dir`.
pub fn config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("forward.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// The fields of an RFC 5424 message (structured data must be the nil value here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syslog {
    pub pri: u16,
    pub timestamp: String,
    pub hostname: String,
    pub app: String,
    pub procid: String,
    pub msgid: String,
    pub msg: String,
}

/// Parse `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` (RFC 5424 section 6).
pub fn parse_syslog(frame: &[u8]) -> Syslog {
    let text = std::str::from_utf8(frame).expect("UTF-8 frame");
    let rest = text.strip_prefix('<').expect("PRI opens with <");
    let (pri, rest) = rest.split_once('>').expect("PRI closes with >");
    assert!(
        pri.len() <= 3 && pri.chars().all(|c| c.is_ascii_digit()),
        "PRI {pri}"
    );
    let mut fields = rest.splitn(8, ' ');
    let mut next = || fields.next().expect("header field").to_string();
    let version = next();
    assert_eq!(version, "1");
    let (timestamp, hostname, app, procid, msgid, sd) =
        (next(), next(), next(), next(), next(), next());
    assert_eq!(sd, "-", "no structured data");
    let msg = fields.next().unwrap_or_default().to_string();
    for f in [&hostname, &app, &procid, &msgid] {
        assert!(
            f.chars().all(|c| c.is_ascii_graphic()),
            "printable header field {f:?}"
        );
    }
    Syslog {
        pri: pri.parse().expect("PRI number"),
        timestamp,
        hostname,
        app,
        procid,
        msgid,
        msg,
    }
}

/// Read one octet-counted frame (`LEN SP MSG`, RFC 6587 3.4.1); `None` at end of stream.
pub fn read_frame(r: &mut impl Read) -> Option<Vec<u8>> {
    let mut len = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if r.read(&mut byte).ok()? == 0 {
            return None;
        }
        if byte[0] == b' ' {
            break;
        }
        assert!(
            byte[0].is_ascii_digit(),
            "octet count digit, got {:?}",
            byte[0] as char
        );
        len.push(byte[0]);
    }
    let n: usize = std::str::from_utf8(&len).ok()?.parse().ok()?;
    let mut frame = vec![0; n];
    r.read_exact(&mut frame).ok()?;
    Some(frame)
}

/// A CEF or LEEF record: the header fields and the `key=value` pairs, unescaped.
pub struct Record {
    pub header: Vec<String>,
    pub pairs: Vec<(String, String)>,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse CEF: header fields split at unescaped `|` (escapes `\|`, `\\`); extension keys are
/// the words before unescaped `=`, values run to the space before the next key (escapes
/// `\=`, `\\`, `\n`, `\r`).
pub fn parse_cef(s: &str) -> Record {
    let mut header = Vec::new();
    let mut field = String::new();
    let mut chars = s.char_indices();
    let mut ext_start = s.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '|'))) => field.push(e),
                other => panic!("bad header escape {other:?} in {s}"),
            },
            '|' => {
                header.push(std::mem::take(&mut field));
                if header.len() == 7 {
                    ext_start = i + 1;
                    break;
                }
            }
            c => field.push(c),
        }
    }
    assert_eq!(header.len(), 7, "seven header fields in {s}");
    Record {
        header,
        pairs: parse_extension(&s[ext_start..]),
    }
}

fn parse_extension(ext: &str) -> Vec<(String, String)> {
    // Positions of unescaped '='.
    let bytes = ext.as_bytes();
    let mut equals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' => {
                equals.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let key_start = |eq: usize| ext[..eq].rfind(' ').map_or(0, |p| p + 1);
    let mut pairs = Vec::new();
    for (n, &eq) in equals.iter().enumerate() {
        let key = &ext[key_start(eq)..eq];
        let end = equals
            .get(n + 1)
            .map_or(ext.len(), |&next| key_start(next).saturating_sub(1));
        pairs.push((key.to_string(), unescape_value(&ext[eq + 1..end])));
    }
    pairs
}

fn unescape_value(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(e @ ('\\' | '=')) => out.push(e),
            other => panic!("bad extension escape {other:?} in {v}"),
        }
    }
    out
}

/// Parse LEEF 2.0: six `|`-separated header fields (the sixth names the delimiter, as a
/// character or `x`/`0x` hex), then attributes split at the delimiter and at their first `=`.
pub fn parse_leef(s: &str) -> Record {
    let mut parts = s.splitn(7, '|');
    let header: Vec<String> = (0..6)
        .map(|_| parts.next().expect("LEEF header field").to_string())
        .collect();
    assert_eq!(header[0], "LEEF:2.0");
    let delimiter = match header[5].trim_start_matches("0x").trim_start_matches('x') {
        hex if hex.len() == 2 => char::from(u8::from_str_radix(hex, 16).expect("hex delimiter")),
        _ => header[5].chars().next().expect("delimiter"),
    };
    let body = parts.next().unwrap_or_default();
    let attrs = body
        .split(delimiter)
        .map(|a| {
            let (k, v) = a.split_once('=').expect("key=value attribute");
            (k.to_string(), v.to_string())
        })
        .collect();
    Record {
        header,
        pairs: attrs,
    }
}
