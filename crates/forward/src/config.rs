//! The forwarding configuration: a TOML file of `[[destination]]` tables
//! (`rampart analyze --forward FILE`).
//!
//! Everything is checked when the file is loaded, before any packet is read: unknown keys,
//! bad values, missing secrets, unreadable certificates. Each error names the file, line and
//! column, because a SOC engineer editing a sensor's configuration over SSH should not have to
//! guess which of six destinations is wrong. Paths in the file are relative to the file.

use std::net::Ipv6Addr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rampart_detect::{EngineKind, Severity};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::filter::Filter;
use crate::syslog::{self, Facility};
use crate::tls;

/// Queue length of a destination unless configured: a few minutes of a bad alert storm.
pub const DEFAULT_QUEUE: usize = 4096;
/// The largest queue a destination may ask for (memory: about a kilobyte a message).
pub const MAX_QUEUE: usize = 1_000_000;
/// Network timeout unless configured.
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;
/// Retries after a failed attempt unless configured.
pub const DEFAULT_RETRIES: u32 = 3;
/// The most retries a destination may ask for.
pub const MAX_RETRIES: u32 = 20;

/// What a configuration file could not be.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A value is wrong.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// The payload format of a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// ArcSight Common Event Format.
    Cef,
    /// IBM QRadar Log Event Extended Format 2.0.
    Leef,
    /// The alerts.jsonl object.
    Json,
}

/// How syslog frames travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// One datagram a message (RFC 5426).
    Udp,
    /// Octet-counted frames on a TCP stream (RFC 6587).
    Tcp,
    /// Octet-counted frames over TLS (RFC 5425).
    Tls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Syslog,
    Webhook,
}

/// A host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Address {
    /// `host:port`, with brackets around an IPv6 address, as HTTP's Host header writes it.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// An `http://` or `https://` webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    /// True for https.
    pub tls: bool,
    /// Where to connect.
    pub address: Address,
    /// Path and query, from `/`.
    pub path: String,
}

/// A shared secret; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// Where a destination's alerts go.
#[derive(Debug, Clone)]
pub enum Target {
    /// A syslog receiver.
    Syslog {
        /// Receiver.
        address: Address,
        /// UDP, TCP or TLS.
        transport: Transport,
        /// TLS settings (transport `tls` only).
        tls: Option<Arc<rustls::ClientConfig>>,
        /// The fixed part of each frame.
        header: syslog::Header,
    },
    /// An HTTP(S) endpoint that takes one JSON alert per POST.
    Webhook {
        /// Endpoint.
        url: WebhookUrl,
        /// HMAC key.
        secret: Secret,
        /// TLS settings (https only).
        tls: Option<Arc<rustls::ClientConfig>>,
    },
}

/// One configured destination.
#[derive(Debug, Clone)]
pub struct Destination {
    /// Name in logs and the summary.
    pub name: String,
    /// Which alerts it takes.
    pub filter: Filter,
    /// Payload format.
    pub format: Format,
    /// Where they go.
    pub target: Target,
    /// Messages held while the receiver is slow; past it new alerts are dropped and counted.
    pub queue: usize,
    /// Connect, write and read timeout.
    pub timeout: Duration,
    /// Retries after a failed attempt, with exponential backoff and jitter.
    pub retries: u32,
}

/// The whole forwarding configuration.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// Destinations, in file order.
    pub destinations: Vec<Destination>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    destination: Vec<Spanned<RawDestination>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDestination {
    name: Spanned<String>,
    kind: Kind,
    url: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    transport: Option<Spanned<Transport>>,
    format: Option<Spanned<Format>>,
    min_severity: Option<SeverityName>,
    #[serde(default)]
    engines: Vec<EngineName>,
    #[serde(default)]
    exclude_engines: Vec<EngineName>,
    #[serde(default)]
    protocols: Vec<String>,
    #[serde(default)]
    exclude_protocols: Vec<String>,
    secret: Option<Spanned<String>>,
    secret_file: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
    facility: Option<FacilityName>,
    hostname: Option<String>,
    queue: Option<Spanned<usize>>,
    timeout_ms: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
}

struct SeverityName(Severity);

impl<'de> Deserialize<'de> for SeverityName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Severity::from_name(&name).map(SeverityName).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown severity `{name}`, expected warning, minor, major or critical"
            ))
        })
    }
}

struct EngineName(EngineKind);

impl<'de> Deserialize<'de> for EngineName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        EngineKind::from_name(&name).map(EngineName).ok_or_else(|| {
            let known: Vec<&str> = EngineKind::ALL.iter().map(|e| e.as_str()).collect();
            serde::de::Error::custom(format!(
                "unknown engine `{name}`, expected one of {}",
                known.join(", ")
            ))
        })
    }
}

