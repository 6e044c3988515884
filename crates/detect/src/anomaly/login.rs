//! Failed logins, from the records the dissectors emit: a Telnet `login` with
//! `success: false`, an FTP `USER`/`PASS` answered 530, an HTTP transaction with credentials
//! answered 401, an MQTT CONNACK refusing the credentials, an OPC UA ActivateSession
//! answered with a Bad status, and an SNMPv3 report of an unknown user or a wrong digest.
//! SSH authentication is encrypted, and SNMPv1/v2c agents drop a bad community silently, so
//! neither can be counted.
//!
//! Two keys, two rules: failures from one source to one destination are password guessing;
//! failures from one source to anywhere are excessive login attempts (spraying, or a service
//! retrying stale credentials). Both tables are bounded by `max_tracked` keys.

use std::net::IpAddr;

use rampart_event::{Activity, Event, FlowContext, Origin, Record, Value};

use super::config::{AnomalyConfig, LoginAttempts, PasswordGuessing};
use super::window::{Burst, Distinct, Tracked};
use super::{
    LOGIN_ATTEMPTS, PASSWORD_GUESSING, field_bool, field_str, field_u64, first_targets, with_flows,
};
use crate::alert::{AlertDraft, Endpoint};
use crate::{Context, Detector, Interest, Observation};

/// SNMPv3 usmStatsUnknownUserNames and usmStatsWrongDigests (RFC 3414 §5): what an agent
/// reports for a user it does not know or a password that does not match.
const SNMP_AUTH_FAILURES: [&str; 2] = ["1.3.6.1.6.3.15.1.1.3.0", "1.3.6.1.6.3.15.1.1.5.0"];

/// MQTT CONNACK refusals of credentials (3.1.1 §3.2.2.3 codes 4 and 5; v5 0x86, 0x87, 0x8c).
const MQTT_REFUSALS: [&str; 3] = [
    "bad_user_name_or_password",
    "not_authorized",
    "bad_authentication_method",
];

/// The protocols whose records [`is_failed_login`] can tell a failure in.
const LOGIN_PROTOCOLS: &[&str] = &["telnet", "ftp", "http", "mqtt", "opcua", "snmp"];

/// True when `record` reports a failed login.
fn is_failed_login(record: &Record<'_>) -> bool {
    let f = &record.fields;
    match (record.protocol, record.kind) {
        ("telnet", "login") => field_bool(f, "success") == Some(false),
        ("ftp", "command") => {
            matches!(field_str(f, "command"), Some("USER" | "PASS"))
                && field_u64(f, "reply_code") == Some(530)
        }
        ("http", "transaction") => {
            field_str(f, "username").is_some() && field_u64(f, "status_code") == Some(401)
        }
        ("mqtt", "connack") => {
            field_str(f, "return_code_name").is_some_and(|n| MQTT_REFUSALS.contains(&n))
        }
        ("opcua", "service") => {
            record.activity == Some(Activity::Authentication)
                && (field_u64(f, "service_result").is_some_and(|c| c & 0x8000_0000 != 0)
                    || field_str(f, "response_service").is_some_and(|s| s.contains("Fault")))
        }
        ("snmp", "pdu") => {
            field_str(f, "pdu_type") == Some("report")
                && matches!(f.get("vars"), Some(Value::Strs(vars))
                    if vars.iter().any(|v| SNMP_AUTH_FAILURES.contains(v)))
        }
        _ => false,
    }
}

/// Failures from one source to anywhere, and where.
#[derive(Debug, Default)]
struct Attempts {
    failures: Burst,
    destinations: Distinct<IpAddr>,
}

/// Excessive failed logins and password guessing.
#[derive(Debug)]
pub struct Logins {
    attempts: LoginAttempts,
    guessing: PasswordGuessing,
    by_source: Tracked<IpAddr, Attempts>,
    by_pair: Tracked<(IpAddr, IpAddr), Burst>,
}

