//! STIX 2.1 bundles: `indicator` objects whose `pattern_type` is `stix` and whose pattern is
//! an OR of equality (or `ISSUBSET`) comparisons on addresses, domains and URLs.
//!
//! Anything else a pattern can say (AND, NOT, other operators, qualifiers such as WITHIN,
//! other object types) cannot be decided from one observation, so such indicators are
//! counted and listed as unsupported rather than failing the bundle: a feed is mostly
//! usable even when some of it is not.

use serde::Deserialize;

use super::indicator::{Indicator, Target};
use super::list;
use crate::Severity;
use rampart_event::Timestamp;

/// Unsupported indicators listed at most per bundle; past it they are only counted.
pub const MAX_LISTED: usize = 100;

/// Why a bundle could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum StixError {
    /// Not JSON, or not the shape of a bundle (serde names the line and column).
    #[error("not a STIX bundle: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but its `type` is not `bundle`.
    #[error("not a STIX bundle: type is `{0}`")]
    NotABundle(String),
}

/// An indicator of the bundle that Rampart cannot match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The STIX id (or `?` when it has none).
    pub id: String,
    /// Why.
    pub reason: String,
}

/// What a bundle gave.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The indicators to match: one per comparison of each supported pattern.
    pub indicators: Vec<Indicator>,
    /// Indicators that cannot be matched, the first [`MAX_LISTED`].
    pub unsupported: Vec<Unsupported>,
    /// Every unsupported indicator.
    pub unsupported_count: usize,
    /// Indicators skipped because they are revoked.
    pub revoked: usize,
}