struct FacilityName(Facility);

impl<'de> Deserialize<'de> for FacilityName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Facility::from_name(&name).map(FacilityName).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown facility `{name}`, expected one of {}",
                syslog::FACILITIES.join(", ")
            ))
        })
    }
}

/// Turns byte offsets into positions for one file's errors.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A path from the file, relative to the file's folder.
    fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        match self.path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }
}

impl ForwardConfig {
    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Result<ForwardConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ForwardConfig::parse(&text, path)
    }

    /// Check a configuration; `path` names the file in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<ForwardConfig, ConfigError> {
        let src = Source { path, text };
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| src.error(e.span().unwrap_or(0..0), e.message().to_string()))?;
        if raw.destination.is_empty() {
            return Err(src.error(0..0, "no [[destination]] table: nothing to forward to"));
        }
        let mut destinations: Vec<Destination> = Vec::with_capacity(raw.destination.len());
        for table in raw.destination {
            let span = table.span();
            let name_span = table.get_ref().name.span();
            let d = destination(&src, table.into_inner(), span)?;
            if destinations.iter().any(|o| o.name == d.name) {
                return Err(src.error(
                    name_span,
                    format!("destination `{}` is named twice", d.name),
                ));
            }
            destinations.push(d);
        }
        Ok(ForwardConfig { destinations })
    }
}

fn destination(
    src: &Source<'_>,
    raw: RawDestination,
    span: Range<usize>,
) -> Result<Destination, ConfigError> {
    if raw.name.get_ref().trim().is_empty() {
        return Err(src.error(raw.name.span(), "a destination needs a name"));
    }
    let filter = Filter {
        min_severity: raw.min_severity.map_or(Severity::Warning, |s| s.0),
        engines: raw.engines.into_iter().map(|e| e.0).collect(),
        exclude_engines: raw.exclude_engines.into_iter().map(|e| e.0).collect(),
        protocols: raw
            .protocols
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect(),
        exclude_protocols: raw
            .exclude_protocols
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect(),
    };
    let queue = bounded(src, raw.queue, DEFAULT_QUEUE, 1..=MAX_QUEUE, "queue")?;
    let timeout_ms = bounded(
        src,
        raw.timeout_ms,
        DEFAULT_TIMEOUT_MS,
        1..=600_000,
        "timeout_ms",
    )?;
    let retries = bounded(
        src,
        raw.retries,
        DEFAULT_RETRIES,
        0..=MAX_RETRIES,
        "retries",
    )?;
    let tls_files = TlsFiles {
        ca_file: raw.ca_file,
        client_cert: raw.client_cert,
        client_key: raw.client_key,
    };
    let (format, target) = match raw.kind {
        Kind::Syslog => {
            forbid(
                src,
                [("url", raw.url.as_ref().map(Spanned::span))],
                "syslog",
                "address",
            )?;
            forbid(
                src,
                [
                    ("secret", raw.secret.as_ref().map(Spanned::span)),
                    ("secret_file", raw.secret_file.as_ref().map(Spanned::span)),
                ],
                "syslog",
                "",
            )?;
            let address = raw.address.ok_or_else(|| {
                src.error(span.clone(), "a syslog destination needs an `address`")
            })?;
            let transport = raw.transport.map_or(Transport::Udp, Spanned::into_inner);
            let address = parse_address(address.get_ref(), default_syslog_port(transport))
                .map_err(|m| src.error(address.span(), m))?;
            let tls = match transport {
                Transport::Tls => Some(tls_files.client_config(src)?),
                _ => {
                    tls_files.forbid(src, "transport = \"tls\"")?;
                    None
                }
            };
            let hostname = raw.hostname.unwrap_or_else(syslog::local_hostname);
            let facility = raw.facility.map_or(Facility::DEFAULT, |f| f.0);
            let format = raw.format.map_or(Format::Cef, Spanned::into_inner);
            let header = syslog::Header::new(facility, &hostname);
            (
                format,
                Target::Syslog {
                    address,
                    transport,
                    tls,
                    header,
                },
            )
        }
        Kind::Webhook => {
            forbid(
                src,
                [("address", raw.address.as_ref().map(Spanned::span))],
                "webhook",
                "url",
            )?;
            if let Some(t) = &raw.transport {
                return Err(src.error(
                    t.span(),
                    "`transport` is for syslog; a webhook's url says http or https",
                ));
            }
            if let Some(f) = raw.format.as_ref().filter(|f| *f.get_ref() != Format::Json) {
                return Err(src.error(
                    f.span(),
                    "a webhook sends JSON; `format` can only be \"json\"",
                ));
            }
            let url = raw
                .url
                .ok_or_else(|| src.error(span.clone(), "a webhook destination needs a `url`"))?;
            let parsed = parse_url(url.get_ref()).map_err(|m| src.error(url.span(), m))?;
            let secret = secret(src, raw.secret, raw.secret_file, span)?;
            let tls = if parsed.tls {
                Some(tls_files.client_config(src)?)
            } else {
                tls_files.forbid(src, "an https url")?;
                None
            };
            (
                Format::Json,
                Target::Webhook {
                    url: parsed,
                    secret,
                    tls,
                },
            )
        }
    };
    Ok(Destination {
        name: raw.name.into_inner(),
        filter,
        format,
        target,
        queue,
        timeout: Duration::from_millis(timeout_ms),
        retries,
    })
}

