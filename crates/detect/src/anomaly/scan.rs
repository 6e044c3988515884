//! Scans: address scans and port scans from flow starts, industrial protocol scans from
//! identity requests and unit-id sweeps.
//!
//! Flow starts are counted whether or not anyone answered: a scan of dead addresses is still
//! a scan, and waiting for flows to end (to know) would delay the alert by the flow timeout.
//! Each table is bounded by `max_tracked` keys, each key by its threshold's count.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rampart_event::{Activity, FlowContext, Origin, Record};

use super::config::{AddressScan, AnomalyConfig, OtScan, PortScan};
use super::window::{Episode, Tracked};
use super::{
    ADDRESS_SCAN, Host, OT_SCAN, PORT_SCAN, field_u64, first_targets, request_sides, with_flows,
};
use crate::alert::{AlertDraft, Endpoint};
use crate::config::Marks;
use crate::flow_slots::FlowSlots;
use crate::{Context, Detector, FlowEnd, Interest, Observation};

/// Prefix length of the IPv4 network an address scan is counted in.
pub const IPV4_PREFIX: u8 = 16;
/// Prefix length of the IPv6 network an address scan is counted in.
pub const IPV6_PREFIX: u8 = 64;

/// The network of `ip` an address scan is counted in (`/16`, `/64`).
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(
            u32::from(v4) & (u32::MAX << (32 - IPV4_PREFIX)),
        )),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(
            u128::from(v6) & (u128::MAX << (128 - IPV6_PREFIX)),
        )),
    }
}

fn prefix_len(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        IPV4_PREFIX
    } else {
        IPV6_PREFIX
    }
}

/// Broadcast and multicast destinations are not scan targets: one datagram reaches them all.
fn is_group(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast(),
        IpAddr::V6(v6) => v6.is_multicast(),
    }
}

/// Zeek connection states of a TCP attempt nobody accepted: no answer (`S0`), refused
/// (`REJ`), reset by the originator before an answer (`RSTOS0`), answered only with a SYN-ACK
/// and a reset (`RSTRH`), or half-open (`SH`, `SHR`).
const FAILED_ATTEMPTS: [&str; 6] = ["S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR"];

/// Failed attempts one source made across destinations, and until when a per-destination
/// port scan already explains them.
#[derive(Debug, Default)]
struct Across {
    ports: Episode<u16>,
    explained_until: rampart_event::Timestamp,
}

/// What an identity request was sent to: a device and, for gateways, the unit behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    device: Host,
    unit: Option<u64>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Some(unit) => write!(f, "{} unit {unit}", self.device),
            None => self.device.fmt(f),
        }
    }
}

/// The unit a request addresses behind its destination: Modbus unit id, DNP3 outstation.
fn unit_of(record: &Record<'_>) -> Option<u64> {
    match record.protocol {
        "modbus" => field_u64(&record.fields, "unit_id"),
        "dnp3" => field_u64(&record.fields, "outstation"),
        _ => None,
    }
}

/// Address, port and industrial protocol scans.
#[derive(Debug)]
pub struct Scans {
    address: AddressScan,
    port: PortScan,
    ot: OtScan,
    marks: Marks,
    networks: Tracked<(IpAddr, IpAddr), Episode<IpAddr>>,
    destinations: Tracked<(IpAddr, IpAddr), Episode<u16>>,
    sources: Tracked<IpAddr, Across>,
    identify: Tracked<Host, Episode<Target>>,
    units: Tracked<(Host, Host), Episode<u64>>,
    /// The slot of recent flows' pairs in `units`: a master polls its units over one
    /// connection, so most requests find their episode without a lookup.
    unit_slots: FlowSlots<usize>,
}

/// Flows whose pair's slot in the unit sweeps is remembered.
const RECENT_FLOWS: usize = 4096;

