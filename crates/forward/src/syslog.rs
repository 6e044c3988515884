//! RFC 5424 syslog frames around a payload, and the octet-counting framing of RFC 6587 used
//! over TCP and TLS (RFC 5425).
//!
//! `<PRI>1 TIMESTAMP HOSTNAME rampart PROCID MSGID - MSG`: PRI from the configured facility and
//! the alert's severity, the timestamp when the frame was made (UTC, milliseconds, the form
//! QRadar requires), MSGID the raising engine (so a receiver can route by engine without
//! parsing the payload), no structured data. MSG is sent without the UTF-8 byte order mark
//! RFC 5424 asks for: CEF and LEEF parsers expect the payload to begin with `CEF:`/`LEEF:`,
//! and RFC 5424's MSG-ANY form allows it.

use rampart_detect::Severity;
use rampart_event::Timestamp;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const HEADER_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The APP-NAME field.
pub const APP_NAME: &str = "rampart";

/// Syslog facilities by name (RFC 5424 table 1).
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// A syslog facility code (0–23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(u8);

impl Facility {
    /// `local0`, which SIEM collectors commonly set aside for security appliances.
    pub const DEFAULT: Facility = Facility(16);

    /// The facility of a name from [`FACILITIES`].
    pub fn from_name(name: &str) -> Option<Facility> {
        let code = FACILITIES.iter().position(|f| *f == name)?;
        u8::try_from(code).ok().map(Facility)
    }
}

/// The RFC 5424 severity of an alert: critical 2, major 3 (error), minor 4 (warning),
/// warning 5 (notice).
pub fn syslog_severity(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 2,
        Severity::Major => 3,
        Severity::Minor => 4,
        Severity::Warning => 5,
    }
}

/// The fixed part of a sensor's frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    facility: Facility,
    hostname: String,
    procid: String,
}

impl Header {
    /// A header for this facility and host name (cut to what RFC 5424 allows).
    pub fn new(facility: Facility, hostname: &str) -> Header {
        Header {
            facility,
            hostname: printable(hostname, 255),
            procid: std::process::id().to_string(),
        }
    }

    /// The frame of one message made at `now`.
    pub fn frame(&self, severity: Severity, msgid: &str, now: Timestamp, msg: &str) -> Vec<u8> {
        let pri = u16::from(self.facility.0) * 8 + u16::from(syslog_severity(severity));
        let time = utc(now, HEADER_TIME).unwrap_or_else(|| "-".to_string());
        let head = format!(
            "<{pri}>1 {time} {} {APP_NAME} {} {} - ",
            self.hostname,
            self.procid,
            printable(msgid, 32)
        );
        let mut frame = Vec::with_capacity(head.len() + msg.len());
        frame.extend_from_slice(head.as_bytes());
        frame.extend_from_slice(msg.as_bytes());
        frame
    }
}

/// Prefix a frame with its length, as octet counting over a stream does (RFC 6587 3.4.1).
pub fn octet_counted(frame: &[u8]) -> Vec<u8> {
    let mut out = format!("{} ", frame.len()).into_bytes();
    out.extend_from_slice(frame);
    out
}

/// This machine's host name, for the HOSTNAME field, or `-` when it cannot be told.
pub fn local_hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_string())
}

/// A header field: printable US-ASCII without spaces, at most `max` characters, `-` if empty.
fn printable(field: &str, max: usize) -> String {
    let s: String = field
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if s.is_empty() { "-".to_string() } else { s }
}

/// A capture or wall-clock time in UTC in `format`; `None` past the year 9999.
pub(crate) fn utc(t: Timestamp, format: &[BorrowedFormatItem<'_>]) -> Option<String> {
    let nanos = i128::from(t.0);
    let time = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    time.format(format).ok()
}

/// Now, as a timestamp.
pub(crate) fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_rfc5424_header_with_pri_from_facility_and_severity() {
        let h = Header::new(
            Facility::from_name("local4").expect("facility"),
            "sensor 1\n",
        );
        let t = Timestamp::from_parts(1_709_287_200, 250_999_000);
        let frame = h.frame(Severity::Critical, "protocol_policy", t, "CEF:0|x");
        let text = String::from_utf8(frame).expect("utf-8");
        // local4 is 20: 20 * 8 + 2 (critical) = 162.
        let expected = format!(
            "<162>1 2024-03-01T10:00:00.250Z sensor1 rampart {} protocol_policy - CEF:0|x",
            std::process::id()
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn maps_every_severity_and_facility() {
        let pri = |f: &str, s| {
            let h = Header::new(Facility::from_name(f).expect("facility"), "h");
            let frame = h.frame(s, "m", Timestamp(0), "");
            String::from_utf8(frame).expect("utf-8")[..6].to_string()
        };
        assert_eq!(pri("kern", Severity::Warning), "<5>1 1");
        assert_eq!(pri("local0", Severity::Minor), "<132>1");
        assert_eq!(pri("local7", Severity::Major), "<187>1");
        assert_eq!(Facility::from_name("local8"), None);
    }

    #[test]
    fn counts_octets_not_characters() {
        assert_eq!(octet_counted("ü".as_bytes()), b"2 \xc3\xbc".to_vec());
    }
}
