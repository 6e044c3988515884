//! Pure parsing for HTTP/1.x: message heads through `httparse`, the few headers that matter to
//! a monitor, body framing (RFC 9112 section 6), credentials in `Authorization`, OS hints in a
//! `User-Agent`, and finding the next message start after lost bytes.

use memchr::{memchr, memmem};

/// Headers kept per message head; more is an anomaly (and a smuggling or DoS smell).
pub const MAX_HEADERS: usize = 128;

/// Request methods recognised when probing or resynchronising (RFC 9110 section 9, WebDAV
/// RFC 4918, PATCH RFC 5789).
const METHODS: &[&str] = &[
    "GET",
    "POST",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "CONNECT",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
    "REPORT",
];

/// The HTTP/2 connection preface (RFC 9113 section 3.4): after it nothing is HTTP/1.
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n";

/// How a message body is delimited (RFC 9112 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body follows.
    None,
    /// Exactly this many bytes follow.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// The body runs until the connection closes (responses only).
    UntilClose,
}

/// What the headers of one message say, borrowed from the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary<'a> {
    /// `Host`.
    pub host: Option<&'a [u8]>,
    /// `User-Agent`.
    pub user_agent: Option<&'a [u8]>,
    /// `Referer`.
    pub referrer: Option<&'a [u8]>,
    /// `Content-Type`.
    pub content_type: Option<&'a [u8]>,
    /// `Server`.
    pub server: Option<&'a [u8]>,
    /// `Authorization` or `Proxy-Authorization`.
    pub authorization: Option<&'a [u8]>,
    /// The `Content-Length` value, if one parsed.
    pub content_length: Option<u64>,
    /// Whether the final transfer coding is `chunked`.
    pub chunked: bool,
    /// Framing oddities worth an anomaly: (code, explanation).
    pub oddities: Vec<(&'static str, &'static str)>,
}

/// A request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead<'a> {
    /// The method token.
    pub method: &'a str,
    /// The request target.
    pub uri: &'a str,
    /// The minor version (`1` for HTTP/1.1).
    pub version: u8,
    /// The headers that matter.
    pub headers: Summary<'a>,
    /// Bytes the head takes, final empty line included.
    pub len: usize,
}

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    /// The minor version.
    pub version: u8,
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: &'a str,
    /// The headers that matter.
    pub headers: Summary<'a>,
    /// Bytes the head takes, final empty line included.
    pub len: usize,
}

/// Why a head is not HTTP/1.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HeadError(pub httparse::Error);

fn config() -> httparse::ParserConfig {
    let mut c = httparse::ParserConfig::default();
    c.allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .ignore_invalid_headers_in_responses(true)
        .ignore_invalid_headers_in_requests(true);
    c
}

/// Parse a request head at the start of `data`; `None` when it is not complete yet.
pub fn parse_request(data: &[u8]) -> Result<Option<RequestHead<'_>>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match config().parse_request(&mut req, data).map_err(HeadError)? {
        httparse::Status::Partial => Ok(None),
        httparse::Status::Complete(len) => Ok(Some(RequestHead {
            method: req.method.unwrap_or_default(),
            uri: req.path.unwrap_or_default(),
            version: req.version.unwrap_or_default(),
            headers: summarise(req.headers),
            len,
        })),
    }
}

/// Parse a response head at the start of `data`; `None` when it is not complete yet.
pub fn parse_response(data: &[u8]) -> Result<Option<ResponseHead<'_>>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    match config()
        .parse_response(&mut resp, data)
        .map_err(HeadError)?
    {
        httparse::Status::Partial => Ok(None),
        httparse::Status::Complete(len) => Ok(Some(ResponseHead {
            version: resp.version.unwrap_or_default(),
            code: resp.code.unwrap_or_default(),
            reason: resp.reason.unwrap_or_default(),
            headers: summarise(resp.headers),
            len,
        })),
    }
}