#[derive(Deserialize)]
struct Bundle {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    objects: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct StixIndicator {
    #[serde(default)]
    id: Option<String>,
    pattern: String,
    pattern_type: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    indicator_types: Vec<String>,
    #[serde(default)]
    confidence: Option<u8>,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    revoked: bool,
}

/// Read a bundle; `source` names the file in each indicator.
pub fn parse(text: &str, source: &str) -> Result<Loaded, StixError> {
    let bundle: Bundle = serde_json::from_str(text)?;
    if bundle.kind != "bundle" {
        return Err(StixError::NotABundle(bundle.kind));
    }
    let mut loaded = Loaded::default();
    for object in bundle.objects {
        if object.get("type").and_then(|t| t.as_str()) != Some("indicator") {
            continue;
        }
        let id = object
            .get("id")
            .and_then(|t| t.as_str())
            .unwrap_or("?")
            .to_string();
        match indicator(object, source) {
            Ok(Some(found)) => loaded.indicators.extend(found),
            Ok(None) => loaded.revoked += 1,
            Err(reason) => {
                loaded.unsupported_count += 1;
                if loaded.unsupported.len() < MAX_LISTED {
                    loaded.unsupported.push(Unsupported { id, reason });
                }
            }
        }
    }
    Ok(loaded)
}

/// The indicators one STIX indicator object makes, `None` when revoked, or why not.
fn indicator(object: serde_json::Value, source: &str) -> Result<Option<Vec<Indicator>>, String> {
    let s: StixIndicator =
        serde_json::from_value(object).map_err(|e| format!("malformed indicator: {e}"))?;
    if s.revoked {
        return Ok(None);
    }
    if s.pattern_type != "stix" {
        return Err(format!(
            "pattern_type `{}` is not supported",
            s.pattern_type
        ));
    }
    let valid_until = match &s.valid_until {
        Some(t) => {
            Some(timestamp(t).ok_or_else(|| format!("valid_until `{t}` is not a timestamp"))?)
        }
        None => None,
    };
    let targets = pattern(&s.pattern)?;
    let mut labels = s.labels.clone();
    labels.extend(s.indicator_types.iter().cloned());
    let severity = severity(&labels, s.confidence);
    Ok(Some(
        targets
            .into_iter()
            .map(|target| Indicator {
                target,
                source: source.to_string(),
                stix_id: s.id.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
                labels: labels.clone(),
                severity,
                valid_until,
            })
            .collect(),
    ))
}

/// The severity an indicator's labels name (`critical`/`high`, `major`/`medium`,
/// `minor`/`low`, `warning`/`info`; the highest named wins), else from its confidence
/// (85–100 critical, 50–84 major, 15–49 minor, below warning), else major.
pub fn severity(labels: &[String], confidence: Option<u8>) -> Severity {
    let named = labels
        .iter()
        .filter_map(|l| match l.to_ascii_lowercase().as_str() {
            "critical" | "high" => Some(Severity::Critical),
            "major" | "medium" => Some(Severity::Major),
            "minor" | "low" => Some(Severity::Minor),
            "warning" | "info" | "informational" => Some(Severity::Warning),
            _ => None,
        })
        .max();
    named.unwrap_or(match confidence {
        None => Severity::Major,
        Some(85..) => Severity::Critical,
        Some(50..=84) => Severity::Major,
        Some(15..=49) => Severity::Minor,
        Some(_) => Severity::Warning,
    })
}

/// A STIX timestamp (`2026-12-01T10:00:00Z`, `…:00.123Z`; STIX requires UTC).
pub fn timestamp(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let shape = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || !shape.iter().all(|&(i, c)| b[i].eq_ignore_ascii_case(&c)) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &text[19..];
    let fraction = match rest.strip_prefix('.') {
        Some(f) => f.strip_suffix(['Z', 'z'])?,
        None if rest.eq_ignore_ascii_case("z") => "",
        None => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    if !fraction.bytes().all(|c| c.is_ascii_digit()) || fraction.len() > 9 {
        return None;
    }
    let nanos: u64 = format!("{fraction:0<9}").parse().ok()?;
    let days = days_from_civil(y, mo, d)?;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    Some(Timestamp(
        secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
    ))
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm), for dates from 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> Option<u64> {
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    LParen,
    RParen,
    Word(String),
    Text(String),
    Op(String),
}

fn tokens(pattern: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '[' => out.push(Token::Open),
            ']' => out.push(Token::Close),
            '(' => out.push(Token::LParen),
            ')' => out.push(Token::RParen),
            '\'' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, e)) => text.push(e),
                            None => return Err("unterminated string".into()),
                        },
                        Some((_, '\'')) => break,
                        Some((_, ch)) => text.push(ch),
                        None => return Err("unterminated string".into()),
                    }
                }
                out.push(Token::Text(text));
            }
            '=' | '!' | '<' | '>' => {
                let mut op = c.to_string();
                if let Some((_, '=')) = chars.peek() {
                    op.push('=');
                    chars.next();
                }
                out.push(Token::Op(op));
            }
            c if c.is_ascii_alphanumeric() || "-_:.*".contains(c) => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, n)) = chars.peek() {
                    if !(n.is_ascii_alphanumeric() || "-_:.*".contains(n)) {
                        break;
                    }
                    end = j + n.len_utf8();
                    chars.next();
                }
                out.push(Token::Word(pattern[i..end].to_string()));
            }
            other => return Err(format!("unexpected `{other}` in pattern")),
        }
    }
    Ok(out)
}

/// The targets of a pattern that is an OR of supported comparisons.
fn pattern(text: &str) -> Result<Vec<Target>, String> {
    let tokens = tokens(text)?;
    let mut p = Parser {
        tokens: &tokens,
        at: 0,
        depth: 0,
    };
    let targets = p.expression()?;
    match p.tokens.get(p.at) {
        None => Ok(targets),
        Some(Token::Word(w)) => Err(format!("`{w}` is not supported (only OR of comparisons)")),
        Some(t) => Err(format!("unexpected {t:?} after the pattern")),
    }
}