impl Scans {
    /// Scans with these thresholds; sources in `marks.scanners` are never alerted on.
    pub fn new(config: &AnomalyConfig, marks: &Marks) -> Scans {
        let cap = config.max_tracked.get();
        Scans {
            address: config.address_scan,
            port: config.port_scan,
            ot: config.ot_scan,
            marks: marks.clone(),
            networks: Tracked::new(cap),
            destinations: Tracked::new(cap),
            sources: Tracked::new(cap),
            identify: Tracked::new(cap),
            units: Tracked::new(cap),
            unit_slots: FlowSlots::new(RECENT_FLOWS),
        }
    }

    fn is_scanner(&self, host: Host) -> bool {
        host.ip().is_some_and(|ip| self.marks.is_scanner(ip))
    }

    fn flow_start(&mut self, flow: &FlowContext, cx: &mut Context<'_>) {
        let (src, dst, port) = (flow.client.0, flow.server.0, flow.server.1);
        if is_group(dst) || self.marks.is_scanner(src) {
            return;
        }
        self.address_scan(flow, cx);
        if port != 0 {
            self.port_scan(flow, cx);
        }
    }

    fn address_scan(&mut self, flow: &FlowContext, cx: &mut Context<'_>) {
        let (src, dst) = (flow.client.0, flow.server.0);
        let net = network(dst);
        let (count, window) = (self.address.destinations.get(), self.address.window_secs);
        let episode = self.networks.entry((src, net), cx.time, Episode::default);
        if !episode.note(dst, Some(flow.id), cx.time, window.nanos(), count) {
            return;
        }
        let prefix = format!("{net}/{}", prefix_len(dst));
        let mut draft = AlertDraft::new(
            &ADDRESS_SCAN,
            cx.time,
            format!(
                "{src} reached {count} addresses in {prefix} within {} s",
                window.secs()
            ),
        )
        .between(Some(host(src)), None)
        .discriminator(prefix.clone())
        .evidence("network", prefix)
        .evidence("destinations", count as u64)
        .evidence("window_seconds", window.secs())
        .evidence("first_targets", first_targets(episode.targets()));
        draft = with_flows(draft, episode.flows());
        episode.close(cx.time, window.nanos());
        cx.raise(draft);
    }

    fn port_scan(&mut self, flow: &FlowContext, cx: &mut Context<'_>) {
        let (src, dst, port) = (flow.client.0, flow.server.0, flow.server.1);
        let (count, window) = (self.port.ports.get(), self.port.window_secs);
        let episode = self
            .destinations
            .entry((src, dst), cx.time, Episode::default);
        if !episode.note(port, Some(flow.id), cx.time, window.nanos(), count) {
            return;
        }
        let draft = port_draft(episode, cx, src, Some(dst), count, window.secs());
        episode.close(cx.time, window.nanos());
        cx.raise(draft);
        let across = self.sources.entry(src, cx.time, Across::default);
        across.explained_until = cx.time.plus_nanos(window.nanos());
    }

    /// A TCP connection attempt that failed counts towards a port scan across destinations:
    /// a scan mostly knocks on closed ports, while a busy client's connections succeed.
    fn failed_attempt(&mut self, end: &FlowEnd, cx: &mut Context<'_>) {
        let flow = &end.context;
        let (src, dst, port) = (flow.client.0, flow.server.0, flow.server.1);
        if !end.conn_state.is_some_and(|s| FAILED_ATTEMPTS.contains(&s))
            || is_group(dst)
            || self.marks.is_scanner(src)
        {
            return;
        }
        let (count, window) = (self.port.ports.get(), self.port.window_secs);
        let across = self.sources.entry(src, cx.time, Across::default);
        if !across
            .ports
            .note(port, Some(flow.id), cx.time, window.nanos(), count)
        {
            return;
        }
        if cx.time >= across.explained_until {
            let draft = port_draft(&across.ports, cx, src, None, count, window.secs());
            cx.raise(
                draft
                    .discriminator("across_destinations")
                    .evidence("failed_attempts_only", true),
            );
        }
        across.ports.close(cx.time, window.nanos());
    }

