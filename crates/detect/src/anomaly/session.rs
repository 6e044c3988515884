//! Excessive sessions: new flows one source opens per window, counted at their first packet.
//! The table is bounded by `max_tracked` sources, each by the threshold's count of times.

use std::net::IpAddr;

use rampart_event::FlowContext;

use super::config::{AnomalyConfig, ExcessiveSessions};
use super::window::{Burst, Distinct, Tracked};
use super::{EXCESSIVE_SESSIONS, with_flows};
use crate::alert::{AlertDraft, Endpoint};
use crate::{Context, Detector, Interest, Observation};

/// Sessions of one source.
#[derive(Debug, Default)]
struct Opened {
    sessions: Burst,
    peers: Distinct<IpAddr>,
}

/// Peers named in the evidence of an excessive-sessions alert.
const PEERS_KEPT: usize = 10;

/// Excessive sessions from one source.
#[derive(Debug)]
pub struct Sessions {
    limit: ExcessiveSessions,
    sources: Tracked<IpAddr, Opened>,
}

impl Sessions {
    /// Session counting with this threshold.
    pub fn new(config: &AnomalyConfig) -> Sessions {
        Sessions {
            limit: config.excessive_sessions,
            sources: Tracked::new(config.max_tracked.get()),
        }
    }

    fn opened(&mut self, flow: &FlowContext, cx: &mut Context<'_>) {
        let src = flow.client.0;
        let (count, window) = (self.limit.sessions.get(), self.limit.window_secs);
        let o = self.sources.entry(src, cx.time, Opened::default);
        if o.sessions.is_quiet(cx.time) {
            return;
        }
        o.peers
            .insert(flow.server.0, cx.time, window.nanos(), PEERS_KEPT);
        if !o
            .sessions
            .note(Some(flow.id), cx.time, window.nanos(), count)
        {
            return;
        }
        let mut draft = AlertDraft::new(
            &EXCESSIVE_SESSIONS,
            cx.time,
            format!("{src} opened {count} sessions within {} s", window.secs()),
        )
        .between(
            Some(Endpoint {
                ip: Some(src),
                mac: flow.client_mac,
                port: None,
            }),
            None,
        )
        .evidence("sessions", count as u64)
        .evidence("window_seconds", window.secs())
        .evidence("recent_peers", super::first_targets(o.peers.items()));
        draft = with_flows(draft, o.sessions.flows());
        o.sessions.close(cx.time, window.nanos());
        o.peers.clear();
        cx.raise(draft);
    }
}

impl Detector for Sessions {
    fn interest(&self) -> Interest {
        Interest::FLOW_STARTS
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        if let Observation::FlowStart(flow) = observation {
            self.opened(flow, cx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mode;
    use crate::anomaly::testing::{Run, flow, ms};

    fn open(run: &mut Run<Sessions>, n: u64, gap_ms: u64) {
        for i in 0..n {
            run.observe(
                ms(i * gap_ms),
                &Observation::FlowStart(&flow(i, "10.0.0.7", "10.0.0.1", 80)),
            );
        }
    }

    #[test]
    fn ninety_nine_sessions_in_a_minute_are_nothing_and_a_hundred_are_one_alert() {
        let mut run = Run::new(Sessions::new(&AnomalyConfig::default()), Mode::Learning);
        open(&mut run, 99, 500);
        assert!(run.take().is_empty());
        run.observe(
            ms(49_600),
            &Observation::FlowStart(&flow(100, "10.0.0.7", "10.0.0.2", 80)),
        );
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.excessive_sessions");
        assert_eq!(drafts[0].evidence["sessions"], 100);
        assert_eq!(
            drafts[0].evidence["recent_peers"].as_array().map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn a_hundred_sessions_over_more_than_a_minute_are_nothing() {
        let mut run = Run::new(Sessions::new(&AnomalyConfig::default()), Mode::Monitoring);
        open(&mut run, 100, 700);
        assert!(run.take().is_empty());
    }
}
