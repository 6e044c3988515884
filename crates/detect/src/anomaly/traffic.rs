//! Traffic spikes: bytes per edge (pair of devices, either direction) per minute of capture
//! time, against the edge's running baseline, an exponentially weighted mean of its past
//! minutes (idle minutes count as zero). Bytes are counted per packet, so a spike inside a
//! long-lived connection is seen in the minute it happens, not when the connection ends.
//!
//! A minute above `factor` times the baseline and above `floor_bytes` raises, once per edge
//! and minute, in monitoring mode, once the edge has `learn_minutes` of history. The baseline
//! keeps adapting in both modes. Bounds: `max_tracked` flows (flow to edge) and edges.

use std::net::IpAddr;

use rampart_event::FlowContext;

use super::config::{AnomalyConfig, TrafficSpike};
use super::window::{LastFlows, Tracked};
use super::{TRAFFIC_SPIKE, with_flows};
use crate::alert::{AlertDraft, Endpoint};
use crate::flow_slots::FlowSlots;
use crate::{Context, Detector, Interest, Mode, Observation};

/// Weight of the newest minute in the baseline: about ten minutes of memory.
const ALPHA: f64 = 0.1;
/// Idle minutes folded into a baseline at most at once; after that it is as good as zero.
const MAX_IDLE_MINUTES: u64 = 600;

/// A pair of devices, the lower address first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edge(IpAddr, IpAddr);

/// Hashed as two numbers (see [`crate::hash_ip`]): the edge is probed for every packet.
impl std::hash::Hash for Edge {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        crate::hash_ip(self.0, state);
        crate::hash_ip(self.1, state);
    }
}

fn edge_of(flow: &FlowContext) -> Edge {
    let (a, b) = (flow.client.0, flow.server.0);
    if a <= b { Edge(a, b) } else { Edge(b, a) }
}

/// One edge's volume: the current minute and the baseline of the ones before.
#[derive(Debug, Default)]
struct Volume {
    minute: u64,
    bytes: u64,
    baseline: f64,
    minutes: u64,
    raised: bool,
    flows: LastFlows,
}

impl Volume {
    /// Move to `minute`, folding the minute that ended and the idle ones since into the
    /// baseline.
    fn roll(&mut self, minute: u64) {
        if minute <= self.minute {
            return;
        }
        self.baseline = if self.minutes == 0 {
            self.bytes as f64
        } else {
            ALPHA * self.bytes as f64 + (1.0 - ALPHA) * self.baseline
        };
        let idle = (minute - self.minute - 1).min(MAX_IDLE_MINUTES);
        self.baseline *= (1.0 - ALPHA).powi(idle as i32);
        self.minutes += 1 + idle;
        self.minute = minute;
        self.bytes = 0;
        self.raised = false;
    }
}

/// A flow's edge, with the slot of the edge's volume in the edges table (checked on use: the
/// edge may have been evicted and tracked again elsewhere since).
#[derive(Debug, Clone, Copy)]
struct FlowEdge {
    edge: Edge,
    volume: usize,
}

/// Flows whose slot in the flows table is remembered by flow id, so that most packets find
/// their flow and its edge without hashing.
const RECENT_FLOWS: usize = 4096;

/// Traffic spikes between devices.
#[derive(Debug)]
pub struct Traffic {
    limit: TrafficSpike,
    flows: Tracked<u64, FlowEdge>,
    edges: Tracked<Edge, Volume>,
    /// The slot of recent flows in `flows`.
    recent: FlowSlots<usize>,
}

impl Traffic {
    /// Spike detection with these settings.
    pub fn new(config: &AnomalyConfig) -> Traffic {
        let cap = config.max_tracked.get();
        Traffic {
            limit: config.traffic_spike,
            flows: Tracked::new(cap),
            edges: Tracked::new(cap),
            recent: FlowSlots::new(RECENT_FLOWS),
        }
    }

    /// Count a packet of `flow` into its edge's minute. The common case (an edge under its
    /// floor, or raised already this minute) is the whole of it; weighing a spike and
    /// raising it are left to [`Traffic::spike`].
    fn bytes(&mut self, flow: u64, wire_len: u32, cx: &mut Context<'_>) {
        let now = cx.time;
        let hint = self.recent.get(flow);
        let Some((slot, link)) = self.flows.touch_hinted(hint, &flow, now) else {
            return;
        };
        if hint != Some(slot) {
            self.recent.insert(flow, slot);
        }
        let Some((volume, v)) = self.edges.touch_hinted(Some(link.volume), &link.edge, now) else {
            return;
        };
        link.volume = volume;
        v.roll(now.secs() / 60);
        v.bytes += u64::from(wire_len);
        v.flows.push(Some(flow));
        if !v.raised && v.bytes >= self.limit.floor_bytes {
            Traffic::spike(self.limit, link.edge, v, cx);
        }
    }

    /// Raise a spike on `edge` when its minute so far, at or above the floor and not raised
    /// yet, is one.
    #[cold]
    #[inline(never)]
    fn spike(limit: TrafficSpike, edge: Edge, v: &mut Volume, cx: &mut Context<'_>) {
        let spike = v.bytes as f64 > limit.factor.get() * v.baseline;
        if !spike || cx.mode != Mode::Monitoring || v.minutes < limit.learn_minutes.get() as u64 {
            return;
        }
        v.raised = true;
        let side = |ip| Endpoint {
            ip: Some(ip),
            ..Endpoint::default()
        };
        let mut draft = AlertDraft::new(
            &TRAFFIC_SPIKE,
            cx.time,
            format!(
                "{} and {} exchanged {} bytes this minute against a baseline of {:.0} per minute",
                edge.0, edge.1, v.bytes, v.baseline
            ),
        )
        .between(Some(side(edge.0)), Some(side(edge.1)))
        .evidence("bytes", v.bytes)
        .evidence("baseline_bytes_per_minute", v.baseline.round())
        .evidence("factor", limit.factor.get())
        .evidence("floor_bytes", limit.floor_bytes);
        draft = with_flows(draft, v.flows.ids());
        cx.raise(draft);
    }
}

