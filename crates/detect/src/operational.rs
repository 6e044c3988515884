//! Operational: the health of the process as the traffic shows it. A device that stops
//! answering, an outstation that restarts (or keeps restarting), a controller left in stop
//! mode, a burst of exception responses, and a sensor input that went quiet.
//!
//! These are facts, not deviations, so they raise in learning and monitoring mode; the
//! exception rate is learned all the time (an exponentially weighted mean of exceptions per
//! minute per server) and a spike is measured against it.
//!
//! "Unanswered" is what a pairing dissector says: protocols that pair requests with
//! responses report a request alone only when its response never came (Modbus, DNP3,
//! S7comm, S7comm-plus, EtherNet/IP, BACnet confirmed services, OPC UA). Protocols whose
//! requests travel alone by design (IEC 104, MQTT, FINS without response) cannot say.

use std::collections::VecDeque;
use std::net::IpAddr;

use rampart_event::{Attribute, Direction, Event, Identity, Origin, Record, Timestamp};
use serde::Deserialize;

use crate::alert::{AlertDraft, Endpoint, EngineKind, Rule, Severity};
use crate::capped::CappedMap;
use crate::facts::{self, Parties};
use crate::protocol_policy::side;
use crate::violation::INDUSTRIAL_PROTOCOLS;
use crate::{Context, Detector, Observation};

const NANOS: u64 = 1_000_000_000;

/// The operational engine's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperationalConfig {
    /// Unanswered requests to one server in one protocol, with no answer between them, that
    /// make it unresponsive.
    pub unresponsive_requests: u32,
    /// ... within this many seconds.
    pub unresponsive_window_secs: u64,
    /// Restarts of one outstation within `restart_window_secs` that make it restart
    /// frequently.
    pub frequent_restarts: usize,
    /// The window of `frequent_restarts`, in seconds.
    pub restart_window_secs: u64,
    /// A minute's exceptions from one server must exceed this multiple of its learned rate
    /// per minute ...
    pub exception_spike_factor: f64,
    /// ... and be at least this many.
    pub exception_spike_floor: u32,
    /// Weight of the newest minute in the learned exception rate (0–1).
    pub exception_rate_weight: f64,
    /// Seconds of capture time without traffic, more than which the sensor's input is silent.
    pub no_traffic_secs: u64,
    /// Devices (and device–protocol pairs) tracked per check; past it the oldest are
    /// forgotten.
    pub max_devices: usize,
}

impl Default for OperationalConfig {
    fn default() -> Self {
        OperationalConfig {
            unresponsive_requests: 5,
            unresponsive_window_secs: 60,
            frequent_restarts: 3,
            restart_window_secs: 3600,
            exception_spike_factor: 5.0,
            exception_spike_floor: 20,
            exception_rate_weight: 0.2,
            no_traffic_secs: 300,
            max_devices: 8192,
        }
    }
}

/// A device stopped answering requests.
pub static DEVICE_UNRESPONSIVE: Rule = Rule {
    id: "operational.device_unresponsive",
    title: "Device unresponsive",
    engine: EngineKind::Operational,
    category: "availability",
    severity: Severity::Major,
    techniques: &["T0814", "T0826"],
    remediation: "Check the device's power, network link and status; a controller or RTU \
        that no longer answers its master leaves that part of the process uncontrolled. If \
        the device is up, look for a denial of service against it.",
};

/// An outstation restarted, or restarts often.
pub static OUTSTATION_RESTART: Rule = Rule {
    id: "operational.outstation_restart",
    title: "Outstation restarted",
    engine: EngineKind::Operational,
    category: "restart",
    severity: Severity::Minor,
    techniques: &["T0816"],
    remediation: "Find out why the outstation restarted: power, a watchdog, a firmware fault, \
        or a restart command. Frequent restarts need the device's diagnostics and, when no \
        one commanded them, a search for a denial-of-service attempt.",
};

