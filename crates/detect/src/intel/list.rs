//! Plain indicator lists: one indicator a line, `#` comments, the type told by an explicit
//! `type:value` prefix or recognised from the value.

use std::net::IpAddr;

use ipnet::IpNet;

use super::index::{split_absolute, strip_port};
use super::indicator::{Indicator, Target};

/// Type prefixes a list line may carry.
pub const TYPES: [&str; 6] = ["ip", "cidr", "domain", "url", "ja3", "ja4"];

/// JA4+ fingerprints other than JA4 itself, which Rampart does not compute (their licence
/// does not allow it), so a list naming one is refused rather than silently never matching.
const JA4_PLUS: [&str; 7] = ["ja4s", "ja4h", "ja4x", "ja4ssh", "ja4t", "ja4ts", "ja4l"];

/// A line of a list that is not an indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ListError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse a list; `source` names the file in each indicator.
pub fn parse(text: &str, source: &str) -> Result<Vec<Indicator>, ListError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let target = parse_line(line).map_err(|message| ListError {
            line: n + 1,
            message,
        })?;
        out.push(Indicator::listed(target, format!("{source}:{}", n + 1)));
    }
    Ok(out)
}

/// A line without a comment: `#` at the start, or after white space (a URL's `#fragment`
/// stays).
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

fn parse_line(line: &str) -> Result<Target, String> {
    if let Some((prefix, value)) = line.split_once(':') {
        let kind = prefix.trim().to_ascii_lowercase();
        if TYPES.contains(&kind.as_str()) {
            return parse_typed(&kind, value.trim());
        }
        if JA4_PLUS.contains(&kind.as_str()) {
            return Err(format!(
                "{kind} fingerprints are not supported (of the JA4+ family only JA4 is)"
            ));
        }
    }
    detect(line)
}

/// Parse `value` as an indicator of type `kind` (one of [`TYPES`]).
pub fn parse_typed(kind: &str, value: &str) -> Result<Target, String> {
    match kind {
        "ip" => value
            .parse::<IpAddr>()
            .map(Target::Ip)
            .map_err(|_| format!("`{value}` is not an IP address")),
        "cidr" => parse_cidr(value),
        "domain" => domain(value).map(Target::Domain),
        "url" => url(value),
        "ja3" if is_ja3(value) => Ok(Target::Ja3(value.to_ascii_lowercase())),
        "ja3" => Err(format!("`{value}` is not a JA3 hash (32 hex digits)")),
        "ja4" if is_ja4(value) => Ok(Target::Ja4(value.to_ascii_lowercase())),
        "ja4" => Err(format!(
            "`{value}` is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_e5627efa2ab1)"
        )),
        _ => Err(format!("unknown indicator type `{kind}`")),
    }
}

/// Recognise the type of a bare value.
fn detect(value: &str) -> Result<Target, String> {
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Ok(Target::Ip(ip));
    }
    if value.contains('/') && value.parse::<IpNet>().is_ok() {
        return parse_cidr(value);
    }
    if split_absolute(value).is_some() {
        return url(value);
    }
    if is_ja4(value) {
        return Ok(Target::Ja4(value.to_ascii_lowercase()));
    }
    if is_ja3(value) {
        return Ok(Target::Ja3(value.to_ascii_lowercase()));
    }
    domain(value).map(Target::Domain).map_err(|_| {
        format!(
            "cannot tell what `{value}` is (not an IP, CIDR, URL, JA3, JA4 or domain); prefix it with its type, e.g. `domain:`"
        )
    })
}

fn parse_cidr(value: &str) -> Result<Target, String> {
    let net: IpNet = value
        .parse()
        .map_err(|_| format!("`{value}` is not a network (like 10.0.0.0/8)"))?;
    Ok(if net.prefix_len() == net.max_prefix_len() {
        Target::Ip(net.addr())
    } else {
        Target::Cidr(net.trunc())
    })
}

/// A domain name, normalised: lowercase, no trailing dot, no leading `*.` (a domain covers
/// its subdomains anyway).
pub fn domain(value: &str) -> Result<String, String> {
    let d = value.strip_prefix("*.").unwrap_or(value);
    let d = d.strip_suffix('.').unwrap_or(d);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if d.is_empty() || d.len() > 253 || !d.split('.').all(label_ok) {
        return Err(format!("`{value}` is not a domain name"));
    }
    Ok(d.to_ascii_lowercase())
}