/// Refuse keys that belong to the other kind of destination.
fn forbid<const N: usize>(
    src: &Source<'_>,
    keys: [(&str, Option<Range<usize>>); N],
    kind: &str,
    instead: &str,
) -> Result<(), ConfigError> {
    for (key, span) in keys {
        if let Some(span) = span {
            let hint = if instead.is_empty() {
                String::new()
            } else {
                format!("; use `{instead}`")
            };
            return Err(src.error(
                span,
                format!("`{key}` does not apply to a {kind} destination{hint}"),
            ));
        }
    }
    Ok(())
}

fn bounded<T>(
    src: &Source<'_>,
    value: Option<Spanned<T>>,
    default: T,
    range: std::ops::RangeInclusive<T>,
    key: &str,
) -> Result<T, ConfigError>
where
    T: PartialOrd + Copy + std::fmt::Display,
{
    let Some(v) = value else { return Ok(default) };
    if range.contains(v.get_ref()) {
        Ok(v.into_inner())
    } else {
        Err(src.error(
            v.span(),
            format!("`{key}` must be from {} to {}", range.start(), range.end()),
        ))
    }
}

fn secret(
    src: &Source<'_>,
    inline: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    table: Range<usize>,
) -> Result<Secret, ConfigError> {
    let secret = match (inline, file) {
        (Some(_), Some(f)) => {
            return Err(src.error(f.span(), "give `secret` or `secret_file`, not both"));
        }
        (Some(s), None) => s.get_ref().clone().into_bytes(),
        (None, Some(f)) => {
            let path = src.resolve(f.get_ref());
            let text = std::fs::read_to_string(&path)
                .map_err(|e| src.error(f.span(), format!("cannot read {}: {e}", path.display())))?;
            // A trailing newline from `echo secret > file` is not part of the secret.
            text.trim_end_matches(['\r', '\n']).as_bytes().to_vec()
        }
        (None, None) => {
            return Err(src.error(
                table,
                "a webhook needs `secret` or `secret_file` to sign its requests",
            ));
        }
    };
    if secret.is_empty() {
        return Err(src.error(table, "the webhook secret is empty"));
    }
    Ok(Secret(secret))
}

struct TlsFiles {
    ca_file: Option<Spanned<String>>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
}

impl TlsFiles {
    fn forbid(&self, src: &Source<'_>, needs: &str) -> Result<(), ConfigError> {
        for (key, v) in [
            ("ca_file", &self.ca_file),
            ("client_cert", &self.client_cert),
            ("client_key", &self.client_key),
        ] {
            if let Some(v) = v {
                return Err(src.error(v.span(), format!("`{key}` needs {needs}")));
            }
        }
        Ok(())
    }

    fn client_config(self, src: &Source<'_>) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
        let roots = match &self.ca_file {
            Some(f) => {
                let certs = read_certs(src, f)?;
                if certs.is_empty() {
                    return Err(src.error(f.span(), "no certificate in the CA file"));
                }
                certs
            }
            None => Vec::new(),
        };
        let client = match (&self.client_cert, &self.client_key) {
            (Some(c), Some(k)) => {
                let chain = read_certs(src, c)?;
                let path = src.resolve(k.get_ref());
                let key = PrivateKeyDer::from_pem_file(&path).map_err(|e| {
                    src.error(
                        k.span(),
                        format!("no private key read from {}: {e}", path.display()),
                    )
                })?;
                Some((chain, key))
            }
            (Some(c), None) => return Err(src.error(c.span(), "`client_cert` needs `client_key`")),
            (None, Some(k)) => return Err(src.error(k.span(), "`client_key` needs `client_cert`")),
            (None, None) => None,
        };
        let anchor = self
            .client_cert
            .as_ref()
            .or(self.ca_file.as_ref())
            .map_or(0..0, Spanned::span);
        tls::client_config(roots, client).map_err(|e| src.error(anchor, e.to_string()))
    }
}