/// A controller reports it is in stop (or program, halted, faulted) mode.
pub static PLC_STOP_MODE: Rule = Rule {
    id: "operational.plc_stop_mode",
    title: "PLC in stop mode",
    engine: EngineKind::Operational,
    category: "operating_mode",
    severity: Severity::Major,
    techniques: &["T0858", "T0881"],
    remediation: "A controller that is not running does not control its process. Confirm \
        with operations whether it is in planned maintenance; otherwise find who stopped it \
        (see protocol_policy.plc_stop alerts) and return it to run.",
};

/// A server's exception responses rose far above its usual rate.
pub static EXCEPTION_SPIKE: Rule = Rule {
    id: "operational.exception_spike",
    title: "Exception rate spike",
    engine: EngineKind::Operational,
    category: "availability",
    severity: Severity::Major,
    techniques: &["T0888", "T0814"],
    remediation: "Many more exceptions than usual mean a master misconfigured after a change, \
        a device failing, or someone probing for functions and addresses. Compare the \
        requests in the PCAP with the master's configuration.",
};

/// The sensor received nothing for a while.
pub static NO_TRAFFIC: Rule = Rule {
    id: "operational.no_traffic",
    title: "No traffic on the sensor's input",
    engine: EngineKind::Operational,
    category: "sensor_health",
    severity: Severity::Major,
    techniques: &[],
    remediation: "Check the SPAN or TAP port feeding the sensor and the switch it mirrors; \
        while the input is silent nothing on the network is monitored.",
};

/// Every rule of the engine.
pub static RULES: &[&Rule] = &[
    &DEVICE_UNRESPONSIVE,
    &OUTSTATION_RESTART,
    &PLC_STOP_MODE,
    &EXCEPTION_SPIKE,
    &NO_TRAFFIC,
];

/// Controller modes (as `plc_mode` identities spell them) in which the program does not run.
const STOPPED_MODES: &[&str] = &[
    "stop",
    "stop_faulted",
    "halted",
    "hold",
    "defect",
    "program",
    "suspended",
];

/// IEC 104 type id 70, M_EI_NA_1: end of initialisation (IEC 60870-5-101 §7.3.3.1).
const IEC104_END_OF_INITIALISATION: u64 = 70;

/// The protocol's place in [`INDUSTRIAL_PROTOCOLS`], for the industrial protocols the engine
/// tracks: a key that hashes as one number rather than as text.
fn industrial(protocol: &str) -> Option<usize> {
    INDUSTRIAL_PROTOCOLS.iter().position(|p| *p == protocol)
}

/// True when a record alone is a request whose response never came (see the module doc).
fn is_unanswered(r: &Record<'_>) -> bool {
    if r.direction != Some(Direction::ToServer) {
        return r.protocol == "dnp3" && r.kind == "unanswered";
    }
    match r.protocol {
        "modbus" | "s7comm" | "enip" => true,
        "s7commplus" => facts::text(&r.fields, "opcode_name") == Some("request"),
        // A confirmed request broadcast to a network has no one reply to wait for.
        "bacnet" => {
            r.kind == "confirmed_request"
                && facts::text(&r.fields, "bvlc_function") == Some("original_unicast_npdu")
        }
        "opcua" => r.kind == "service",
        "dnp3" => r.kind == "unanswered",
        _ => false,
    }
}

/// True when a record shows its server answering.
fn is_answer(r: &Record<'_>) -> bool {
    r.direction != Some(Direction::ToServer) && !(r.protocol == "dnp3" && r.kind == "unanswered")
}

/// An outstation: its IP and, behind a gateway, its link address (DNP3 outstation address,
/// IEC 104 common address).
type Station = (IpAddr, Option<u64>);

/// The link address of the outstation a record comes from, when the protocol has one.
fn link_address(r: &Record<'_>) -> Option<u64> {
    match r.protocol {
        "dnp3" => facts::number(&r.fields, "outstation"),
        _ => facts::number(&r.fields, "common_address"),
    }
}

/// Requests to one server in one protocol since it last answered.
#[derive(Debug, Clone, Copy, Default)]
struct Silence {
    unanswered: u32,
    since: Timestamp,
    reported: bool,
}

/// A server's exceptions this minute and its learned rate.
#[derive(Debug, Clone, Copy, Default)]
struct ExceptionRate {
    minute: u64,
    count: u32,
    rate: Option<f64>,
    reported: bool,
}

