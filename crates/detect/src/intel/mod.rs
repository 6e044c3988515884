//! Threat intelligence: indicators of compromise from plain lists and STIX 2.1 bundles,
//! matched against flow endpoints, DNS names and answers, TLS SNI and client fingerprints
//! (JA3, JA4), and HTTP hosts and URLs.
//!
//! The index is rebuilt whole on reload and swapped in, never edited in place: a feed that
//! fails to load keeps the previous index working, and matching never sees a half-loaded
//! feed. Files are re-checked from [`Detector::tick`] by modification time and size, at most
//! once every `reload_seconds` of wall time (capture time would never advance on a quiet
//! live link, and races ahead when reading a file).

pub mod index;
pub mod indicator;
pub mod list;
pub mod stix;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rampart_event::{Event, Origin, Record, Timestamp, Value};
use serde::Deserialize;

use crate::{
    AlertDraft, Context, Detector, Endpoint, EngineKind, Interest, Observation, Rule, Severity,
};
pub use index::Index;
pub use indicator::{Indicator, Target};

/// The `[intel]` section of the detection configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntelConfig {
    /// Indicator files: plain lists, or STIX 2.1 bundles (a file whose first character is `{`).
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// How often, in seconds of wall time, the files are checked for changes (default 60;
    /// 0 checks at every tick).
    #[serde(default = "default_reload_seconds")]
    pub reload_seconds: u64,
}

fn default_reload_seconds() -> u64 {
    60
}

impl Default for IntelConfig {
    fn default() -> Self {
        IntelConfig {
            files: Vec::new(),
            reload_seconds: default_reload_seconds(),
        }
    }
}

const REMEDIATION: &str = "Find the device and the process that made the connection; if the \
indicator is credible, isolate the device, block the indicator at the perimeter and look for \
other devices contacting it.";

/// An IOC rule of the malware engine.
const fn ioc_rule(
    id: &'static str,
    title: &'static str,
    techniques: &'static [&'static str],
) -> Rule {
    Rule {
        id,
        title,
        engine: EngineKind::Malware,
        category: "threat_intelligence",
        severity: Severity::Major,
        techniques,
        remediation: REMEDIATION,
    }
}

/// A flow endpoint (or a DNS answer) is an address an indicator names.
pub static IOC_IP: Rule = ioc_rule(
    "malware.ioc_ip",
    "Connection with an address named by threat intelligence",
    &["T0869", "T0884"],
);

/// A DNS name, TLS SNI or HTTP host is (a subdomain of) a domain an indicator names.
pub static IOC_DOMAIN: Rule = ioc_rule(
    "malware.ioc_domain",
    "Domain named by threat intelligence",
    &["T0869"],
);

/// An HTTP request is for a URL an indicator names.
pub static IOC_URL: Rule = ioc_rule(
    "malware.ioc_url",
    "HTTP request for a URL named by threat intelligence",
    &["T0869", "T0867"],
);

/// A TLS client's JA3 hash or JA4 fingerprint is one an indicator names.
pub static IOC_TLS_FINGERPRINT: Rule = ioc_rule(
    "malware.ioc_tls_fingerprint",
    "TLS client fingerprint named by threat intelligence",
    &["T0869", "T0885"],
);

/// Every rule of this part.
pub static RULES: &[&Rule] = &[&IOC_IP, &IOC_DOMAIN, &IOC_URL, &IOC_TLS_FINGERPRINT];

/// Why the indicator files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of a list is not an indicator.
    #[error("{path}:{}: {}", .error.line, .error.message)]
    List {
        /// The file.
        path: PathBuf,
        /// The line and what is wrong with it.
        error: list::ListError,
    },
    /// A STIX file is not a bundle.
    #[error("{path}: {source}")]
    Stix {
        /// The file.
        path: PathBuf,
        /// Why.
        source: stix::StixError,
    },
}

/// What loading the files gave.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The index to match with.
    pub index: Index,
    /// STIX indicators that cannot be matched, with their file (the first per bundle).
    pub unsupported: Vec<(PathBuf, stix::Unsupported)>,
    /// Every unsupported STIX indicator.
    pub unsupported_count: usize,
    /// Revoked STIX indicators skipped.
    pub revoked: usize,
}