    fn record(&mut self, origin: &Origin, record: &Record<'_>, cx: &mut Context<'_>) {
        let Some((src, dst)) = request_sides(origin, record) else {
            return;
        };
        if self.is_scanner(src) {
            return;
        }
        let flow = super::flow_of(origin);
        let unit = unit_of(record);
        if record.activity == Some(Activity::Identify) {
            let target = Target { device: dst, unit };
            self.identify_request(src, target, record.protocol, flow, cx);
        }
        if let Some(unit) = unit {
            self.unit_request(src, dst, unit, record.protocol, flow, cx);
        }
    }

    fn identify_request(
        &mut self,
        src: Host,
        target: Target,
        protocol: &str,
        flow: Option<u64>,
        cx: &mut Context<'_>,
    ) {
        let (count, window) = (self.ot.identify_targets.get(), self.ot.window_secs);
        let episode = self.identify.entry(src, cx.time, Episode::default);
        if !episode.note(target, flow, cx.time, window.nanos(), count) {
            return;
        }
        let mut draft = AlertDraft::new(
            &OT_SCAN,
            cx.time,
            format!(
                "{src} asked {count} industrial devices who they are within {} s ({protocol} and others)",
                window.secs()
            ),
        )
        .between(Some(src.endpoint()), None)
        .protocol(protocol)
        .discriminator("identify")
        .evidence("targets", count as u64)
        .evidence("window_seconds", window.secs())
        .evidence("first_targets", first_targets(episode.targets()));
        draft = with_flows(draft, episode.flows());
        episode.close(cx.time, window.nanos());
        cx.raise(draft);
    }

    fn unit_request(
        &mut self,
        src: Host,
        dst: Host,
        unit: u64,
        protocol: &str,
        flow: Option<u64>,
        cx: &mut Context<'_>,
    ) {
        let (count, window) = (self.ot.unit_ids.get(), self.ot.window_secs);
        let hint = flow.and_then(|f| self.unit_slots.get(f));
        let (slot, episode) = self
            .units
            .entry_hinted(hint, (src, dst), cx.time, Episode::default);
        if let Some(f) = flow
            && hint != Some(slot)
        {
            self.unit_slots.insert(f, slot);
        }
        if !episode.note(unit, flow, cx.time, window.nanos(), count) {
            return;
        }
        let mut draft = AlertDraft::new(
            &OT_SCAN,
            cx.time,
            format!(
                "{src} addressed {count} {protocol} unit ids on {dst} within {} s",
                window.secs()
            ),
        )
        .between(Some(src.endpoint()), Some(dst.endpoint()))
        .protocol(protocol)
        .discriminator("unit_sweep")
        .evidence("unit_ids", count as u64)
        .evidence("window_seconds", window.secs())
        .evidence("first_targets", first_targets(episode.targets()));
        draft = with_flows(draft, episode.flows());
        episode.close(cx.time, window.nanos());
        cx.raise(draft);
    }
}

fn host(ip: IpAddr) -> Endpoint {
    Host::Ip(ip).endpoint()
}

fn port_draft(
    episode: &Episode<u16>,
    cx: &Context<'_>,
    src: IpAddr,
    dst: Option<IpAddr>,
    count: usize,
    window: u64,
) -> AlertDraft {
    let on = dst.map_or("its destinations".to_string(), |d| d.to_string());
    let mut draft = AlertDraft::new(
        &PORT_SCAN,
        cx.time,
        format!("{src} reached {count} ports on {on} within {window} s"),
    )
    .between(Some(host(src)), dst.map(host))
    .evidence("ports", count as u64)
    .evidence("window_seconds", window)
    .evidence("first_targets", first_targets(episode.targets()));
    draft = with_flows(draft, episode.flows());
    draft
}