/// A URL as host and path; the scheme must be `http` or `https` and is not kept (a URL is
/// only visible in cleartext HTTP anyway).
pub fn url(value: &str) -> Result<Target, String> {
    let (authority, path) =
        split_absolute(value).ok_or_else(|| format!("`{value}` is not an http(s) URL"))?;
    let host = strip_port(authority);
    let host = if host.parse::<IpAddr>().is_ok() {
        host.to_string()
    } else {
        domain(host).map_err(|_| format!("`{value}` has no valid host"))?
    };
    let path = path.split('#').next().unwrap_or_default().to_string();
    Ok(Target::Url { host, path })
}

fn is_ja3(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The JA4 shape: `a_b_c`, `a` ten characters (protocol, version, SNI flag, two counts, ALPN),
/// `b` and `c` twelve hex digits.
fn is_ja4(value: &str) -> bool {
    let mut parts = value.split('_');
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let a = a.as_bytes();
    let hex12 = |s: &str| s.len() == 12 && s.bytes().all(|x| x.is_ascii_hexdigit());
    a.len() == 10
        && matches!(a[0].to_ascii_lowercase(), b't' | b'q' | b'd')
        && matches!(a[3].to_ascii_lowercase(), b'd' | b'i')
        && a[4..8].iter().all(u8::is_ascii_digit)
        && a.iter().all(u8::is_ascii_alphanumeric)
        && hex12(b)
        && hex12(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Vec<String> {
        parse(text, "l.txt")
            .expect("valid list")
            .iter()
            .map(|i| format!("{}={}", i.target.type_name(), i.target))
            .collect()
    }

    #[test]
    fn recognises_each_type_and_honours_prefixes_and_comments() {
        let text = "# feed of 2026-12-01\n\
            192.0.2.7\n\
            \n\
            10.0.0.0/8   # lab\n\
            198.51.100.9/32\n\
            2001:db8::1\n\
            Evil.Example.\n\
            *.c2.example\n\
            http://dl.example:8080/p.bin#frag\n\
            308B0BD904ABBEF5E0034A1FF7A78920\n\
            t12i1810s1_27d4652c4487_06a4338d0495\n\
            domain:deadbeefdeadbeefdeadbeefdeadbeef\n\
            ip: 192.0.2.8\n";
        assert_eq!(
            targets(text),
            [
                "ip=192.0.2.7",
                "cidr=10.0.0.0/8",
                "ip=198.51.100.9",
                "ip=2001:db8::1",
                "domain=evil.example",
                "domain=c2.example",
                "url=http://dl.example/p.bin",
                "ja3=308b0bd904abbef5e0034a1ff7a78920",
                "ja4=t12i1810s1_27d4652c4487_06a4338d0495",
                "domain=deadbeefdeadbeefdeadbeefdeadbeef",
                "ip=192.0.2.8",
            ]
        );
        let list = parse("a.example\n\nb.example\n", "feeds/x.txt").expect("valid");
        assert_eq!(list[1].source, "feeds/x.txt:3");
    }

    #[test]
    fn a_bad_line_is_an_error_with_its_number() {
        let err = parse("good.example\n# c\nnot a domain!\n", "l.txt").expect_err("bad line 3");
        assert_eq!(err.line, 3);
        assert!(
            err.message.contains("cannot tell what `not a domain!` is"),
            "{err}"
        );
        let err = parse("ip:10.0.0.300\n", "l.txt").expect_err("bad ip");
        assert_eq!(err.to_string(), "line 1: `10.0.0.300` is not an IP address");
        let err = parse("x.example\nja4s:t120200_c030_5e2616a54c73\n", "l.txt").expect_err("ja4s");
        assert_eq!(err.line, 2);
        assert!(err.message.contains("only JA4"), "{err}");
        assert!(parse("ja3:abc\n", "l.txt").is_err());
        assert!(parse("url:ftp://x.example/\n", "l.txt").is_err());
        assert!(parse("cidr:10.0.0.0/33\n", "l.txt").is_err());
    }
}