/// Load every file into one new index.
pub fn load(files: &[PathBuf]) -> Result<Loaded, IntelError> {
    let mut loaded = Loaded::default();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| IntelError::Read {
            path: path.clone(),
            source,
        })?;
        let name = path.display().to_string();
        if text.trim_start().starts_with('{') {
            let bundle = stix::parse(&text, &name).map_err(|source| IntelError::Stix {
                path: path.clone(),
                source,
            })?;
            bundle
                .indicators
                .into_iter()
                .for_each(|i| loaded.index.insert(i));
            loaded.unsupported_count += bundle.unsupported_count;
            loaded.revoked += bundle.revoked;
            let listed = bundle.unsupported.into_iter().map(|u| (path.clone(), u));
            loaded.unsupported.extend(listed);
        } else {
            let indicators = list::parse(&text, &name).map_err(|error| IntelError::List {
                path: path.clone(),
                error,
            })?;
            indicators.into_iter().for_each(|i| loaded.index.insert(i));
        }
    }
    Ok(loaded)
}

/// Counters of the intel detector.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IntelStats {
    /// Successful loads (the first one included).
    pub loads: u64,
    /// Loads that failed; the previous index stayed in use.
    pub load_failures: u64,
    /// Why the last failed load failed.
    pub last_error: Option<String>,
    /// Indicators in the index in use.
    pub indicators: usize,
    /// Unsupported STIX indicators at the last load.
    pub unsupported: usize,
}

/// The detector: the index in use and the files it came from.
#[derive(Debug)]
pub struct IntelDetector {
    index: Index,
    files: Vec<PathBuf>,
    stamps: Vec<Option<(SystemTime, u64)>>,
    every: Duration,
    checked: Instant,
    stats: IntelStats,
}

impl IntelDetector {
    /// Load the configured files; a failure is logged and counted, and the detector starts
    /// with an empty index that the next change of the files replaces.
    pub fn new(config: &IntelConfig) -> IntelDetector {
        let mut detector = IntelDetector {
            index: Index::default(),
            files: config.files.clone(),
            stamps: stamps(&config.files),
            every: Duration::from_secs(config.reload_seconds),
            checked: Instant::now(),
            stats: IntelStats::default(),
        };
        detector.reload();
        detector
    }

    /// The index in use.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Counters.
    pub fn stats(&self) -> &IntelStats {
        &self.stats
    }

    /// Load the files again and swap the index in, or keep the old one and say why.
    fn reload(&mut self) {
        match load(&self.files) {
            Ok(loaded) => {
                let counts = loaded.index.counts();
                tracing::info!(
                    files = self.files.len(),
                    indicators = loaded.index.indicators().len(),
                    ?counts,
                    unsupported = loaded.unsupported_count,
                    revoked = loaded.revoked,
                    "Threat intelligence loaded."
                );
                for (path, u) in &loaded.unsupported {
                    tracing::warn!(file = %path.display(), id = %u.id, reason = %u.reason, "Unsupported STIX indicator skipped.");
                }
                self.stats.loads += 1;
                self.stats.indicators = loaded.index.indicators().len();
                self.stats.unsupported = loaded.unsupported_count;
                self.index = loaded.index;
            }
            Err(e) => {
                tracing::warn!(error = %e, kept = self.index.indicators().len(), "Threat intelligence not reloaded; the previous indicators stay in use.");
                self.stats.load_failures += 1;
                self.stats.last_error = Some(e.to_string());
            }
        }
    }

    /// Reload when a file changed since the last look.
    fn check_files(&mut self) {
        let now = stamps(&self.files);
        if now != self.stamps {
            self.stamps = now;
            self.reload();
        }
    }