/// Observation expressions nested at most this deep (parentheses), so a hostile bundle
/// cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<&Token> {
        let t = self.tokens.get(self.at);
        self.at += 1;
        t
    }

    fn or_follows(&mut self) -> bool {
        let or = matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case("or"));
        if or {
            self.at += 1;
        }
        or
    }

    /// observation (OR observation)*
    fn expression(&mut self) -> Result<Vec<Target>, String> {
        let mut targets = self.observation()?;
        while self.or_follows() {
            targets.extend(self.observation()?);
        }
        Ok(targets)
    }

    fn observation(&mut self) -> Result<Vec<Target>, String> {
        match self.next() {
            Some(Token::LParen) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err("pattern nested too deep".into());
                }
                let inner = self.expression()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token::RParen) => Ok(inner),
                    _ => Err("expected `)`".into()),
                }
            }
            Some(Token::Open) => {
                let mut targets = vec![self.comparison()?];
                while self.or_follows() {
                    targets.push(self.comparison()?);
                }
                match self.next() {
                    Some(Token::Close) => Ok(targets),
                    Some(Token::Word(w)) => {
                        Err(format!("`{w}` is not supported (only OR of comparisons)"))
                    }
                    _ => Err("expected `]`".into()),
                }
            }
            _ => Err("expected `[`".into()),
        }
    }

    fn comparison(&mut self) -> Result<Target, String> {
        let Some(Token::Word(path)) = self.next().cloned() else {
            return Err("expected an object path".into());
        };
        let op = match self.next() {
            Some(Token::Op(op)) => op.clone(),
            Some(Token::Word(w)) => w.to_ascii_uppercase(),
            _ => return Err(format!("expected an operator after `{path}`")),
        };
        let Some(Token::Text(value)) = self.next().cloned() else {
            return Err(format!("expected a quoted value after `{path} {op}`"));
        };
        target(&path, &op, &value)
    }
}

