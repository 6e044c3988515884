//! ARP: scans (one host asking for many addresses), spoofing (an address claimed by a
//! second MAC while the first still uses it) and gratuitous floods, from the `arp` records
//! the ARP dissector emits (`sender_mac`, `sender_ip`, `target_ip`, `gratuitous`, `probe`).
//!
//! Bindings are learned only from ARP itself: the MAC of a flow's remote side is often a
//! router's, so flows would bind every remote address to the router. Tables are bounded by
//! `max_tracked` hosts or addresses.

use std::net::IpAddr;

use rampart_event::{Event, Mac, Record, Timestamp, Value};

use super::config::{AnomalyConfig, ArpScan, ArpSpoofing, GratuitousArpFlood};
use super::window::{Burst, Episode, Tracked};
use super::{ARP_SCAN, ARP_SPOOFING, GRATUITOUS_ARP_FLOOD, field_bool, first_targets};
use crate::alert::{AlertDraft, AlertKey, Endpoint};
use crate::config::Marks;
use crate::{Context, Detector, Interest, Observation};

/// What one ARP message says.
#[derive(Debug, Clone, Copy)]
struct Message {
    request: bool,
    sender_mac: Mac,
    sender_ip: Option<IpAddr>,
    target_ip: Option<IpAddr>,
    gratuitous: bool,
}

impl Message {
    fn read(record: &Record<'_>) -> Option<Message> {
        if record.protocol != "arp" {
            return None;
        }
        let request = match record.kind {
            "request" => true,
            "reply" => false,
            _ => return None,
        };
        let ip = |name| match crate::facts::field(&record.fields, name) {
            Some(Value::Ip(ip)) if !ip.is_unspecified() => Some(ip),
            _ => None,
        };
        let Some(Value::Mac(sender_mac)) = crate::facts::field(&record.fields, "sender_mac") else {
            return None;
        };
        Some(Message {
            request,
            sender_mac,
            sender_ip: ip("sender_ip"),
            target_ip: ip("target_ip"),
            gratuitous: field_bool(&record.fields, "gratuitous") == Some(true),
        })
    }
}

/// Who holds an address, and the two MACs of the first conflict over it (holder, claimant),
/// so flip-flops between the same two MACs are one alert counted again.
#[derive(Debug, Clone, Copy)]
struct Binding {
    mac: Mac,
    last: Timestamp,
    conflict: Option<[Mac; 2]>,
}

/// ARP scans, spoofing and gratuitous floods.
#[derive(Debug)]
pub struct Arp {
    scan: ArpScan,
    spoofing: ArpSpoofing,
    flood: GratuitousArpFlood,
    marks: Marks,
    askers: Tracked<Mac, Episode<IpAddr>>,
    bindings: Tracked<IpAddr, Binding>,
    announcers: Tracked<Mac, Burst>,
}

impl Arp {
    /// ARP detection with these thresholds; hosts whose sender address is a marked scanner
    /// raise no ARP scan.
    pub fn new(config: &AnomalyConfig, marks: &Marks) -> Arp {
        let cap = config.max_tracked.get();
        Arp {
            scan: config.arp_scan,
            spoofing: config.arp_spoofing,
            flood: config.gratuitous_arp_flood,
            marks: marks.clone(),
            askers: Tracked::new(cap),
            bindings: Tracked::new(cap),
            announcers: Tracked::new(cap),
        }
    }

    fn message(&mut self, m: Message, cx: &mut Context<'_>) {
        if m.request && !m.gratuitous {
            self.request(m, cx);
        }
        if m.gratuitous {
            self.gratuitous(m, cx);
        }
        if let Some(ip) = m.sender_ip {
            self.claim(ip, m.sender_mac, cx);
        }
    }

    fn request(&mut self, m: Message, cx: &mut Context<'_>) {
        let Some(target) = m.target_ip else {
            return;
        };
        if m.sender_ip.is_some_and(|ip| self.marks.is_scanner(ip)) {
            return;
        }
        let (count, window) = (self.scan.targets.get(), self.scan.window_secs);
        let episode = self.askers.entry(m.sender_mac, cx.time, Episode::default);
        if !episode.note(target, None, cx.time, window.nanos(), count) {
            return;
        }
        let source = Endpoint {
            ip: m.sender_ip,
            mac: Some(m.sender_mac),
            port: None,
        };
        let draft = AlertDraft::new(
            &ARP_SCAN,
            cx.time,
            format!(
                "{} asked ARP for {count} addresses within {} s",
                m.sender_mac,
                window.secs()
            ),
        )
        .between(Some(source), None)
        .protocol("arp")
        .evidence("targets", count as u64)
        .evidence("window_seconds", window.secs())
        .evidence("first_targets", first_targets(episode.targets()));
        episode.close(cx.time, window.nanos());
        cx.raise(draft);
    }