    fn record(&self, origin: &Origin, r: &Record<'_>, cx: &mut Context<'_>) {
        let time = cx.time;
        let mut hits = Hits::default();
        match (r.protocol, r.kind) {
            ("dns" | "mdns" | "llmnr", "query" | "answer") => {
                if let Some(Value::Str(q)) = r.fields.get("qname") {
                    hits.domain(&self.index, q, "qname", time);
                }
                each_text(r.fields.get("rrnames"), |name| {
                    hits.domain(&self.index, name, "rrnames", time);
                });
                each_text(r.fields.get("answers"), |answer| {
                    hits.answer(&self.index, answer, time);
                });
            }
            ("tls", "client_hello") => {
                if let Some(Value::Str(sni)) = r.fields.get("sni") {
                    hits.domain(&self.index, sni, "sni", time);
                }
                for field in ["ja3_hash", "ja4"] {
                    if let (None, Some(Value::Str(f))) = (&hits.fingerprint, r.fields.get(field)) {
                        hits.fingerprint = self.index.fingerprint(f, time).map(|i| (i, f, field));
                    }
                }
            }
            ("http", _) => {
                let host = match r.fields.get("host") {
                    Some(Value::Str(h)) => h,
                    _ => "",
                };
                let bare = index::strip_port(host);
                if !bare.is_empty() {
                    hits.domain(&self.index, bare, "host", time);
                }
                if let Some(Value::Str(uri)) = r.fields.get("uri")
                    && let Some(ind) = self.index.url(host, uri, time)
                {
                    let url = match index::split_absolute(uri) {
                        Some(_) => uri.to_string(),
                        None => format!("http://{host}{uri}"),
                    };
                    raise(cx, &IOC_URL, ind, &url, "uri", origin, r.protocol);
                }
            }
            _ => {}
        }
        let rules = [
            (&IOC_IP, hits.ip),
            (&IOC_DOMAIN, hits.domain),
            (&IOC_TLS_FINGERPRINT, hits.fingerprint),
        ];
        for (rule, hit) in rules {
            if let Some((ind, matched, field)) = hit {
                raise(cx, rule, ind, matched, field, origin, r.protocol);
            }
        }
    }
}