impl Detector for Traffic {
    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        match observation {
            Observation::FlowStart(flow) => {
                let edge = edge_of(flow);
                let minute = cx.time.secs() / 60;
                let (volume, _) = self.edges.entry_at(edge, cx.time, || Volume {
                    minute,
                    ..Volume::default()
                });
                let link = FlowEdge { edge, volume };
                *self.flows.entry(flow.id, cx.time, || link) = link;
            }
            Observation::FlowEnd(end) => {
                self.flows.remove(&end.context.id);
            }
            Observation::Event { .. } => {}
        }
    }

    fn interest(&self) -> Interest {
        Interest::FLOW_STARTS
            .and(Interest::FLOW_ENDS)
            .and(Interest::PACKETS)
    }

    fn packet(&mut self, flow: u64, wire_len: u32, cx: &mut Context<'_>) {
        self.bytes(flow, wire_len, cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::testing::{Run, flow, secs};

    /// An edge with 10 kB a minute for `minutes` minutes, starting at 0 s.
    fn steady(run: &mut Run<Traffic>, minutes: u64) {
        run.observe(
            secs(0),
            &Observation::FlowStart(&flow(1, "10.0.0.2", "10.0.0.1", 502)),
        );
        for m in 0..minutes {
            for s in 0..10 {
                run.packet(secs(m * 60 + s * 6), 1, 1000);
            }
        }
    }

    #[test]
    fn a_minute_far_above_the_baseline_is_a_spike_once() {
        let mut run = Run::new(Traffic::new(&AnomalyConfig::default()), Mode::Monitoring);
        steady(&mut run, 12);
        assert!(run.take().is_empty());
        // Minute 12: 1 MB in 1000-byte packets; the alert comes with the byte that crosses.
        for i in 0..1200 {
            run.packet(secs(12 * 60 + i / 30), 1, 1000);
            if i == 998 {
                assert!(run.take().is_empty(), "under the floor");
            }
        }
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.traffic_spike");
        assert_eq!(drafts[0].evidence["bytes"], 1_000_000);
        assert_eq!(drafts[0].evidence["baseline_bytes_per_minute"], 10_000.0);
        assert_eq!(drafts[0].flows, vec![1]);
    }

    #[test]
    fn no_spike_while_learning_or_before_the_baseline_is_trusted() {
        let mut learning = Run::new(Traffic::new(&AnomalyConfig::default()), Mode::Learning);
        steady(&mut learning, 12);
        for i in 0..2000 {
            learning.packet(secs(12 * 60 + i / 40), 1, 1000);
        }
        assert!(learning.take().is_empty());
        let mut young = Run::new(Traffic::new(&AnomalyConfig::default()), Mode::Monitoring);
        steady(&mut young, 5);
        for i in 0..2000 {
            young.packet(secs(5 * 60 + i / 40), 1, 1000);
        }
        assert!(young.take().is_empty(), "five minutes of history");
    }

    #[test]
    fn a_heavy_edge_is_not_a_spike_at_its_usual_volume() {
        let mut run = Run::new(Traffic::new(&AnomalyConfig::default()), Mode::Monitoring);
        run.observe(
            secs(0),
            &Observation::FlowStart(&flow(1, "10.0.0.2", "10.0.0.1", 445)),
        );
        for m in 0..20 {
            for i in 0..3000 {
                run.packet(secs(m * 60 + i / 60), 1, 1000);
            }
        }
        assert!(
            run.take().is_empty(),
            "3 MB every minute is this edge's normal"
        );
    }

    #[test]
    fn packets_of_an_ended_flow_count_no_more() {
        let mut run = Run::new(Traffic::new(&AnomalyConfig::default()), Mode::Monitoring);
        steady(&mut run, 12);
        let end = crate::FlowEnd {
            context: flow(1, "10.0.0.2", "10.0.0.1", 502),
            start: secs(0),
            end: secs(720),
            packets: [0, 0],
            bytes: [0, 0],
            conn_state: None,
        };
        run.observe(secs(720), &Observation::FlowEnd(&end));
        for i in 0..2000 {
            run.packet(secs(12 * 60 + i / 40), 1, 1000);
        }
        assert!(run.take().is_empty());
    }

    #[test]
    fn detection_hands_every_packet_of_a_flow_to_the_spike_detector() {
        let config = AnomalyConfig::default();
        let mut detection = crate::Detection::new(
            crate::Learning::Off,
            vec![Box::new(Traffic::new(&config))],
            0,
        );
        let f = flow(1, "10.0.0.2", "10.0.0.1", 502);
        let packet = |detection: &mut crate::Detection, at: rampart_event::Timestamp| {
            detection.packet(at, 1, &[0; 60], 1000, None);
            detection.packet_flow(1);
        };
        // As the engine does: the first packet is tagged with its flow before the flow starts.
        packet(&mut detection, secs(0));
        detection.observe(secs(0), &Observation::FlowStart(&f));
        for m in 0..12 {
            for s in 0..10 {
                packet(&mut detection, secs(m * 60 + s * 6));
            }
        }
        assert!(detection.book().alerts().is_empty());
        for i in 0..1000 {
            packet(&mut detection, secs(12 * 60 + i / 30));
        }
        let rules: Vec<&str> = detection.book().alerts().iter().map(|a| a.rule).collect();
        assert_eq!(rules, ["anomaly.traffic_spike"]);
    }
}
