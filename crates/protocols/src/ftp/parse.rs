//! FTP control-connection lines (RFC 959 §4, §5.4) and the data-channel addresses that
//! commands and replies announce (RFC 959 PORT/PASV, RFC 2428 EPRT/EPSV).

use std::net::{IpAddr, Ipv4Addr};

/// Split the first line off `data`: the line without its CRLF (or bare LF), and the bytes it
/// took; `None` while no line feed has arrived.
pub fn line(data: &[u8]) -> Option<(&[u8], usize)> {
    let end = data.iter().position(|&b| b == b'\n')?;
    let line = data.get(..end)?;
    Some((line.strip_suffix(b"\r").unwrap_or(line), end + 1))
}

/// A client command: a verb and its argument (RFC 959 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command<'a> {
    /// The command verb, as sent (FTP verbs are case-insensitive).
    pub verb: &'a [u8],
    /// Everything after the first space.
    pub arg: &'a [u8],
}

impl Command<'_> {
    /// Tell whether the verb is `name`, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        self.verb.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Tell whether the verb looks like one: 3 or 4 letters, as every RFC 959 and RFC 2389
    /// command is (a few extensions use up to 8).
    pub fn well_formed(&self) -> bool {
        (3..=8).contains(&self.verb.len()) && self.verb.iter().all(u8::is_ascii_alphabetic)
    }
}

/// Split a command line into verb and argument.
pub fn command(line: &[u8]) -> Command<'_> {
    match line.iter().position(|&b| b == b' ') {
        Some(i) => Command {
            verb: line.get(..i).unwrap_or_default(),
            arg: line.get(i + 1..).unwrap_or_default(),
        },
        None => Command {
            verb: line,
            arg: &[],
        },
    }
}

/// A reply line that starts with a code (RFC 959 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    /// The three-digit reply code.
    pub code: u16,
    /// False for the first line of a multi-line reply (`123-`), true otherwise.
    pub last: bool,
    /// The text after the code.
    pub text: &'a [u8],
}

/// Read a reply line: three digits, then a space, a hyphen or the end of the line.
pub fn reply(line: &[u8]) -> Option<ReplyLine<'_>> {
    let (digits, rest) = line.split_first_chunk::<3>()?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    let (last, text) = match rest.split_first() {
        None => (true, rest),
        Some((b' ', text)) => (true, text),
        Some((b'-', text)) => (false, text),
        Some(_) => return None,
    };
    Some(ReplyLine { code, last, text })
}

/// Read six comma-separated numbers `h1,h2,h3,h4,p1,p2` starting at the first digit of
/// `text`: the PORT argument, and the 227 reply to PASV, which RFC 1123 §4.1.2.6 says to scan
/// for anywhere in the text.
pub fn host_port(text: &[u8]) -> Option<(IpAddr, u16)> {
    let start = text.iter().position(u8::is_ascii_digit)?;
    let mut numbers = [0u8; 6];
    let mut fields = text.get(start..)?.split(|&b| b == b',');
    for n in &mut numbers {
        let field = fields.next()?;
        let digits: &[u8] = match field.iter().position(|b| !b.is_ascii_digit()) {
            Some(end) => field.get(..end)?,
            None => field,
        };
        *n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    }
    let [a, b, c, d, hi, lo] = numbers;
    Some((
        IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        u16::from_be_bytes([hi, lo]),
    ))
}

/// Read an EPRT argument, `|1|132.235.1.2|6275|` (RFC 2428 §2): any delimiter, an address
/// family (1 IPv4, 2 IPv6), an address and a port.
pub fn extended_address(arg: &[u8]) -> Option<(IpAddr, u16)> {
    let text = std::str::from_utf8(arg).ok()?;
    let delimiter = text.chars().next()?;
    let mut parts = text.split(delimiter).skip(1);
    let family = parts.next()?;
    let ip: IpAddr = parts.next()?.parse().ok()?;
    let port = parts.next()?.parse().ok()?;
    match (family, ip) {
        ("1", IpAddr::V4(_)) | ("2", IpAddr::V6(_)) => Some((ip, port)),
        _ => None,
    }
}

/// Read the port of a 229 reply to EPSV, `Entering Extended Passive Mode (|||6446|)`
/// (RFC 2428 §3): three delimiters, the port, a delimiter, inside parentheses.
pub fn extended_passive_port(text: &[u8]) -> Option<u16> {
    let open = text.iter().position(|&b| b == b'(')?;
    let inner = text.get(open + 1..)?;
    let close = inner.iter().position(|&b| b == b')')?;
    let inner = std::str::from_utf8(inner.get(..close)?).ok()?;
    let delimiter = inner.chars().next()?;
    let mut parts = inner.split(delimiter);
    let port = parts.nth(3)?;
    port.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_on_crlf_or_lf() {
        assert_eq!(line(b"USER ftp\r\nPASS"), Some((&b"USER ftp"[..], 10)));
        assert_eq!(line(b"QUIT\n"), Some((&b"QUIT"[..], 5)));
        assert_eq!(line(b"PAS"), None);
    }

    #[test]
    fn splits_commands_and_checks_verbs() {
        let c = command(b"RETR my file.txt");
        assert!(c.is("retr"));
        assert_eq!(c.arg, b"my file.txt");
        assert!(c.well_formed());
        assert!(!command(b"\x90\x90\x90\x90").well_formed());
        assert!(command(b"NOOP").arg.is_empty());
    }

    #[test]
    fn reads_single_and_multi_line_replies() {
        assert_eq!(
            reply(b"220 (vsFTPd 3.0.3)"),
            Some(ReplyLine {
                code: 220,
                last: true,
                text: b"(vsFTPd 3.0.3)"
            })
        );
        assert_eq!(reply(b"230-Welcome").map(|r| r.last), Some(false));
        assert_eq!(reply(b"200").map(|r| r.code), Some(200));
        assert_eq!(reply(b"2x0 no"), None);
        assert_eq!(reply(b"2000"), None);
    }

    #[test]
    fn reads_data_channel_addresses() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("literal");
        assert_eq!(host_port(b"10,0,0,5,4,1"), Some((ip("10.0.0.5"), 1025)));
        assert_eq!(
            host_port(b"Entering Passive Mode (192,168,1,2,195,149)."),
            Some((ip("192.168.1.2"), 50069))
        );
        assert_eq!(host_port(b"10,0,0,300,4,1"), None);
        assert_eq!(host_port(b"10,0,0"), None);
        assert_eq!(
            extended_address(b"|2|1080::8:800:200C:417A|5282|"),
            Some((ip("1080::8:800:200c:417a"), 5282))
        );
        assert_eq!(extended_address(b"|1|::1|5282|"), None);
        assert_eq!(
            extended_passive_port(b"Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(
            extended_passive_port(b"Entering Extended Passive Mode"),
            None
        );
    }
}