/// An indicator, the value that matched it and the field that value was in.
type Hit<'i, 'r> = (&'i Indicator, &'r str, &'static str);

/// The first match of each rule in one record: a record is one occurrence of a rule however
/// many of its names match (a DNS answer names its query in every resource record).
#[derive(Default)]
struct Hits<'i, 'r> {
    ip: Option<Hit<'i, 'r>>,
    domain: Option<Hit<'i, 'r>>,
    fingerprint: Option<Hit<'i, 'r>>,
}

impl<'i, 'r> Hits<'i, 'r> {
    fn domain(&mut self, index: &'i Index, name: &'r str, field: &'static str, time: Timestamp) {
        if self.domain.is_none() {
            self.domain = index.domain(name, time).map(|i| (i, name, field));
        }
    }

    /// A DNS answer (`A 192.0.2.1`, `CNAME x.example`, `MX 10 mail.example`): its address
    /// or the name it points to.
    fn answer(&mut self, index: &'i Index, answer: &'r str, time: Timestamp) {
        let mut words = answer.split(' ');
        let kind = words.next().unwrap_or_default();
        let Some(data) = words.next_back() else {
            return;
        };
        match kind {
            "A" | "AAAA" if self.ip.is_none() => {
                if let Ok(ip) = data.parse::<IpAddr>() {
                    self.ip = index.ip(ip, time).map(|i| (i, data, "answers"));
                }
            }
            "CNAME" | "NS" | "PTR" | "MX" | "SRV" | "DNAME" => {
                self.domain(index, data, "answers", time)
            }
            _ => {}
        }
    }
}

impl Detector for IntelDetector {
    /// Nothing without files or indicators: with files, a reload may bring indicators.
    fn interest(&self) -> Interest {
        if self.files.is_empty() && self.index.indicators().is_empty() {
            Interest::NOTHING
        } else {
            Interest::FLOW_STARTS.and(Interest::RECORDS)
        }
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        if self.index.indicators().is_empty() {
            return;
        }
        match observation {
            Observation::FlowStart(flow) => {
                let origin = Origin::Flow(**flow);
                for (ip, field) in [(flow.client.0, "client"), (flow.server.0, "server")] {
                    if let Some(ind) = self.index.ip(ip, cx.time) {
                        let ip = ip.to_string();
                        raise(
                            cx,
                            &IOC_IP,
                            ind,
                            &ip,
                            field,
                            &origin,
                            flow.app.unwrap_or(flow.transport),
                        );
                    }
                }
            }
            Observation::Event {
                origin,
                event: Event::Record(r),
            } => self.record(origin, r, cx),
            _ => {}
        }
    }

    fn tick(&mut self, _cx: &mut Context<'_>) {
        if self.files.is_empty() || self.checked.elapsed() < self.every {
            return;
        }
        self.checked = Instant::now();
        self.check_files();
    }
}

/// Modification time and size of each file, `None` for one that cannot be looked at.
fn stamps(files: &[PathBuf]) -> Vec<Option<(SystemTime, u64)>> {
    files.iter().map(|p| stamp(p)).collect()
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Call `f` with each text of a list-valued field.
fn each_text<'a>(value: Option<Value<'a>>, mut f: impl FnMut(&'a str)) {
    match value {
        Some(Value::Texts { text, ends }) => {
            let mut start = 0;
            for &end in ends {
                if let Some(item) = text.get(start..end) {
                    f(item);
                }
                start = end;
            }
        }
        Some(Value::Strs(items)) => items.iter().for_each(|s| f(s)),
        _ => {}
    }
}

/// The two sides of an event's origin, client first, and the flow.
pub(crate) fn parties(origin: &Origin) -> (Option<Endpoint>, Option<Endpoint>, Option<u64>) {
    match origin {
        Origin::Flow(c) => (
            Some(Endpoint {
                ip: Some(c.client.0),
                mac: c.client_mac,
                port: Some(c.client.1),
            }),
            Some(Endpoint {
                ip: Some(c.server.0),
                mac: c.server_mac,
                port: Some(c.server.1),
            }),
            Some(c.id),
        ),
        Origin::Frame(f) => (
            Some(Endpoint {
                mac: Some(f.src),
                ..Endpoint::default()
            }),
            Some(Endpoint {
                mac: Some(f.dst),
                ..Endpoint::default()
            }),
            None,
        ),
        Origin::Capture => (None, None, None),
    }
}

fn raise(
    cx: &mut Context<'_>,
    rule: &'static Rule,
    ind: &Indicator,
    matched: &str,
    field: &str,
    origin: &Origin,
    protocol: &str,
) {
    let (client, server, flow) = parties(origin);
    let what = ind
        .name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let description = format!(
        "{protocol} {field} `{matched}` matches the {} indicator `{}`{what} from {}.",
        ind.target.type_name(),
        ind.target,
        ind.source
    );
    let mut draft = AlertDraft::new(rule, cx.time, description)
        .between(client, server)
        .protocol(protocol)
        .discriminator(ind.target.to_string())
        .severity(ind.severity)
        .flow(flow)
        .evidence("indicator", ind.target.to_string())
        .evidence("indicator_type", ind.target.type_name())
        .evidence("matched", matched)
        .evidence("field", field)
        .evidence("feed", ind.source.as_str());
    if let Some(id) = &ind.stix_id {
        draft = draft.evidence("stix_id", id.as_str());
    }
    if let Some(name) = &ind.name {
        draft = draft.evidence("name", name.as_str());
    }
    if let Some(d) = &ind.description {
        draft = draft.evidence("description", d.as_str());
    }
    if !ind.labels.is_empty() {
        draft = draft.evidence("labels", ind.labels.clone());
    }
    cx.raise(draft);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mode;
    use rampart_event::{Direction, Fields, FlowContext, Timestamp};

    fn flow(client: &str, server: &str) -> FlowContext {
        FlowContext {
            id: 7,
            transport: "udp",
            app: Some("dns"),
            client: (client.parse().expect("ip"), 50000),
            server: (server.parse().expect("ip"), 53),
            client_mac: None,
            server_mac: None,
            vlan: 0,
        }
    }

    fn detector(dir: &Path, files: &[(&str, &str)]) -> IntelDetector {
        let paths = files
            .iter()
            .map(|(name, text)| {
                let p = dir.join(name);
                std::fs::write(&p, text).expect("write feed");
                p
            })
            .collect();
        IntelDetector::new(&IntelConfig {
            files: paths,
            reload_seconds: 0,
        })
    }

    /// Drafts raised by one observation.
    fn observe(d: &mut IntelDetector, observation: &Observation<'_>) -> Vec<AlertDraft> {
        let mut drafts = Vec::new();
        let mut cx = Context {
            time: Timestamp(5),
            mode: Mode::Learning,
            drafts: &mut drafts,
            open: None,
            refused: None,
        };
        d.observe(observation, &mut cx);
        drafts
    }

    fn on_event(d: &mut IntelDetector, origin: &Origin, event: &Event<'_>) -> Vec<AlertDraft> {
        observe(d, &Observation::Event { origin, event })
    }

    fn record<'a>(
        protocol: &'a str,
        kind: &'a str,
        fields: &'a [(&'a str, Value<'a>)],
    ) -> Event<'a> {
        Event::Record(Record {
            protocol,
            kind,
            direction: Some(Direction::ToServer),
            activity: None,
            fields: Fields(fields),
        })
    }

    fn tick(d: &mut IntelDetector) {
        let mut drafts = Vec::new();
        d.tick(&mut Context {
            time: Timestamp(5),
            mode: Mode::Learning,
            drafts: &mut drafts,
            open: None,
            refused: None,
        });
    }

    #[test]
    fn raises_on_each_kind_of_indicator_with_its_evidence() {
        let dir = tempfile::tempdir().expect("temp dir");
        let list = "198.51.100.0/24\nevil.example\nurl:http://dl.example/p.bin\nja3:308b0bd904abbef5e0034a1ff7a78920\n";
        let mut d = detector(dir.path(), &[("feed.txt", list)]);
        let f = flow("10.0.0.9", "198.51.100.20");
        let drafts = observe(&mut d, &Observation::FlowStart(&f));
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "malware.ioc_ip");
        assert_eq!(drafts[0].evidence["matched"], "198.51.100.20");
        assert_eq!(drafts[0].evidence["field"], "server");
        assert_eq!(drafts[0].discriminator, "198.51.100.0/24");
        assert!(
            drafts[0].evidence["feed"]
                .as_str()
                .is_some_and(|s| s.ends_with("feed.txt:1"))
        );
        assert_eq!(drafts[0].flows, vec![7]);

        let origin = Origin::Flow(flow("10.0.0.9", "10.0.0.1"));
        let answers = "A 198.51.100.3CNAME cdn.evil.example";
        let fields = [
            ("qname", Value::Str("www.good.example")),
            (
                "answers",
                Value::Texts {
                    text: answers,
                    ends: &[14, answers.len()],
                },
            ),
        ];
        let event = record("dns", "answer", &fields);
        let drafts = on_event(&mut d, &origin, &event);
        let got: Vec<_> = drafts
            .iter()
            .map(|d| {
                (
                    d.rule.id,
                    d.evidence["matched"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("malware.ioc_ip", "198.51.100.3"),
                ("malware.ioc_domain", "cdn.evil.example")
            ]
        );
        assert_eq!(
            drafts[1].source.and_then(|s| s.ip),
            Some("10.0.0.9".parse().expect("ip"))
        );

        let fields = [
            ("sni", Value::Str("api.EVIL.example")),
            ("ja3_hash", Value::Str("308b0bd904abbef5e0034a1ff7a78920")),
            ("ja4", Value::Str("t13d1516h2_8daaf6152771_e5627efa2ab1")),
        ];
        let event = record("tls", "client_hello", &fields);
        let drafts = on_event(&mut d, &origin, &event);
        let rules: Vec<_> = drafts.iter().map(|d| d.rule.id).collect();
        assert_eq!(rules, ["malware.ioc_domain", "malware.ioc_tls_fingerprint"]);

        let fields = [
            ("method", Value::Str("GET")),
            ("uri", Value::Str("/p.bin")),
            ("host", Value::Str("dl.example:8080")),
        ];
        let event = record("http", "transaction", &fields);
        let drafts = on_event(&mut d, &origin, &event);
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "malware.ioc_url");
        assert_eq!(
            drafts[0].evidence["matched"],
            "http://dl.example:8080/p.bin"
        );

        let fields = [("qname", Value::Str("plc.plant.local"))];
        let event = record("dns", "query", &fields);
        assert!(on_event(&mut d, &origin, &event).is_empty());
    }

    #[test]
    fn stix_metadata_reaches_the_evidence_and_the_severity() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bundle = r#"{"type": "bundle", "id": "bundle--x", "objects": [
            {"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
             "pattern": "[domain-name:value = 'evil.example']", "name": "Loader C2",
             "description": "Seen in a campaign", "labels": ["critical"]}]}"#;
        let mut d = detector(dir.path(), &[("feed.json", bundle)]);
        let origin = Origin::Flow(flow("10.0.0.9", "10.0.0.1"));
        let fields = [("qname", Value::Str("x.evil.example"))];
        let event = record("dns", "query", &fields);
        let drafts = on_event(&mut d, &origin, &event);
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].severity, Severity::Critical);
        assert_eq!(drafts[0].evidence["name"], "Loader C2");
        assert_eq!(drafts[0].evidence["description"], "Seen in a campaign");
        assert_eq!(drafts[0].evidence["stix_id"], "indicator--1");
        assert_eq!(
            drafts[0].evidence["labels"],
            serde_json::json!(["critical"])
        );
        assert!(
            drafts[0].description.contains("(Loader C2)"),
            "{}",
            drafts[0].description
        );
    }

    #[test]
    fn reloads_a_changed_file_and_keeps_the_old_index_when_the_new_one_is_bad() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut d = detector(dir.path(), &[("feed.txt", "192.0.2.1\n")]);
        let path = dir.path().join("feed.txt");
        let hits = |d: &mut IntelDetector, server: &str| {
            observe(d, &Observation::FlowStart(&flow("10.0.0.9", server))).len()
        };
        assert_eq!(hits(&mut d, "192.0.2.1"), 1);
        assert_eq!(d.stats().loads, 1);

        std::fs::write(&path, "192.0.2.2\n192.0.2.3\n").expect("rewrite");
        tick(&mut d);
        assert_eq!(d.stats().loads, 2);
        assert_eq!(hits(&mut d, "192.0.2.1"), 0);
        assert_eq!(hits(&mut d, "192.0.2.3"), 1);

        std::fs::write(&path, "192.0.2.4\nnot an indicator!\n").expect("rewrite");
        tick(&mut d);
        assert_eq!(d.stats().load_failures, 1);
        let why = d.stats().last_error.clone().unwrap_or_default();
        assert!(why.ends_with("feed.txt:2: cannot tell what `not an indicator!` is (not an IP, CIDR, URL, JA3, JA4 or domain); prefix it with its type, e.g. `domain:`"), "{why}");
        assert_eq!(hits(&mut d, "192.0.2.3"), 1, "the old index stays");
        tick(&mut d);
        assert_eq!(
            d.stats().load_failures,
            1,
            "an unchanged bad file is not retried"
        );

        std::fs::write(&path, "192.0.2.4\n").expect("fix");
        tick(&mut d);
        assert_eq!((d.stats().loads, d.stats().indicators), (3, 1));
        assert_eq!(hits(&mut d, "192.0.2.4"), 1);
    }

    #[test]
    fn checks_files_no_more_often_than_configured() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("feed.txt");
        std::fs::write(&path, "192.0.2.1\n").expect("write");
        let mut d = IntelDetector::new(&IntelConfig {
            files: vec![path.clone()],
            reload_seconds: 3600,
        });
        std::fs::write(&path, "192.0.2.1\n192.0.2.2\n").expect("rewrite");
        tick(&mut d);
        assert_eq!(d.stats().loads, 1, "an hour has not passed");
    }

    #[test]
    fn a_missing_file_at_start_is_counted_and_picked_up_when_it_appears() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("later.txt");
        let mut d = IntelDetector::new(&IntelConfig {
            files: vec![path.clone()],
            reload_seconds: 0,
        });
        assert_eq!(d.stats().load_failures, 1);
        assert!(
            d.stats()
                .last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("cannot read"))
        );
        std::fs::write(&path, "evil.example\n").expect("write");
        tick(&mut d);
        assert_eq!(d.index().indicators().len(), 1);
    }

    #[test]
    fn rules_are_the_contract_ids_with_known_techniques() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            [
                "malware.ioc_ip",
                "malware.ioc_domain",
                "malware.ioc_url",
                "malware.ioc_tls_fingerprint"
            ]
        );
        for rule in RULES {
            assert_eq!(rule.engine, EngineKind::Malware);
            assert!(
                rule.techniques
                    .iter()
                    .all(|t| crate::technique::name(t).is_some()),
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn the_section_parses_with_defaults() {
        let c = crate::DetectConfig::parse("[intel]\nfiles = [\"a.txt\"]\n", Path::new("d.toml"))
            .expect("valid");
        assert_eq!(
            c.intel,
            IntelConfig {
                files: vec!["a.txt".into()],
                reload_seconds: 60
            }
        );
        assert!(crate::DetectConfig::parse("[intel]\nreload = 5\n", Path::new("d.toml")).is_err());
    }
}