fn read_certs(
    src: &Source<'_>,
    file: &Spanned<String>,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let path = src.resolve(file.get_ref());
    let bad = |e: rustls::pki_types::pem::Error| {
        src.error(
            file.span(),
            format!("cannot read certificates from {}: {e}", path.display()),
        )
    };
    CertificateDer::pem_file_iter(&path)
        .map_err(bad)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)
}

fn default_syslog_port(transport: Transport) -> u16 {
    match transport {
        Transport::Udp | Transport::Tcp => 514,
        Transport::Tls => 6514,
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
fn parse_address(s: &str, default_port: u16) -> Result<Address, String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("bad port `{p}` in `{s}`"))
    };
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed `[` in `{s}`"))?;
        match after.strip_prefix(':') {
            Some(p) => (host, port(p)?),
            None if after.is_empty() => (host, default_port),
            None => return Err(format!("unexpected `{after}` after the address in `{s}`")),
        }
    } else if s.parse::<Ipv6Addr>().is_ok() {
        (s, default_port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, port(p)?),
            None => (s, default_port),
        }
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    if host.is_empty() || !host.chars().all(valid) {
        return Err(format!("bad host `{host}` in `{s}`"));
    }
    if port == 0 {
        return Err(format!("port 0 in `{s}`"));
    }
    Ok(Address {
        host: host.to_string(),
        port,
    })
}