impl Detector for Scans {
    fn interest(&self) -> Interest {
        Interest::FLOW_STARTS
            .and(Interest::FLOW_ENDS)
            .and(Interest::RECORDS)
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        match observation {
            Observation::FlowStart(flow) => self.flow_start(flow, cx),
            Observation::FlowEnd(end) => self.failed_attempt(end, cx),
            Observation::Event {
                origin,
                event: rampart_event::Event::Record(record),
            } => self.record(origin, record, cx),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_event::{Fields, FrameContext, Mac, Value};

    use super::*;
    use crate::Mode;
    use crate::anomaly::testing::{Run, flow, ip, ms, secs};

    fn scans(marks: Marks) -> Run<Scans> {
        Run::new(
            Scans::new(&AnomalyConfig::default(), &marks),
            Mode::Learning,
        )
    }

    fn start(run: &mut Run<Scans>, time: rampart_event::Timestamp, f: &FlowContext) {
        run.observe(time, &Observation::FlowStart(f));
    }

    /// `n` flows from 10.0.0.9 to distinct addresses of 10.1.0.0/16, `gap_ms` apart.
    fn sweep(run: &mut Run<Scans>, n: u64, gap_ms: u64) {
        for i in 0..n {
            let dst = format!("10.1.{}.{}", i / 200, i % 200 + 1);
            start(run, ms(i * gap_ms), &flow(i + 1, "10.0.0.9", &dst, 502));
        }
    }

    #[test]
    fn forty_nine_destinations_are_not_an_address_scan() {
        let mut run = scans(Marks::default());
        sweep(&mut run, 49, 100);
        assert!(run.take().is_empty());
    }

    #[test]
    fn fifty_destinations_in_a_slash_16_are_one_address_scan() {
        let mut run = scans(Marks::default());
        sweep(&mut run, 50, 100);
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        let d = &drafts[0];
        assert_eq!(d.rule.id, "anomaly.address_scan");
        assert_eq!(d.source.and_then(|s| s.ip), Some(ip("10.0.0.9")));
        assert_eq!(d.discriminator, "10.1.0.0/16");
        assert_eq!(d.evidence["destinations"], 50);
        assert_eq!(d.evidence["window_seconds"], 120);
        assert_eq!(d.evidence["first_targets"][0], "10.1.0.1");
        assert_eq!(
            d.evidence["first_targets"].as_array().map(Vec::len),
            Some(10)
        );
        assert_eq!(d.flows, (43..=50).collect::<Vec<u64>>());
    }

    #[test]
    fn fifty_destinations_spread_over_more_than_two_minutes_are_not_a_scan() {
        let mut run = scans(Marks::default());
        // 2.5 s apart: 50 flows span 122.5 s, and never 50 within 120 s.
        sweep(&mut run, 50, 2500);
        assert!(run.take().is_empty());
    }

    #[test]
    fn a_long_scan_raises_once_per_window() {
        let mut run = scans(Marks::default());
        // 700 destinations over almost 6 minutes: raised at 24.5 s, then quiet for a window,
        // raised again at 169 s and at 313.5 s.
        sweep(&mut run, 700, 500);
        let ids = run.take_ids();
        assert_eq!(
            ids.iter().filter(|i| **i == "anomaly.address_scan").count(),
            3
        );
    }

    #[test]
    fn destinations_in_other_networks_count_apart_and_groups_not_at_all() {
        let mut run = scans(Marks::default());
        for i in 0..30u64 {
            start(
                &mut run,
                ms(i),
                &flow(i, "10.0.0.9", &format!("10.1.0.{}", i + 1), 80),
            );
            start(
                &mut run,
                ms(i),
                &flow(i, "10.0.0.9", &format!("10.2.0.{}", i + 1), 80),
            );
            start(
                &mut run,
                ms(i),
                &flow(i, "10.0.0.9", &format!("239.0.0.{}", i + 1), 80),
            );
        }
        start(
            &mut run,
            ms(40),
            &flow(99, "10.0.0.9", "255.255.255.255", 80),
        );
        assert!(run.take().is_empty());
    }

    #[test]
    fn marked_scanners_raise_no_scan() {
        let marks = Marks {
            scanners: vec!["10.0.0.0/24".parse().expect("net")],
            ..Marks::default()
        };
        let mut run = scans(marks);
        sweep(&mut run, 100, 10);
        for port in 1..100 {
            start(
                &mut run,
                ms(port.into()),
                &flow(port.into(), "10.0.0.9", "10.1.0.1", port),
            );
        }
        assert!(run.take().is_empty());
    }

    #[test]
    fn twenty_five_ports_on_one_destination_are_one_port_scan() {
        let mut run = scans(Marks::default());
        for port in 1..=24 {
            start(
                &mut run,
                ms(u64::from(port)),
                &flow(port.into(), "10.0.0.9", "10.1.0.1", port),
            );
        }
        // The same port again adds nothing.
        start(&mut run, ms(30), &flow(30, "10.0.0.9", "10.1.0.1", 24));
        assert!(run.take().is_empty());
        start(&mut run, ms(31), &flow(31, "10.0.0.9", "10.1.0.1", 25));
        let drafts = run.take();
        assert_eq!(
            drafts.len(),
            1,
            "the vertical scan explains the ports across destinations"
        );
        assert_eq!(drafts[0].rule.id, "anomaly.port_scan");
        assert_eq!(
            drafts[0].destination.and_then(|d| d.ip),
            Some(ip("10.1.0.1"))
        );
        assert_eq!(drafts[0].evidence["ports"], 25);
    }

    fn ended(flow: FlowContext, state: &'static str) -> FlowEnd {
        FlowEnd {
            context: flow,
            start: secs(0),
            end: secs(0),
            packets: [1, 1],
            bytes: [60, 60],
            conn_state: Some(state),
        }
    }

    #[test]
    fn twenty_five_refused_ports_across_destinations_are_a_port_scan_without_one_destination() {
        let mut run = scans(Marks::default());
        for port in 1..=25u16 {
            let f = flow(
                port.into(),
                "10.0.0.9",
                &format!("10.1.0.{}", port % 5 + 1),
                port,
            );
            run.observe(secs(port.into()), &Observation::FlowStart(&f));
            let state = if port % 2 == 0 { "REJ" } else { "S0" };
            if port == 25 {
                assert!(run.take().is_empty(), "five ports on each destination");
            }
            run.observe(secs(port.into()), &Observation::FlowEnd(&ended(f, state)));
        }
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].discriminator, "across_destinations");
        assert_eq!(drafts[0].destination, None);
    }

