//! Where events go once a dissector says them: counters, the inventory, and the record sink.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rampart_detect::{Detection, Observation};
use rampart_event::{Activity, Event, EventSink, Mac, Subject, Timestamp, Value};
use rampart_inventory::{Address, Inventory, Tally};

use crate::records::{EventRecord, Origin, RecordSink, subject_address};
use crate::stats::{Stats, same_name};

/// Anomaly events of one (protocol, code) written to the sink; the rest are only counted, so a
/// capture full of one malformation cannot flood the outputs.
pub const ANOMALY_EVENTS_PER_KIND: u64 = 1000;
/// Distinct endpoint addresses remembered for the report.
const MAX_ENDPOINTS: usize = 262_144;

/// Addresses seen in the capture, for the report and the oracle tests.
#[derive(Debug, Default)]
pub struct Endpoints {
    /// IP addresses (sources and destinations).
    pub ips: HashSet<IpAddr, ahash::RandomState>,
    /// MAC addresses (sources and destinations).
    pub macs: HashSet<Mac, ahash::RandomState>,
}

impl Endpoints {
    /// Remember an IP address.
    pub fn ip(&mut self, ip: IpAddr) {
        if self.ips.len() < MAX_ENDPOINTS {
            self.ips.insert(ip);
        }
    }

    /// Remember a MAC address.
    pub fn mac(&mut self, mac: Option<Mac>) {
        if let Some(mac) = mac
            && self.macs.len() < MAX_ENDPOINTS
        {
            self.macs.insert(mac);
        }
    }
}

/// The consumers of events, grouped so the flow table's callbacks can borrow them together.
pub struct Outputs {
    /// Run counters.
    pub stats: Stats,
    /// The inventory.
    pub inventory: Inventory,
    /// Records out.
    pub sink: Box<dyn RecordSink>,
    /// Addresses seen.
    pub endpoints: Endpoints,
    /// Alert engines, when detection is on.
    pub detection: Option<Detection>,
    /// Activities of live flows, not yet in the inventory.
    pub activities: ActivityTallies,
}

impl Outputs {
    /// Route one event.
    pub fn route(&mut self, origin: &Origin, time: Timestamp, event: &Event<'_>) {
        if let Some(detection) = &mut self.detection {
            detection.observe(time, &Observation::Event { origin, event });
        }
        match event {
            Event::Record(r) => {
                self.stats.record(r.protocol);
                if let Some(activity) = r.activity {
                    self.stats.actions.count(activity);
                    match origin {
                        Origin::Flow(flow) => self.activities.count(
                            &mut self.inventory,
                            (flow.id, origin),
                            activity,
                            r.protocol,
                            time,
                        ),
                        _ => {
                            let (client, server) = parties(origin);
                            self.inventory
                                .observe_activity(client, server, activity, r.protocol, time)
                        }
                    }
                }
                if same_name(r.protocol, "arp") {
                    let new = self.arp_binding(
                        r.fields.get("sender_ip"),
                        r.fields.get("sender_mac"),
                        time,
                    );
                    // A request that binds nothing new is the network's background hum.
                    if r.kind == "request" && !new {
                        return;
                    }
                }
            }
            Event::Identity(i) => {
                self.stats.identities += 1;
                let (ip, mac) = subject_address(origin, i.subject);
                if let (Some(ip), Some(mac), rampart_event::Subject::Host { .. }) =
                    (ip, mac, i.subject)
                {
                    self.inventory.observe_binding(ip, mac, time);
                }
                let new = self.inventory.observe_identity(
                    Address { ip, mac },
                    i.attribute,
                    i.value,
                    i.protocol,
                    i.confidence,
                    time,
                );
                // Written once per device, value and source; repeats only count.
                if !new {
                    return;
                }
            }
            Event::Anomaly(a) => {
                if self.stats.anomaly(a.protocol, a.code) > ANOMALY_EVENTS_PER_KIND {
                    self.stats.anomaly_events_suppressed += 1;
                    return;
                }
            }
            Event::Module(module) => {
                self.stats.modules += 1;
                let (ip, mac) = subject_address(origin, module.subject);
                let info = rampart_inventory::ModuleInfo {
                    rack: module.rack,
                    slot: module.slot,
                    kind: module.kind.to_string(),
                    model: module.model.to_string(),
                    order_number: module.order_number.to_string(),
                    firmware: module.firmware.to_string(),
                    hardware: module.hardware.to_string(),
                    serial: module.serial.to_string(),
                    protocol: module.protocol.to_string(),
                };
                self.inventory
                    .observe_module(Address { ip, mac }, &info, time);
            }
            Event::Finding(f) => {
                self.stats.findings += 1;
                let (ip, mac) = subject_address(origin, f.subject);
                let detail = finding_detail(f.fields.0);
                self.inventory.observe_finding(
                    Address { ip, mac },
                    f.kind,
                    f.protocol,
                    &detail,
                    time,
                );
            }
        }
        self.sink.event(&EventRecord {
            time,
            origin,
            event,
        });
    }