impl Logins {
    /// Login failure counting with these thresholds.
    pub fn new(config: &AnomalyConfig) -> Logins {
        let cap = config.max_tracked.get();
        Logins {
            attempts: config.login_attempts,
            guessing: config.password_guessing,
            by_source: Tracked::new(cap),
            by_pair: Tracked::new(cap),
        }
    }

    fn failure(&mut self, flow: &FlowContext, protocol: &str, cx: &mut Context<'_>) {
        self.guess(flow, protocol, cx);
        self.attempt(flow, protocol, cx);
    }

    fn guess(&mut self, flow: &FlowContext, protocol: &str, cx: &mut Context<'_>) {
        let (src, dst) = (flow.client.0, flow.server.0);
        let (count, window) = (self.guessing.failures.get(), self.guessing.window_secs);
        let g = self.by_pair.entry((src, dst), cx.time, Burst::default);
        if !g.note(Some(flow.id), cx.time, window.nanos(), count) {
            return;
        }
        let mut draft = AlertDraft::new(
            &PASSWORD_GUESSING,
            cx.time,
            format!(
                "{src} failed {count} {protocol} logins on {dst} within {} s",
                window.secs()
            ),
        )
        .between(Some(ip_endpoint(src)), Some(server(flow)))
        .protocol(protocol)
        .evidence("failures", count as u64)
        .evidence("window_seconds", window.secs());
        draft = with_flows(draft, g.flows());
        g.close(cx.time, window.nanos());
        cx.raise(draft);
    }

    fn attempt(&mut self, flow: &FlowContext, protocol: &str, cx: &mut Context<'_>) {
        let (src, dst) = (flow.client.0, flow.server.0);
        let (count, window) = (self.attempts.failures.get(), self.attempts.window_secs);
        let a = self.by_source.entry(src, cx.time, Attempts::default);
        if a.failures.is_quiet(cx.time) {
            return;
        }
        a.destinations.insert(dst, cx.time, window.nanos(), count);
        if !a
            .failures
            .note(Some(flow.id), cx.time, window.nanos(), count)
        {
            return;
        }
        let mut draft = AlertDraft::new(
            &LOGIN_ATTEMPTS,
            cx.time,
            format!(
                "{src} failed {count} logins within {} s (last: {protocol} on {dst})",
                window.secs()
            ),
        )
        .between(Some(ip_endpoint(src)), None)
        .protocol(protocol)
        .evidence("failures", count as u64)
        .evidence("window_seconds", window.secs())
        .evidence("destinations", first_targets(a.destinations.items()));
        draft = with_flows(draft, a.failures.flows());
        a.failures.close(cx.time, window.nanos());
        a.destinations.clear();
        cx.raise(draft);
    }
}

fn ip_endpoint(ip: IpAddr) -> Endpoint {
    Endpoint {
        ip: Some(ip),
        ..Endpoint::default()
    }
}

fn server(flow: &FlowContext) -> Endpoint {
    Endpoint {
        ip: Some(flow.server.0),
        mac: flow.server_mac,
        port: Some(flow.server.1),
    }
}