    #[test]
    fn a_client_reaching_many_services_that_answer_is_no_port_scan() {
        let mut run = scans(Marks::default());
        for port in 1..=60u16 {
            let f = flow(
                port.into(),
                "10.0.0.9",
                &format!("10.1.0.{}", port % 5 + 1),
                port,
            );
            run.observe(secs(port.into()), &Observation::FlowStart(&f));
            run.observe(secs(port.into()), &Observation::FlowEnd(&ended(f, "SF")));
        }
        assert!(run.take().is_empty());
    }

    #[test]
    fn a_vertical_scan_is_not_raised_again_across_destinations() {
        let mut run = scans(Marks::default());
        for port in 1..=40u16 {
            let f = flow(port.into(), "10.0.0.9", "10.1.0.1", port);
            run.observe(secs(port.into()), &Observation::FlowStart(&f));
            run.observe(secs(port.into()), &Observation::FlowEnd(&ended(f, "REJ")));
        }
        assert_eq!(run.take_ids(), vec!["anomaly.port_scan"]);
    }

    #[test]
    fn twenty_five_ports_over_more_than_two_minutes_are_not_a_port_scan() {
        let mut run = scans(Marks::default());
        for port in 1..=25u16 {
            start(
                &mut run,
                secs(u64::from(port) * 5),
                &flow(port.into(), "10.0.0.9", "10.1.0.1", port),
            );
        }
        assert!(run.take().is_empty());
    }