    /// Record the address binding an ARP message states. ARP is the one protocol whose purpose
    /// is to bind addresses, so the engine reads its two fields rather than every dissector
    /// growing a binding event.
    fn arp_binding(
        &mut self,
        ip: Option<Value<'_>>,
        mac: Option<Value<'_>>,
        time: Timestamp,
    ) -> bool {
        match (ip, mac) {
            (Some(Value::Ip(ip)), Some(Value::Mac(mac))) => {
                self.inventory.observe_binding(ip, mac, time)
            }
            _ => false,
        }
    }
}

/// Distinct (activity, protocol) pairs tallied per flow; more go to the inventory directly.
const ACTIVITIES_PER_FLOW: usize = 16;

/// One activity counted over a flow.
struct FlowActivity {
    activity: Activity,
    protocol: String,
    parties: (Address, Address),
    tally: Tally,
}

/// Activities counted per live flow and handed to the inventory when the flow ends: a
/// flow's thousand reads are one inventory update rather than a thousand. Bounded by the
/// flow table (entries of ended flows are removed) times [`ACTIVITIES_PER_FLOW`].
#[derive(Default)]
pub struct ActivityTallies {
    flows: HashMap<u64, Vec<FlowActivity>, ahash::RandomState>,
}

impl ActivityTallies {
    /// Count one message of `activity` on flow `flow` (whose parties `origin` tells, looked
    /// up only when the activity is new to the flow).
    fn count(
        &mut self,
        inventory: &mut Inventory,
        (flow, origin): (u64, &Origin),
        activity: Activity,
        protocol: &str,
        time: Timestamp,
    ) {
        let list = self.flows.entry(flow).or_default();
        if let Some(known) = list
            .iter_mut()
            .find(|a| a.activity == activity && same_name(&a.protocol, protocol))
        {
            known.tally.count += 1;
            known.tally.last = known.tally.last.max(time);
            known.tally.first = known.tally.first.min(time);
            return;
        }
        let parties = parties(origin);
        if list.len() >= ACTIVITIES_PER_FLOW {
            inventory.observe_activity(parties.0, parties.1, activity, protocol, time);
            return;
        }
        list.push(FlowActivity {
            activity,
            protocol: protocol.to_string(),
            parties,
            tally: Tally {
                count: 1,
                first: time,
                last: time,
            },
        });
    }

    /// Hand a flow's tallies to the inventory; called when the flow ends.
    pub fn flush(&mut self, inventory: &mut Inventory, flow: u64) {
        for a in self.flows.remove(&flow).unwrap_or_default() {
            inventory.observe_activities(
                a.parties.0,
                a.parties.1,
                a.activity,
                &a.protocol,
                a.tally,
            );
        }
    }
}

/// The requesting and the responding side of where an event came from: a flow's client and
/// server, a frame's sender and receiver.
fn parties(origin: &Origin) -> (Address, Address) {
    let side = |subject| {
        let (ip, mac) = subject_address(origin, subject);
        Address { ip, mac }
    };
    (side(Subject::Client), side(Subject::Server))
}

/// Fields that tell where a credential was used rather than what it was: kept in the finding
/// events, left out of the device's summary so one credential is one line however often used.
const PER_USE_FIELDS: [&str; 2] = ["uri", "host"];

/// Summarise a finding's fields on one line (`user=admin mechanism=basic`).
fn finding_detail(fields: &[(&str, Value<'_>)]) -> String {
    let mut out = String::new();
    for (name, value) in fields.iter().filter(|(n, _)| !PER_USE_FIELDS.contains(n)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(name);
        out.push('=');
        match value {
            Value::Str(s) => out.push_str(s),
            other => {
                out.push_str(&serde_json::to_string(other).unwrap_or_else(|e| format!("<{e}>")))
            }
        }
    }
    out
}

/// An [`EventSink`] for one packet's worth of events, with the packet's origin and time.
pub struct Emitter<'o> {
    /// The consumers.
    pub outputs: &'o mut Outputs,
    /// Where the packet came from.
    pub origin: Origin,
    /// When.
    pub time: Timestamp,
}

impl EventSink for Emitter<'_> {
    fn emit(&mut self, event: Event<'_>) {
        self.outputs.route(&self.origin, self.time, &event);
    }
}