fn summarise<'a>(headers: &[httparse::Header<'a>]) -> Summary<'a> {
    let mut s = Summary::default();
    for h in headers {
        let value = h.value;
        let name = h.name;
        if name.eq_ignore_ascii_case("host") {
            s.host = Some(value);
        } else if name.eq_ignore_ascii_case("user-agent") {
            s.user_agent = Some(value);
        } else if name.eq_ignore_ascii_case("referer") {
            s.referrer = Some(value);
        } else if name.eq_ignore_ascii_case("content-type") {
            s.content_type = Some(value);
        } else if name.eq_ignore_ascii_case("server") {
            s.server = Some(value);
        } else if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            s.authorization = Some(value);
        } else if name.eq_ignore_ascii_case("content-length") {
            match (parse_decimal(value), s.content_length) {
                (None, _) => s
                    .oddities
                    .push(("bad_content_length", "Content-Length is not a number")),
                (Some(n), Some(prev)) if n != prev => s.oddities.push((
                    "conflicting_content_length",
                    "two Content-Length headers disagree",
                )),
                (Some(n), _) => s.content_length = Some(n),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            s.chunked = trim(last).eq_ignore_ascii_case(b"chunked");
        }
    }
    if s.chunked && s.content_length.is_some() {
        s.oddities.push((
            "content_length_with_chunked",
            "Content-Length and chunked Transfer-Encoding together (RFC 9112 section 6.3)",
        ));
    }
    s
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

fn parse_decimal(value: &[u8]) -> Option<u64> {
    let digits = trim(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

impl Summary<'_> {
    /// How the body of a request with these headers is delimited (RFC 9112 section 6.3).
    pub fn request_framing(&self) -> Framing {
        if self.chunked {
            Framing::Chunked
        } else {
            match self.content_length {
                Some(0) | None => Framing::None,
                Some(n) => Framing::Length(n),
            }
        }
    }

    /// How the body of a response with these headers is delimited, given the status and
    /// whether the request was `HEAD` (RFC 9112 section 6.3, rules 1 to 7).
    pub fn response_framing(&self, code: u16, head_request: bool) -> Framing {
        if head_request || code < 200 || code == 204 || code == 304 {
            Framing::None
        } else if self.chunked {
            Framing::Chunked
        } else {
            match self.content_length {
                Some(0) => Framing::None,
                Some(n) => Framing::Length(n),
                None => Framing::UntilClose,
            }
        }
    }
}

/// A user name carried in an `Authorization` header, with its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `basic` or `digest`.
    pub mechanism: &'static str,
    /// The user name (never the password).
    pub user: String,
}

/// Extract the user name of a Basic (RFC 7617) or Digest (RFC 7616) `Authorization` value.
pub fn credential(value: &[u8]) -> Option<Credential> {
    let value = trim(value);
    let split = memchr(b' ', value)?;
    let (scheme, params) = (value.get(..split)?, trim(value.get(split..)?));
    if scheme.eq_ignore_ascii_case(b"basic") {
        let decoded = base64_decode(params)?;
        let user = decoded.split(|&b| b == b':').next().unwrap_or_default();
        Some(Credential {
            mechanism: "basic",
            user: String::from_utf8_lossy(user).into_owned(),
        })
    } else if scheme.eq_ignore_ascii_case(b"digest") {
        digest_username(params).map(|user| Credential {
            mechanism: "digest",
            user,
        })
    } else {
        None
    }
}

/// Find `username="…"` (or the RFC 7616 `username*` form, kept encoded) in Digest parameters.
fn digest_username(params: &[u8]) -> Option<String> {
    for param in params.split(|&b| b == b',') {
        let param = trim(param);
        let Some(eq) = memchr(b'=', param) else {
            continue;
        };
        let name = trim(param.get(..eq)?);
        if name.eq_ignore_ascii_case(b"username") || name.eq_ignore_ascii_case(b"username*") {
            let value = trim(param.get(eq + 1..)?);
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            return Some(String::from_utf8_lossy(value).into_owned());
        }
    }
    None
}