/// The operational engine.
#[derive(Debug)]
pub struct Operational {
    config: OperationalConfig,
    silences: CappedMap<(IpAddr, usize), Silence>,
    restart_flags: CappedMap<Station, bool>,
    restarts: CappedMap<Station, VecDeque<Timestamp>>,
    stopped: CappedMap<(Option<IpAddr>, Option<rampart_event::Mac>), bool>,
    exceptions: CappedMap<IpAddr, ExceptionRate>,
    last_traffic: Option<Timestamp>,
}

impl Operational {
    /// The engine with these settings.
    pub fn new(config: &OperationalConfig) -> Operational {
        let cap = config.max_devices;
        Operational {
            config: config.clone(),
            silences: CappedMap::new(cap),
            restart_flags: CappedMap::new(cap),
            restarts: CappedMap::new(cap),
            stopped: CappedMap::new(cap),
            exceptions: CappedMap::new(cap),
            last_traffic: None,
        }
    }

    fn record(&mut self, origin: &Origin, r: &Record<'_>, cx: &mut Context<'_>) {
        let Some(protocol) = industrial(r.protocol) else {
            return;
        };
        self.responsiveness(origin, r, protocol, cx);
        self.restart(origin, r, cx);
        if facts::is_exception(r, cx) {
            self.exception(origin, r, cx);
        }
    }

    fn responsiveness(
        &mut self,
        origin: &Origin,
        r: &Record<'_>,
        protocol: usize,
        cx: &mut Context<'_>,
    ) {
        let Origin::Flow(f) = origin else {
            return;
        };
        let key = (f.server.0, protocol);
        if is_unanswered(r) {
            let window = self.config.unresponsive_window_secs.saturating_mul(NANOS);
            let s = self.silences.entry(key, Silence::default);
            if s.unanswered == 0 || cx.time.nanos_since(s.since) > window {
                *s = Silence {
                    unanswered: 0,
                    since: cx.time,
                    reported: s.reported,
                };
            }
            s.unanswered += 1;
            if s.unanswered >= self.config.unresponsive_requests && !s.reported {
                s.reported = true;
                let silence = *s;
                let p = facts::parties(origin, None);
                self.raise_unresponsive(r, &p, silence, cx);
            }
        } else if is_answer(r)
            && let Some(s) = self.silences.get_mut(&key)
        {
            *s = Silence::default();
        }
    }

    fn raise_unresponsive(&self, r: &Record<'_>, p: &Parties, s: Silence, cx: &mut Context<'_>) {
        let secs = cx.time.nanos_since(s.since) as f64 / NANOS as f64;
        let description = format!(
            "{} did not answer {} {} requests from {} over {secs:.1} s",
            side(p.receiver),
            s.unanswered,
            r.protocol,
            side(p.sender)
        );
        cx.raise(
            AlertDraft::new(&DEVICE_UNRESPONSIVE, cx.time, description)
                .between(p.receiver, p.sender)
                .protocol(r.protocol)
                .discriminator(r.protocol)
                .flow(p.flow)
                .evidence("unanswered_requests", s.unanswered)
                .evidence("first_unanswered", s.since.to_string())
                .evidence("threshold_requests", self.config.unresponsive_requests)
                .evidence("window_secs", self.config.unresponsive_window_secs)
                .evidence("last_request_kind", r.kind),
        );
    }

    /// A DNP3 response whose device-restart bit newly rose, or an IEC 104 end of
    /// initialisation: the sender restarted.
    fn restart(&mut self, origin: &Origin, r: &Record<'_>, cx: &mut Context<'_>) {
        let restarted = match r.protocol {
            "dnp3"
                if r.direction != Some(Direction::ToServer)
                    && facts::field(&r.fields, "iin_flags").is_some() =>
            {
                let set = facts::any_text(facts::field(&r.fields, "iin_flags"), |f| {
                    f == "device_restart"
                });
                let p = facts::parties(origin, Some(Direction::ToClient));
                let Some(ip) = p.sender.and_then(|s| s.ip) else {
                    return;
                };
                let was = self.restart_flags.entry((ip, link_address(r)), || false);
                let rose = set && !*was;
                *was = set;
                rose.then_some(p)
            }
            "iec104"
                if facts::number(&r.fields, "type_id") == Some(IEC104_END_OF_INITIALISATION) =>
            {
                Some(facts::parties(origin, r.direction))
            }
            _ => None,
        };
        if let Some(p) = restarted {
            self.raise_restart(r, &p, cx);
        }
    }