    /// A Modbus request of `kind` to `unit` on `server`, in flow `id` from 10.0.0.9.
    fn modbus(
        run: &mut Run<Scans>,
        time: rampart_event::Timestamp,
        (id, server): (u64, &str),
        unit: u64,
        (kind, activity): (&str, Activity),
    ) {
        let fields = [("unit_id", Value::U64(unit))];
        let record = Record {
            protocol: "modbus",
            kind,
            direction: None,
            activity: Some(activity),
            fields: Fields(&fields),
        };
        let origin = Origin::Flow(flow(id, "10.0.0.9", server, 502));
        run.record(time, &origin, record);
    }

    fn identify(run: &mut Run<Scans>, time: rampart_event::Timestamp, server: &str, unit: u64) {
        let kind = ("encapsulated_interface_transport", Activity::Identify);
        modbus(run, time, (7, server), unit, kind);
    }

    /// A read of `unit` on `server` in flow `id`, at `unit` seconds.
    fn read(run: &mut Run<Scans>, id: u64, server: &str, unit: u64) {
        let kind = ("read_holding_registers", Activity::Read);
        modbus(run, secs(unit), (id, server), unit, kind);
    }

    #[test]
    fn ten_identity_requests_to_distinct_devices_are_an_ot_scan() {
        let mut run = scans(Marks::default());
        for i in 0..9u64 {
            identify(&mut run, secs(i), &format!("10.1.0.{}", i + 1), 1);
            identify(&mut run, secs(i), &format!("10.1.0.{}", i + 1), 1);
        }
        assert!(run.take().is_empty(), "nine targets, asked twice each");
        identify(&mut run, secs(10), "10.1.0.10", 1);
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.ot_scan");
        assert_eq!(drafts[0].discriminator, "identify");
        assert_eq!(drafts[0].rule.techniques, &["T0846", "T0888"]);
    }

    #[test]
    fn a_sweep_of_ten_unit_ids_on_one_gateway_is_an_ot_scan() {
        let mut run = scans(Marks::default());
        for unit in 1..=10u64 {
            read(&mut run, 7, "10.1.0.1", unit);
            if unit == 9 {
                assert!(run.take().is_empty());
            }
        }
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].discriminator, "unit_sweep");
        assert_eq!(
            drafts[0].destination.and_then(|d| d.ip),
            Some(ip("10.1.0.1"))
        );
    }

    #[test]
    fn a_flow_that_moves_to_another_pair_sweeps_that_pair() {
        let mut run = scans(Marks::default());
        // Flow 7 reads nine units of one gateway, then (its id taken again) nine others of
        // a second: neither pair has ten, whatever slot the flow remembered.
        for unit in 1..=9 {
            read(&mut run, 7, "10.1.0.1", unit);
        }
        for unit in 10..=18 {
            read(&mut run, 7, "10.1.0.2", unit);
        }
        assert!(run.take().is_empty());
        read(&mut run, 7 + RECENT_FLOWS as u64, "10.1.0.2", 19);
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(
            drafts[0].destination.and_then(|d| d.ip),
            Some(ip("10.1.0.2"))
        );
    }

    #[test]
    fn link_layer_identify_requests_count_by_mac() {
        let mut run = scans(Marks::default());
        let record = Record {
            protocol: "profinet_dcp",
            kind: "identify",
            direction: Some(rampart_event::Direction::ToServer),
            activity: Some(Activity::Identify),
            fields: Fields(&[]),
        };
        for i in 0..10u8 {
            let origin = Origin::Frame(FrameContext {
                src: Mac([0, 0x0c, 0x29, 0, 0, 1]),
                dst: Mac([0, 0x1b, 0x1b, 0, 0, i]),
                vlan: 0,
            });
            run.record(secs(u64::from(i)), &origin, record);
        }
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(
            drafts[0].source.and_then(|s| s.mac),
            Some(Mac([0, 0x0c, 0x29, 0, 0, 1]))
        );
    }
}