impl Detector for Logins {
    fn interest(&self) -> Interest {
        Interest::RECORDS.of_protocols(LOGIN_PROTOCOLS)
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        if let Observation::Event {
            origin: Origin::Flow(flow),
            event: Event::Record(record),
        } = observation
            && is_failed_login(record)
        {
            self.failure(flow, record.protocol, cx);
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_event::{Direction, Fields, Timestamp};

    use super::*;
    use crate::Mode;
    use crate::anomaly::testing::{Run, flow, secs};

    fn logins() -> Run<Logins> {
        Run::new(Logins::new(&AnomalyConfig::default()), Mode::Monitoring)
    }

    fn show(run: &mut Run<Logins>, time: Timestamp, server: &str, record: Record<'_>) {
        let origin = Origin::Flow(flow(1, "10.0.0.66", server, 23));
        run.record(time, &origin, record);
    }

    fn telnet(run: &mut Run<Logins>, time: Timestamp, server: &str, success: bool) {
        let fields = [
            ("user", Value::Str("admin")),
            ("success", Value::Bool(success)),
        ];
        let record = Record {
            protocol: "telnet",
            kind: "login",
            direction: None,
            activity: None,
            fields: Fields(&fields),
        };
        show(run, time, server, record);
    }

    #[test]
    fn four_failures_are_nothing_and_the_fifth_is_password_guessing() {
        let mut run = logins();
        for i in 0..4 {
            telnet(&mut run, secs(i * 10), "10.0.0.1", false);
            telnet(&mut run, secs(i * 10 + 1), "10.0.0.1", true);
        }
        assert!(run.take().is_empty(), "successes do not count");
        telnet(&mut run, secs(50), "10.0.0.1", false);
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.password_guessing");
        assert_eq!(
            drafts[0].destination.and_then(|d| d.ip),
            Some("10.0.0.1".parse().expect("ip"))
        );
        assert_eq!(drafts[0].evidence["failures"], 5);
    }

    #[test]
    fn five_failures_spread_over_more_than_two_minutes_are_nothing() {
        let mut run = logins();
        for i in 0..5 {
            telnet(&mut run, secs(i * 31), "10.0.0.1", false);
        }
        assert!(run.take().is_empty());
    }

    #[test]
    fn ten_failures_across_destinations_are_excessive_login_attempts() {
        let mut run = logins();
        for i in 0..9u64 {
            telnet(&mut run, secs(i), &format!("10.0.0.{}", i % 3 + 1), false);
        }
        // Three destinations with three failures each: under both thresholds.
        assert!(run.take().is_empty());
        telnet(&mut run, secs(9), "10.0.0.4", false);
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.login_attempts");
        assert_eq!(
            drafts[0].evidence["destinations"].as_array().map(Vec::len),
            Some(4)
        );
    }

    fn failed<'a>(
        protocol: &'a str,
        kind: &'a str,
        activity: Option<Activity>,
        fields: &'a [(&'a str, Value<'a>)],
    ) -> bool {
        let failed = is_failed_login(&Record {
            protocol,
            kind,
            direction: Some(Direction::ToClient),
            activity,
            fields: Fields(fields),
        });
        assert!(
            !failed || LOGIN_PROTOCOLS.contains(&protocol),
            "{protocol} records are shown to the detector"
        );
        failed
    }

    #[test]
    fn reads_failures_from_every_protocol_that_tells_them() {
        let ftp = [
            ("command", Value::Str("PASS")),
            ("reply_code", Value::U64(530)),
        ];
        let ftp_ok = [
            ("command", Value::Str("PASS")),
            ("reply_code", Value::U64(230)),
        ];
        let http = [
            ("username", Value::Str("admin")),
            ("status_code", Value::U64(401)),
        ];
        let http_anon = [("status_code", Value::U64(401))];
        let mqtt = [("return_code_name", Value::Str("not_authorized"))];
        let opcua = [("service_result", Value::U64(0x8020_0000))];
        let opcua_ok = [("service_result", Value::U64(0))];
        let snmp_vars = ["1.3.6.1.6.3.15.1.1.3.0"];
        let snmp = [
            ("pdu_type", Value::Str("report")),
            ("vars", Value::Strs(&snmp_vars)),
        ];
        let auth = Some(Activity::Authentication);
        assert!(failed("ftp", "command", None, &ftp));
        assert!(!failed("ftp", "command", None, &ftp_ok));
        assert!(failed("http", "transaction", None, &http));
        assert!(!failed("http", "transaction", None, &http_anon));
        assert!(failed("mqtt", "connack", None, &mqtt));
        assert!(failed("opcua", "service", auth, &opcua));
        assert!(!failed("opcua", "service", auth, &opcua_ok));
        assert!(!failed("opcua", "service", None, &opcua));
        assert!(failed("snmp", "pdu", None, &snmp));
    }
}