    fn raise_restart(&mut self, r: &Record<'_>, p: &Parties, cx: &mut Context<'_>) {
        let Some(ip) = p.sender.and_then(|s| s.ip) else {
            return;
        };
        let window = self.config.restart_window_secs.saturating_mul(NANOS);
        let keep = self.config.frequent_restarts.max(1);
        let address = link_address(r);
        let times = self.restarts.entry((ip, address), VecDeque::new);
        times.retain(|t| cx.time.nanos_since(*t) <= window);
        if times.len() >= keep {
            times.pop_front();
        }
        times.push_back(cx.time);
        let recent = times.len();
        let signal = if r.protocol == "dnp3" {
            "the IIN device-restart bit"
        } else {
            "an end of initialisation"
        };
        let base = |discriminator: &str, description: String| {
            let mut d = AlertDraft::new(&OUTSTATION_RESTART, cx.time, description)
                .between(p.sender, p.receiver)
                .protocol(r.protocol)
                .discriminator(discriminator)
                .flow(p.flow)
                .evidence("restarts_in_window", recent)
                .evidence("window_secs", self.config.restart_window_secs);
            d.evidence.extend(facts::evidence(&r.fields));
            d
        };
        let station = match address {
            Some(a) => format!("{} (address {a})", side(p.sender)),
            None => side(p.sender),
        };
        let description = format!(
            "Outstation {station} restarted ({signal} in {})",
            r.protocol
        );
        let suffix = address.map_or(String::new(), |a| format!("/{a}"));
        let single = base(&format!("restart{suffix}"), description);
        let frequent = (recent >= self.config.frequent_restarts).then(|| {
            let description = format!(
                "Outstation {station} restarted {recent} times within {} s",
                self.config.restart_window_secs
            );
            base(&format!("frequent{suffix}"), description).severity(Severity::Major)
        });
        cx.raise(single);
        if let Some(d) = frequent {
            cx.raise(d);
        }
    }

    fn exception(&mut self, origin: &Origin, r: &Record<'_>, cx: &mut Context<'_>) {
        let p = facts::parties(origin, Some(Direction::ToClient));
        let Some(server) = p.sender.and_then(|s| s.ip) else {
            return;
        };
        let minute = cx.time.secs() / 60;
        let weight = self.config.exception_rate_weight.clamp(0.0, 1.0);
        let e = self.exceptions.entry(server, || ExceptionRate {
            minute,
            ..ExceptionRate::default()
        });
        if minute > e.minute {
            e.rate = Some(learned_rate(e.rate, e.count, minute - e.minute, weight));
            *e = ExceptionRate {
                minute,
                count: 0,
                rate: e.rate,
                reported: false,
            };
        }
        e.count += 1;
        let rate = e.rate.unwrap_or(0.0);
        let spike = e.count >= self.config.exception_spike_floor
            && f64::from(e.count) > self.config.exception_spike_factor * rate;
        if spike && !e.reported {
            e.reported = true;
            let count = e.count;
            let description = format!(
                "{} sent {count} {} exception responses this minute; it usually sends {rate:.1} a minute",
                side(p.sender),
                r.protocol
            );
            cx.raise(
                AlertDraft::new(&EXCEPTION_SPIKE, cx.time, description)
                    .between(p.sender, p.receiver)
                    .protocol(r.protocol)
                    .flow(p.flow)
                    .evidence("exceptions_this_minute", count)
                    .evidence("learned_rate_per_minute", rate)
                    .evidence("factor", self.config.exception_spike_factor)
                    .evidence("floor", self.config.exception_spike_floor),
            );
        }
    }