    fn gratuitous(&mut self, m: Message, cx: &mut Context<'_>) {
        let (count, window) = (self.flood.count.get(), self.flood.window_secs);
        let flood = self.announcers.entry(m.sender_mac, cx.time, Burst::default);
        if !flood.note(None, cx.time, window.nanos(), count) {
            return;
        }
        flood.close(cx.time, window.nanos());
        let source = Endpoint {
            ip: m.sender_ip,
            mac: Some(m.sender_mac),
            port: None,
        };
        cx.raise(
            AlertDraft::new(
                &GRATUITOUS_ARP_FLOOD,
                cx.time,
                format!(
                    "{} sent {count} gratuitous ARPs within {} s",
                    m.sender_mac,
                    window.secs()
                ),
            )
            .between(Some(source), None)
            .protocol("arp")
            .evidence("count", count as u64)
            .evidence("window_seconds", window.secs()),
        );
    }

    fn claim(&mut self, ip: IpAddr, mac: Mac, cx: &mut Context<'_>) {
        let active = self.spoofing.active_secs;
        let binding = self.bindings.entry(ip, cx.time, || Binding {
            mac,
            last: cx.time,
            conflict: None,
        });
        if binding.mac == mac {
            binding.last = cx.time;
            return;
        }
        let holder = binding.mac;
        let still_active = cx.time.nanos_since(binding.last) < active.nanos();
        let pair = match binding.conflict {
            Some(p) if p.contains(&holder) && p.contains(&mac) => p,
            _ => [holder, mac],
        };
        *binding = Binding {
            mac,
            last: cx.time,
            conflict: still_active.then_some(pair),
        };
        if !still_active {
            return;
        }
        let [first, second] = pair;
        let side = |mac| Endpoint {
            ip: Some(ip),
            mac: Some(mac),
            port: None,
        };
        let key = AlertKey {
            rule: &ARP_SPOOFING,
            source: Some(side(second)),
            destination: Some(side(first)),
            discriminator: &[],
        };
        // Every occurrence has the same evidence keys: a flip-flop of an open pair is counted.
        if cx.repeat(&key, ARP_SPOOFING.severity, None) {
            return;
        }
        cx.raise(
            key.draft(
                cx.time,
                format!(
                    "{ip} is claimed by {mac} while {holder} claimed it less than {} s ago",
                    active.secs()
                ),
            )
            .protocol("arp")
            .evidence("address", ip.to_string())
            .evidence("first_mac", first.to_string())
            .evidence("second_mac", second.to_string())
            .evidence("claimed_by", mac.to_string())
            .evidence("active_seconds", active.secs()),
        );
    }
}