fn target(path: &str, op: &str, value: &str) -> Result<Target, String> {
    let address = matches!(
        path,
        "ipv4-addr:value"
            | "ipv6-addr:value"
            | "network-traffic:src_ref.value"
            | "network-traffic:dst_ref.value"
    );
    let kind = match (path, op) {
        (_, "=" | "ISSUBSET") if address => {
            if value.contains('/') {
                "cidr"
            } else {
                "ip"
            }
        }
        ("domain-name:value", "=") => "domain",
        ("url:value", "=") => "url",
        _ => return Err(format!("`{path} {op}` is not supported")),
    };
    list::parse_typed(kind, value).map_err(|e| format!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(objects: &str) -> String {
        format!(r#"{{"type": "bundle", "id": "bundle--1", "objects": [{objects}]}}"#)
    }

    fn indicator(id: &str, pattern: &str, extra: &str) -> String {
        format!(
            r#"{{"type": "indicator", "spec_version": "2.1", "id": "indicator--{id}", "pattern": "{pattern}", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"{extra}}}"#
        )
    }

    #[test]
    fn reads_supported_patterns_with_their_metadata() {
        let text = bundle(&[
            indicator("a", "[ipv4-addr:value = '198.51.100.7']", r#", "name": "C2 server", "description": "Beacon target", "labels": ["apt-x"], "confidence": 90"#),
            indicator("b", "[domain-name:value = 'evil.example'] OR [url:value = 'http://dl.example/x.bin']", ""),
            indicator("c", "[ipv4-addr:value ISSUBSET '203.0.113.0/24' OR ipv6-addr:value = '2001:db8::5']", r#", "indicator_types": ["malicious-activity", "low"]"#),
            r#"{"type": "malware", "id": "malware--1", "name": "x"}"#.to_string(),
        ].join(","));
        let loaded = parse(&text, "feed.json").expect("bundle");
        assert_eq!(loaded.unsupported_count, 0, "{:?}", loaded.unsupported);
        let got: Vec<String> = loaded
            .indicators
            .iter()
            .map(|i| format!("{}={}", i.target.type_name(), i.target))
            .collect();
        assert_eq!(
            got,
            [
                "ip=198.51.100.7",
                "domain=evil.example",
                "url=http://dl.example/x.bin",
                "cidr=203.0.113.0/24",
                "ip=2001:db8::5"
            ]
        );
        let a = &loaded.indicators[0];
        assert_eq!(a.name.as_deref(), Some("C2 server"));
        assert_eq!(a.description.as_deref(), Some("Beacon target"));
        assert_eq!(a.labels, ["apt-x"]);
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(a.stix_id.as_deref(), Some("indicator--a"));
        assert_eq!(loaded.indicators[1].severity, Severity::Major);
        assert_eq!(loaded.indicators[3].severity, Severity::Minor);
    }

    #[test]
    fn counts_unsupported_and_revoked_indicators_without_failing() {
        let text = bundle(&[
            indicator("and", "[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'x.example']", ""),
            indicator("file", "[file:hashes.'SHA-256' = 'abc']", ""),
            indicator("within", "[domain-name:value = 'a.example'] WITHIN 300 SECONDS", ""),
            indicator("like", "[url:value LIKE 'http://%']", ""),
            indicator("badip", "[ipv4-addr:value = '192.0.2.300']", ""),
            indicator("gone", "[ipv4-addr:value = '192.0.2.2']", r#", "revoked": true"#),
            r#"{"type": "indicator", "id": "indicator--sigma", "pattern": "title: x", "pattern_type": "sigma"}"#.to_string(),
            r#"{"type": "indicator", "id": "indicator--nopattern"}"#.to_string(),
            indicator("ok", "[ipv4-addr:value = '192.0.2.3']", r#", "valid_until": "2026-06-01T12:00:00.5Z""#),
        ].join(","));
        let loaded = parse(&text, "feed.json").expect("bundle");
        assert_eq!(loaded.indicators.len(), 1);
        assert_eq!(loaded.revoked, 1);
        assert_eq!(loaded.unsupported_count, 7);
        let ids: Vec<&str> = loaded.unsupported.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "indicator--and",
                "indicator--file",
                "indicator--within",
                "indicator--like",
                "indicator--badip",
                "indicator--sigma",
                "indicator--nopattern"
            ]
        );
        assert!(
            loaded.unsupported[0].reason.contains("AND"),
            "{:?}",
            loaded.unsupported[0]
        );
        assert!(loaded.unsupported[5].reason.contains("sigma"));
        assert_eq!(
            loaded.indicators[0].valid_until,
            timestamp("2026-06-01T12:00:00.500Z")
        );
    }

    #[test]
    fn a_broken_bundle_names_line_and_column() {
        let err =
            parse("{\"type\": \"bundle\",\n \"objects\": [,]}", "f.json").expect_err("bad json");
        assert!(err.to_string().contains("line 2 column 14"), "{err}");
        let err = parse(r#"{"type": "indicator"}"#, "f.json").expect_err("not a bundle");
        assert_eq!(err.to_string(), "not a STIX bundle: type is `indicator`");
    }

    #[test]
    fn parses_stix_timestamps() {
        assert_eq!(timestamp("1970-01-01T00:00:00Z"), Some(Timestamp(0)));
        assert_eq!(
            timestamp("2004-12-05T19:16:24.317453Z"),
            Some(Timestamp::from_parts(1_102_274_184, 317_453_000))
        );
        assert_eq!(
            timestamp("2000-02-29T00:00:00Z"),
            Some(Timestamp::from_parts(951_782_400, 0))
        );
        assert_eq!(timestamp("2026-13-01T00:00:00Z"), None);
        assert_eq!(timestamp("2026-01-01T00:00:00+01:00"), None);
        assert_eq!(timestamp("1969-12-31T00:00:00Z"), None);
    }

    #[test]
    fn severity_follows_labels_then_confidence() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(severity(&l(&["Low", "High"]), Some(10)), Severity::Critical);
        assert_eq!(severity(&[], Some(84)), Severity::Major);
        assert_eq!(severity(&[], Some(15)), Severity::Minor);
        assert_eq!(severity(&[], Some(14)), Severity::Warning);
        assert_eq!(severity(&[], None), Severity::Major);
    }
}