fn parse_url(s: &str) -> Result<WebhookUrl, String> {
    let (tls, rest) = if let Some(r) = s.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = s.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("`{s}` is not an http:// or https:// url"));
    };
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    if authority.contains('@') {
        return Err(
            "credentials in the url are not supported; the request is signed with `secret`".into(),
        );
    }
    if path
        .chars()
        .any(|c| c.is_ascii_whitespace() || c.is_control())
    {
        return Err(format!(
            "the path of `{s}` has spaces or control characters"
        ));
    }
    let address = parse_address(authority, if tls { 443 } else { 80 })?;
    Ok(WebhookUrl { tls, address, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ForwardConfig, ConfigError> {
        ForwardConfig::parse(text, Path::new("/etc/rampart/forward.toml"))
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("invalid").to_string()
    }

    #[test]
    fn reads_a_syslog_and_a_webhook_destination_with_defaults() {
        let c = parse(
            r#"
[[destination]]
name = "siem"
kind = "syslog"
address = "10.1.2.3"
transport = "tcp"
format = "leef"
min_severity = "major"
engines = ["policy", "protocol_policy"]
exclude_protocols = ["MQTT"]

[[destination]]
name = "hook"
kind = "webhook"
url = "http://[::1]:8080/alerts?team=ot"
secret = "s3cret"
queue = 10
timeout_ms = 250
retries = 0
"#,
        )
        .expect("valid");
        let [siem, hook] = &c.destinations[..] else {
            panic!("two destinations")
        };
        assert_eq!(siem.format, Format::Leef);
        assert_eq!(siem.queue, DEFAULT_QUEUE);
        assert_eq!(siem.filter.min_severity, Severity::Major);
        assert_eq!(
            siem.filter.engines,
            vec![EngineKind::Policy, EngineKind::ProtocolPolicy]
        );
        assert_eq!(siem.filter.exclude_protocols, vec!["mqtt".to_string()]);
        let Target::Syslog {
            address,
            transport,
            tls,
            ..
        } = &siem.target
        else {
            panic!("syslog")
        };
        assert_eq!((address.host.as_str(), address.port), ("10.1.2.3", 514));
        assert_eq!((*transport, tls.is_none()), (Transport::Tcp, true));
        assert_eq!(
            (hook.queue, hook.timeout, hook.retries),
            (10, Duration::from_millis(250), 0)
        );
        let Target::Webhook { url, secret, .. } = &hook.target else {
            panic!("webhook")
        };
        assert_eq!(url.address.authority(), "[::1]:8080");
        assert_eq!(url.path, "/alerts?team=ot");
        assert_eq!(secret.0, b"s3cret");
        assert_eq!(format!("{secret:?}"), "Secret(<6 bytes>)");
    }

    #[test]
    fn unknown_keys_are_errors_with_line_and_column() {
        let e = error(
            "[[destination]]\nname = \"a\"\nkind = \"syslog\"\naddress = \"h\"\nfromat = \"cef\"\n",
        );
        assert!(
            e.starts_with("/etc/rampart/forward.toml:5:1: unknown field `fromat`"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_errors_at_the_value() {
        let base = "[[destination]]\nname = \"a\"\nkind = \"syslog\"\naddress = \"h\"\n";
        let e = error(&format!("{base}min_severity = \"high\"\n"));
        assert!(
            e.starts_with("/etc/rampart/forward.toml:5:16: unknown severity `high`"),
            "{e}"
        );
        let e = error(&format!("{base}engines = [\"policy\", \"dpi\"]\n"));
        assert!(
            e.starts_with("/etc/rampart/forward.toml:5:11: unknown engine `dpi`"),
            "{e}"
        );
        let e = error(&format!("{base}transport = \"quic\"\n"));
        assert!(
            e.starts_with("/etc/rampart/forward.toml:5:13: unknown variant `quic`"),
            "{e}"
        );
        let e = error(&format!("{base}queue = 0\n"));
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:5:9: `queue` must be from 1 to 1000000"
        );
        let e = error(&format!("{base}facility = \"local9\"\n"));
        assert!(
            e.starts_with("/etc/rampart/forward.toml:5:12: unknown facility `local9`"),
            "{e}"
        );
    }

    #[test]
    fn keys_of_the_other_kind_and_missing_ones_are_errors() {
        let e = error(
            "[[destination]]\nname = \"a\"\nkind = \"syslog\"\naddress = \"h\"\nsecret = \"x\"\n",
        );
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:5:10: `secret` does not apply to a syslog destination"
        );
        let e = error("[[destination]]\nname = \"a\"\nkind = \"webhook\"\nurl = \"https://h/\"\n");
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:1:1: a webhook needs `secret` or `secret_file` to sign its requests"
        );
        let e = error(
            "[[destination]]\nname = \"a\"\nkind = \"webhook\"\nurl = \"ftp://h/\"\nsecret = \"x\"\n",
        );
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:4:7: `ftp://h/` is not an http:// or https:// url"
        );
        let e = error(
            "[[destination]]\nname = \"a\"\nkind = \"syslog\"\naddress = \"h\"\nca_file = \"ca.pem\"\n",
        );
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:5:11: `ca_file` needs transport = \"tls\""
        );
        let e = error(
            "[[destination]]\nname = \"a\"\nkind = \"webhook\"\nurl = \"http://h/\"\nsecret = \"x\"\nformat = \"cef\"\n",
        );
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:6:10: a webhook sends JSON; `format` can only be \"json\""
        );
    }

    #[test]
    fn names_are_unique_and_a_file_needs_a_destination() {
        let one = "[[destination]]\nname = \"a\"\nkind = \"syslog\"\naddress = \"h\"\n";
        let e = error(&format!("{one}{one}"));
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:6:8: destination `a` is named twice"
        );
        let e = error("# nothing\n");
        assert_eq!(
            e,
            "/etc/rampart/forward.toml:1:1: no [[destination]] table: nothing to forward to"
        );
    }

    #[test]
    fn secret_files_are_read_relative_to_the_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("hook.key"), "from-file\n").expect("write");
        let text = "[[destination]]\nname = \"a\"\nkind = \"webhook\"\nurl = \"http://h\"\nsecret_file = \"hook.key\"\n";
        let c = ForwardConfig::parse(text, &dir.path().join("f.toml")).expect("valid");
        let Target::Webhook { secret, url, .. } = &c.destinations[0].target else {
            panic!("webhook")
        };
        assert_eq!(secret.0, b"from-file");
        assert_eq!((url.address.port, url.path.as_str()), (80, "/"));
        let missing = text.replace("hook.key", "nope.key");
        let e = ForwardConfig::parse(&missing, &dir.path().join("f.toml"))
            .expect_err("missing")
            .to_string();
        assert!(e.contains("f.toml:5:15: cannot read "), "{e}");
    }

    #[test]
    fn parses_addresses() {
        let a = |s: &str| parse_address(s, 514).map(|a| (a.host, a.port));
        assert_eq!(a("siem.example:1514"), Ok(("siem.example".into(), 1514)));
        assert_eq!(a("fe80::1"), Ok(("fe80::1".into(), 514)));
        assert_eq!(a("[fe80::1]:6514"), Ok(("fe80::1".into(), 6514)));
        assert!(a("h:x").is_err());
        assert!(a("h:0").is_err());
        assert!(a("bad host").is_err());
        assert!(a("").is_err());
    }
}