impl Detector for Arp {
    fn interest(&self) -> Interest {
        Interest::RECORDS.of_protocols(&["arp"])
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        if let Observation::Event {
            event: Event::Record(record),
            ..
        } = observation
            && let Some(m) = Message::read(record)
        {
            self.message(m, cx);
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_event::{Fields, FrameContext, Origin};

    use super::*;
    use crate::Mode;
    use crate::anomaly::testing::{Run, ip, ms, secs};

    const ATTACKER: Mac = Mac([0x02, 0, 0, 0, 0, 0x66]);
    const GATEWAY: Mac = Mac([0x00, 0x1b, 0x1b, 0, 0, 1]);

    fn arp() -> Run<Arp> {
        Run::new(
            Arp::new(&AnomalyConfig::default(), &Marks::default()),
            Mode::Learning,
        )
    }

    fn send(run: &mut Run<Arp>, time: Timestamp, kind: &str, mac: Mac, sender: &str, target: &str) {
        let (s, t) = (ip(sender), ip(target));
        let fields = [
            ("sender_mac", Value::Mac(mac)),
            ("sender_ip", Value::Ip(s)),
            ("target_ip", Value::Ip(t)),
            ("gratuitous", Value::Bool(s == t)),
        ];
        let record = Record {
            protocol: "arp",
            kind,
            direction: None,
            activity: None,
            fields: Fields(&fields),
        };
        let origin = Origin::Frame(FrameContext {
            src: mac,
            dst: Mac::BROADCAST,
            vlan: 0,
        });
        run.record(time, &origin, record);
    }

    /// `mac` answers that it has `sender`.
    fn reply(run: &mut Run<Arp>, at: u64, mac: Mac, sender: &str) {
        send(run, secs(at), "reply", mac, sender, "192.168.1.5");
    }

    /// `mac` announces `own`.
    fn gratuitous(run: &mut Run<Arp>, at: u64, mac: Mac, own: &str) {
        send(run, secs(at), "request", mac, own, own);
    }

    #[test]
    fn fifty_addresses_asked_for_are_one_arp_scan_and_forty_nine_are_none() {
        let mut run = arp();
        for i in 0..49u64 {
            let target = format!("192.168.1.{}", i + 10);
            send(
                &mut run,
                ms(i * 100),
                "request",
                ATTACKER,
                "192.168.1.5",
                &target,
            );
        }
        assert!(run.take().is_empty());
        send(
            &mut run,
            ms(4900),
            "request",
            ATTACKER,
            "192.168.1.5",
            "192.168.1.200",
        );
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.arp_scan");
        assert_eq!(drafts[0].source.and_then(|s| s.mac), Some(ATTACKER));
        assert_eq!(drafts[0].evidence["targets"], 50);
    }

    #[test]
    fn fifty_addresses_over_more_than_two_minutes_are_no_arp_scan() {
        let mut run = arp();
        for i in 0..50u64 {
            let target = format!("192.168.1.{}", i + 10);
            send(
                &mut run,
                ms(i * 2500),
                "request",
                ATTACKER,
                "192.168.1.5",
                &target,
            );
        }
        assert!(run.take().is_empty());
    }

    #[test]
    fn an_address_claimed_by_a_second_mac_while_the_first_is_active_is_spoofing() {
        let mut run = arp();
        reply(&mut run, 0, GATEWAY, "192.168.1.1");
        reply(&mut run, 10, GATEWAY, "192.168.1.1");
        assert!(run.take().is_empty());
        reply(&mut run, 20, ATTACKER, "192.168.1.1");
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        let d = &drafts[0];
        assert_eq!(d.rule.id, "anomaly.arp_spoofing");
        assert_eq!(d.rule.techniques, &["T0830"]);
        assert_eq!(d.evidence["first_mac"], GATEWAY.to_string());
        assert_eq!(d.evidence["second_mac"], ATTACKER.to_string());
        assert_eq!(d.source.and_then(|s| s.mac), Some(ATTACKER));
        assert_eq!(d.destination.and_then(|s| s.mac), Some(GATEWAY));
        // The gateway answers again: the same two MACs, the same alert, counted again.
        reply(&mut run, 21, GATEWAY, "192.168.1.1");
        let again = run.take();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].alert_id(), d.alert_id());
        assert_eq!(again[0].evidence["claimed_by"], GATEWAY.to_string());
    }

    #[test]
    fn an_address_that_moved_after_its_holder_went_quiet_is_no_spoofing() {
        let mut run = arp();
        reply(&mut run, 0, GATEWAY, "192.168.1.1");
        reply(&mut run, 300, ATTACKER, "192.168.1.1");
        assert!(run.take().is_empty());
        reply(&mut run, 301, ATTACKER, "192.168.1.1");
        assert!(run.take().is_empty());
    }

    #[test]
    fn thirty_gratuitous_arps_in_a_minute_are_a_flood() {
        let mut run = arp();
        for i in 0..29u64 {
            gratuitous(&mut run, i * 2, ATTACKER, "192.168.1.1");
        }
        // The attacker's gratuitous claims also conflict with nobody: it holds the address.
        assert!(run.take().is_empty());
        gratuitous(&mut run, 58, ATTACKER, "192.168.1.1");
        assert_eq!(run.take_ids(), vec!["anomaly.gratuitous_arp_flood"]);
        // Still flooding in the same window: no second alert.
        gratuitous(&mut run, 59, ATTACKER, "192.168.1.1");
        assert!(run.take().is_empty());
    }

    #[test]
    fn gratuitous_arps_are_not_counted_as_scan_targets() {
        let mut run = arp();
        for i in 0..60u64 {
            let own = format!("192.168.1.{}", i + 1);
            let mac = Mac([0, 0x1b, 0x1b, 0, 1, i as u8]);
            send(&mut run, ms(i), "request", mac, &own, &own);
        }
        assert!(run.take().is_empty());
    }
}