    fn identity(&mut self, origin: &Origin, i: &Identity<'_>, cx: &mut Context<'_>) {
        if i.attribute != Attribute::PlcMode {
            return;
        }
        let (ip, mac) = rampart_event::subject_address(origin, i.subject);
        let stopped = STOPPED_MODES.contains(&i.value);
        let was = self.stopped.entry((ip, mac), || false);
        let entered = stopped && !*was;
        *was = stopped;
        if !entered {
            return;
        }
        let device = Endpoint {
            ip,
            mac,
            port: None,
        };
        let description = format!(
            "Controller {} reports it is in {} mode ({})",
            side(Some(device)),
            i.value,
            i.protocol
        );
        let flow = match origin {
            Origin::Flow(f) => Some(f.id),
            _ => None,
        };
        cx.raise(
            AlertDraft::new(&PLC_STOP_MODE, cx.time, description)
                .between(Some(device), None)
                .protocol(i.protocol)
                .discriminator(i.value)
                .flow(flow)
                .evidence("plc_mode", i.value),
        );
    }

    /// Silence on the input: the time since the last traffic, checked when traffic resumes.
    fn traffic(&mut self, cx: &mut Context<'_>) {
        if let Some(last) = self.last_traffic {
            let gap = cx.time.nanos_since(last);
            if gap > self.config.no_traffic_secs.saturating_mul(NANOS) {
                let secs = gap as f64 / NANOS as f64;
                let description = format!(
                    "The sensor received no packets for {secs:.0} s (from {last} to {})",
                    cx.time
                );
                cx.raise(
                    AlertDraft::new(&NO_TRAFFIC, cx.time, description)
                        .discriminator(last.to_string())
                        .evidence("silent_secs", secs)
                        .evidence("from", last.to_string())
                        .evidence("until", cx.time.to_string())
                        .evidence("threshold_secs", self.config.no_traffic_secs),
                );
            }
        }
        self.last_traffic = Some(self.last_traffic.map_or(cx.time, |t| t.max(cx.time)));
    }
}

/// The exponentially weighted rate after a minute of `count` and `idle` minutes since it
/// (the minutes in between had none); the first minute seeds it.
fn learned_rate(rate: Option<f64>, count: u32, minutes: u64, weight: f64) -> f64 {
    let mut r = match rate {
        None => f64::from(count),
        Some(r) => r + weight * (f64::from(count) - r),
    };
    for _ in 1..minutes.min(64) {
        r *= 1.0 - weight;
    }
    r
}

impl Detector for Operational {
    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        self.last_traffic = Some(self.last_traffic.map_or(cx.time, |t| t.max(cx.time)));
        match observation {
            Observation::Event {
                origin,
                event: Event::Record(r),
            } => self.record(origin, r, cx),
            Observation::Event {
                origin,
                event: Event::Identity(i),
            } => self.identity(origin, i, cx),
            _ => {}
        }
    }

    fn tick(&mut self, cx: &mut Context<'_>) {
        self.traffic(cx);
    }
}

#[cfg(test)]
mod tests {
    use rampart_event::{Confidence, Fields, Subject, Value};

    use super::*;
    use crate::facts::testing::{Harness, flow};

    fn engine() -> Operational {
        Operational::new(&OperationalConfig::default())
    }