/// Decode standard base64 (RFC 4648 section 4), padding optional; `None` on any other byte.
fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let body = input
        .iter()
        .rposition(|&c| c != b'=')
        .map_or(&[][..], |end| input.get(..=end).unwrap_or_default());
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in body {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Guess the operating system from a `User-Agent`: the platform tokens browsers and common
/// libraries put in their comment (`Windows NT 10.0`, `Android 13`, `iPhone OS 17_1`, `Linux`).
pub fn os_from_user_agent(ua: &str) -> Option<String> {
    if let Some(at) = ua.find("Windows NT ") {
        let version: String = ua
            .get(at + "Windows NT ".len()..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        return Some(format!("Windows NT {version}").trim_end().to_string());
    }
    if let Some(at) = ua.find("Android") {
        let version: String = ua
            .get(at + "Android".len()..)
            .unwrap_or_default()
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        return Some(format!("Android {version}").trim_end().to_string());
    }
    for device in ["iPhone", "iPad"] {
        if ua.contains(device) {
            let version = ua.find(" OS ").map(|at| {
                ua.get(at + 4..)
                    .unwrap_or_default()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '_')
                    .map(|c| if c == '_' { '.' } else { c })
                    .collect::<String>()
            });
            return Some(match version {
                Some(v) if !v.is_empty() => format!("iOS {v}"),
                _ => "iOS".to_string(),
            });
        }
    }
    if ua.contains("Mac OS X") {
        return Some("macOS".to_string());
    }
    if ua.contains("CrOS") {
        return Some("ChromeOS".to_string());
    }
    if ua.contains("Linux") {
        return Some("Linux".to_string());
    }
    None
}

fn is_method(token: &[u8]) -> bool {
    METHODS.iter().any(|m| m.as_bytes() == token)
}

/// Tell whether `data` starts with a known method and a space: the cheap part of a request
/// line, used by the probe.
pub fn starts_with_method(data: &[u8]) -> bool {
    memchr(b' ', data.get(..12).unwrap_or(data))
        .and_then(|sp| data.get(..sp))
        .is_some_and(is_method)
}

/// Tell whether the line starting at `data` is a request line: `METHOD SP target SP HTTP/1.x`.
pub fn is_request_line(data: &[u8]) -> bool {
    let line = memchr(b'\n', data).map_or(data, |end| data.get(..end).unwrap_or_default());
    starts_with_method(line) && memmem::find(line, b" HTTP/1.").is_some()
}

/// Tell whether `data` starts with a status line prefix: `HTTP/1.x SP`.
pub fn is_status_line(data: &[u8]) -> bool {
    matches!(data.get(..9), Some([b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor, b' ']) if minor.is_ascii_digit())
}

/// Where the next message start (a line that `accept` likes) begins in `data`, or else how
/// much of `data` can be dropped: everything before the last line start, which may still grow
/// into a message start.
pub fn resync(data: &[u8], accept: fn(&[u8]) -> bool) -> Result<usize, usize> {
    let mut start = 0;
    loop {
        let line = data.get(start..).unwrap_or_default();
        if !line.is_empty() && accept(line) && (start > 0 || memchr(b'\n', line).is_some()) {
            return Ok(start);
        }
        match memchr(b'\n', line) {
            Some(end) => start += end + 1,
            None => return Err(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_a_request_head() {
        // RFC 9112 section 3: request line, then header fields, then an empty line.
        let data = b"POST /login HTTP/1.1\r\n\
Host: plc.example\r\n\
User-Agent: curl/8.0\r\n\
Content-Type: application/x-www-form-urlencoded\r\n\
Content-Length: 11\r\n\r\nuser=x&pw=y";
        let head = parse_request(data).expect("valid").expect("complete");
        assert_eq!((head.method, head.uri, head.version), ("POST", "/login", 1));
        assert_eq!(head.headers.host, Some(&b"plc.example"[..]));
        assert_eq!(head.headers.request_framing(), Framing::Length(11));
        assert_eq!(head.len, data.len() - 11);
    }

    #[test]
    fn waits_for_the_end_of_a_head() {
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost: a\r\n"), Ok(None));
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n"), Ok(None));
    }

    #[test]
    fn refuses_a_request_line_that_is_not_http() {
        assert!(parse_request(b"\x16\x03\x01\x00\xa5\x01\r\n\r\n").is_err());
    }

    #[test]
    fn frames_response_bodies_by_status_and_method() {
        let head = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
            .expect("valid")
            .expect("complete");
        assert_eq!(head.headers.response_framing(200, false), Framing::Chunked);
        assert_eq!(head.headers.response_framing(200, true), Framing::None);
        assert_eq!(head.headers.response_framing(304, false), Framing::None);
        let close = Summary::default();
        assert_eq!(close.response_framing(200, false), Framing::UntilClose);
        assert_eq!(close.request_framing(), Framing::None);
    }

    #[test]
    fn flags_conflicting_and_smuggling_prone_lengths() {
        let head = parse_request(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\
Transfer-Encoding: chunked\r\n\r\n",
        )
        .expect("valid")
        .expect("complete");
        let codes: Vec<_> = head.headers.oddities.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            codes,
            vec!["conflicting_content_length", "content_length_with_chunked"]
        );
        assert_eq!(head.headers.request_framing(), Framing::Chunked);
        let bad = parse_request(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
            .expect("valid")
            .expect("complete");
        assert_eq!(bad.headers.oddities[0].0, "bad_content_length");
        assert_eq!(bad.headers.request_framing(), Framing::None);
    }

    #[test]
    fn extracts_basic_user_without_password() {
        // RFC 7617 section 2: "Aladdin:open sesame".
        assert_eq!(
            credential(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Some(Credential {
                mechanism: "basic",
                user: "Aladdin".to_string()
            })
        );
        assert_eq!(credential(b"Basic !!!"), None);
        assert_eq!(credential(b"Bearer abc"), None);
        assert_eq!(credential(b"Basic"), None);
    }

    #[test]
    fn extracts_digest_user() {
        // RFC 7616 section 3.9.1 example, abridged.
        let value =
            br#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html""#;
        assert_eq!(
            credential(value),
            Some(Credential {
                mechanism: "digest",
                user: "Mufasa".to_string()
            })
        );
    }

    #[test]
    fn decodes_base64_with_and_without_padding() {
        // RFC 4648 section 10 test vectors.
        assert_eq!(base64_decode(b"Zm9vYmFy"), Some(b"foobar".to_vec()));
        assert_eq!(base64_decode(b"Zm9vYg=="), Some(b"foob".to_vec()));
        assert_eq!(base64_decode(b"Zm9vYg"), Some(b"foob".to_vec()));
        assert_eq!(base64_decode(b""), Some(Vec::new()));
    }

    #[test]
    fn hints_os_from_user_agents() {
        let cases = [
            (
                "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.2; SV1)",
                Some("Windows NT 5.2"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36",
                Some("Android 13"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)",
                Some("iOS 17.1"),
            ),
            ("Mozilla/5.0 (X11; Linux x86_64)", Some("Linux")),
            ("curl/8.0", None),
        ];
        for (ua, os) in cases {
            assert_eq!(os_from_user_agent(ua).as_deref(), os, "{ua}");
        }
    }

    #[test]
    fn recognises_request_and_status_lines() {
        assert!(is_request_line(b"GET /a HTTP/1.1\r\n"));
        assert!(!is_request_line(b"ET /a HTTP/1.1\r\n"));
        assert!(!is_request_line(b"GET /a\r\nHTTP/1.1"));
        assert!(is_status_line(b"HTTP/1.0 404 Not Found\r\n"));
        assert!(!is_status_line(b"HTTP/2 200\r\n"));
    }

    #[test]
    fn resynchronises_on_the_next_complete_request_line() {
        let data = b"garbage tail\r\nmore\r\nGET /next HTTP/1.1\r\nHost: a\r\n";
        assert_eq!(resync(data, is_request_line), Ok(20));
        assert_eq!(resync(b"junk\r\nGET /partial HT", is_request_line), Err(6));
        // A message start at offset 0 is only trusted once its line is complete.
        assert_eq!(resync(b"GET / HTTP/1.1", is_request_line), Err(0));
    }
}