    fn modbus<'a>(
        direction: Option<Direction>,
        fields: &'a [(&'static str, Value<'static>)],
    ) -> Record<'a> {
        Record {
            protocol: "modbus",
            kind: "read_holding_registers",
            direction,
            activity: None,
            fields: Fields(fields),
        }
    }

    fn show(e: &mut Operational, h: &mut Harness, origin: &Origin, secs: f64, r: Record<'_>) {
        let event = Event::Record(r);
        h.event(e, secs, origin, &event);
    }

    #[test]
    fn four_unanswered_requests_are_patience_and_five_are_unresponsive() {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 2], 502);
        let (mut e, mut h) = (engine(), Harness::new());
        for i in 0..4 {
            show(
                &mut e,
                &mut h,
                &origin,
                f64::from(i) * 10.0,
                modbus(Some(Direction::ToServer), &[]),
            );
        }
        assert!(h.drafts.is_empty());
        show(
            &mut e,
            &mut h,
            &origin,
            40.0,
            modbus(Some(Direction::ToServer), &[]),
        );
        assert_eq!(h.rules(), ["operational.device_unresponsive"]);
        let d = &h.drafts[0];
        assert_eq!(
            d.source.and_then(|s| s.ip),
            Some(IpAddr::from([10, 0, 0, 2]))
        );
        assert_eq!(
            d.description,
            "10.0.0.2 did not answer 5 modbus requests from 10.0.0.1 over 40.0 s"
        );
        show(
            &mut e,
            &mut h,
            &origin,
            45.0,
            modbus(Some(Direction::ToServer), &[]),
        );
        assert_eq!(h.drafts.len(), 1, "one alert per silence");
        show(&mut e, &mut h, &origin, 50.0, modbus(None, &[]));
        for i in 0..5 {
            show(
                &mut e,
                &mut h,
                &origin,
                60.0 + f64::from(i),
                modbus(Some(Direction::ToServer), &[]),
            );
        }
        assert_eq!(h.drafts.len(), 2, "an answer ends the silence");
    }

    #[test]
    fn unanswered_requests_spread_wider_than_the_window_are_not_unresponsive() {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 2], 502);
        let (mut e, mut h) = (engine(), Harness::new());
        for i in 0..20 {
            show(
                &mut e,
                &mut h,
                &origin,
                f64::from(i) * 16.0,
                modbus(Some(Direction::ToServer), &[]),
            );
        }
        assert!(h.drafts.is_empty());
    }

    fn dnp3_response(restart: bool) -> Record<'static> {
        const SET: &[&str] = &["device_restart"];
        const CLEAR: &[&str] = &[];
        static SET_FIELDS: [(&str, Value<'static>); 1] = [("iin_flags", Value::Strs(SET))];
        static CLEAR_FIELDS: [(&str, Value<'static>); 1] = [("iin_flags", Value::Strs(CLEAR))];
        Record {
            protocol: "dnp3",
            kind: "transaction",
            direction: None,
            activity: None,
            fields: Fields(if restart { &SET_FIELDS } else { &CLEAR_FIELDS }),
        }
    }

    #[test]
    fn the_restart_bit_rising_is_a_restart_and_three_in_the_window_are_frequent() {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 4], 20000);
        let (mut e, mut h) = (engine(), Harness::new());
        show(&mut e, &mut h, &origin, 0.0, dnp3_response(true));
        show(&mut e, &mut h, &origin, 1.0, dnp3_response(true));
        assert_eq!(h.rules(), ["operational.outstation_restart"]);
        assert_eq!(
            h.drafts[0].source.and_then(|s| s.ip),
            Some(IpAddr::from([10, 0, 0, 4]))
        );
        show(&mut e, &mut h, &origin, 2.0, dnp3_response(false));
        show(&mut e, &mut h, &origin, 100.0, dnp3_response(true));
        assert_eq!(h.drafts.len(), 2, "two restarts are not frequent");
        show(&mut e, &mut h, &origin, 101.0, dnp3_response(false));
        show(&mut e, &mut h, &origin, 3600.0, dnp3_response(true));
        let frequent: Vec<_> = h
            .drafts
            .iter()
            .filter(|d| d.discriminator == "frequent")
            .collect();
        assert_eq!(frequent.len(), 1);
        assert_eq!(frequent[0].severity, Severity::Major);
        assert_eq!(
            frequent[0].description,
            "Outstation 10.0.0.4 restarted 3 times within 3600 s"
        );
    }

    #[test]
    fn restarts_older_than_the_window_do_not_make_it_frequent() {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 4], 20000);
        let (mut e, mut h) = (engine(), Harness::new());
        for t in [0.0, 1800.0, 3601.0] {
            show(&mut e, &mut h, &origin, t, dnp3_response(true));
            show(&mut e, &mut h, &origin, t + 1.0, dnp3_response(false));
        }
        assert!(h.drafts.iter().all(|d| d.discriminator == "restart"));
        assert_eq!(h.drafts.len(), 3);
    }

    #[test]
    fn an_iec104_end_of_initialisation_is_a_restart_of_its_sender() {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 8], 2404);
        let fields = [("type_id", Value::U64(70)), ("cot", Value::U64(4))];
        let (mut e, mut h) = (engine(), Harness::new());
        let r = Record {
            protocol: "iec104",
            kind: "i_format",
            direction: Some(Direction::ToClient),
            activity: None,
            fields: Fields(&fields),
        };
        show(&mut e, &mut h, &origin, 1.0, r);
        assert_eq!(h.rules(), ["operational.outstation_restart"]);
        assert_eq!(
            h.drafts[0].source.and_then(|s| s.ip),
            Some(IpAddr::from([10, 0, 0, 8]))
        );
    }

    fn mode(e: &mut Operational, h: &mut Harness, secs: f64, value: &str) {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 2], 102);
        let event = Event::Identity(Identity {
            protocol: "s7comm",
            subject: Subject::Server,
            attribute: Attribute::PlcMode,
            value,
            confidence: Confidence::STATED,
        });
        h.event(e, secs, &origin, &event);
    }

    #[test]
    fn a_controller_entering_stop_mode_alerts_once_until_it_runs_again() {
        let (mut e, mut h) = (engine(), Harness::new());
        mode(&mut e, &mut h, 1.0, "run");
        mode(&mut e, &mut h, 2.0, "stop");
        mode(&mut e, &mut h, 3.0, "stop");
        assert_eq!(h.rules(), ["operational.plc_stop_mode"]);
        assert_eq!(
            h.drafts[0].description,
            "Controller 10.0.0.2 reports it is in stop mode (s7comm)"
        );
        mode(&mut e, &mut h, 4.0, "run");
        mode(&mut e, &mut h, 5.0, "stop");
        assert_eq!(h.drafts.len(), 2);
    }

    fn exceptions(e: &mut Operational, h: &mut Harness, n: u32, start: f64) {
        let origin = flow(1, [10, 0, 0, 1], [10, 0, 0, 2], 502);
        const FIELDS: [(&str, Value<'static>); 1] = [("exception_code", Value::U64(2))];
        for i in 0..n {
            show(
                e,
                h,
                &origin,
                start + f64::from(i) * 0.01,
                modbus(None, &FIELDS),
            );
        }
    }

    #[test]
    fn exceptions_spike_at_the_floor_without_history() {
        let (mut e, mut h) = (engine(), Harness::new());
        exceptions(&mut e, &mut h, 19, 0.0);
        assert!(h.drafts.is_empty());
        exceptions(&mut e, &mut h, 1, 1.0);
        assert_eq!(h.rules(), ["operational.exception_spike"]);
    }

    #[test]
    fn exceptions_spike_above_the_multiple_of_the_learned_rate() {
        let (mut e, mut h) = (engine(), Harness::new());
        exceptions(&mut e, &mut h, 10, 0.0);
        exceptions(&mut e, &mut h, 10, 60.0);
        exceptions(&mut e, &mut h, 50, 120.0);
        assert!(
            h.drafts.is_empty(),
            "50 is five times the learned 10, not above it"
        );
        exceptions(&mut e, &mut h, 1, 125.0);
        assert_eq!(h.rules(), ["operational.exception_spike"]);
        assert_eq!(h.drafts[0].evidence["learned_rate_per_minute"], 10.0);
    }

    #[test]
    fn silence_longer_than_the_threshold_is_no_traffic() {
        let (mut e, mut h) = (engine(), Harness::new());
        mode(&mut e, &mut h, 0.0, "run");
        h.tick(&mut e, 300.0);
        assert!(
            h.drafts.is_empty(),
            "exactly the threshold is not more than it"
        );
        h.tick(&mut e, 601.0);
        assert_eq!(h.rules(), ["operational.no_traffic"]);
        assert_eq!(h.drafts[0].evidence["silent_secs"], 301.0);
    }

    #[test]
    fn rules_have_known_techniques() {
        crate::facts::testing::check_rules(RULES, EngineKind::Operational);
    }
}
