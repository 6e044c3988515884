//! Run counters: what was read, decoded, tracked and reported, for the summary and stats.json.

use std::collections::BTreeMap;

use rampart_event::{Activity, Timestamp};
use rampart_flow::TableStats;
use rampart_inventory::InventoryStats;
use rampart_packet::DefragStats;
use serde::Serialize;

/// Per-layer packet counters, kept in a fixed array so counting costs no hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Layer {
    /// Ethernet II / 802.3 frames.
    Ethernet,
    /// 802.1Q-tagged frames.
    Vlan,
    /// IPv4 packets.
    Ipv4,
    /// IPv6 packets.
    Ipv6,
    /// TCP segments.
    Tcp,
    /// UDP datagrams.
    Udp,
    /// ICMP messages.
    Icmp,
    /// ICMPv6 messages.
    Icmpv6,
    /// Other IP protocols.
    OtherIp,
    /// IP fragments.
    Fragment,
}

const LAYERS: [(&str, Layer); 10] = [
    ("eth", Layer::Ethernet),
    ("vlan", Layer::Vlan),
    ("ip", Layer::Ipv4),
    ("ipv6", Layer::Ipv6),
    ("tcp", Layer::Tcp),
    ("udp", Layer::Udp),
    ("icmp", Layer::Icmp),
    ("icmpv6", Layer::Icmpv6),
    ("ip_other", Layer::OtherIp),
    ("ip_fragment", Layer::Fragment),
];

/// Flows and packets of one application protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ProtocolCount {
    /// Flows (or frames, for link-layer protocols).
    pub flows: u64,
    /// Packets.
    pub packets: u64,
}

/// Counters by protocol name, in a short list found through a small cache keyed by the
/// address of the name: counts of several protocols interleave, and protocol names are the
/// dissectors' constants, so the address finds the entry where a search compared names.
/// The cache only points at an entry; the name is still compared. Written as a sorted map.
#[derive(Debug, Clone)]
pub struct NameCounts<V> {
    counts: Vec<(String, V)>,
    /// Entry index plus one, by a hash of the name's address (0: empty).
    recent: [u32; RECENT_SLOTS],
}

impl<V> Default for NameCounts<V> {
    fn default() -> Self {
        NameCounts {
            counts: Vec::new(),
            recent: [0; RECENT_SLOTS],
        }
    }
}

/// Records per protocol.
pub type RecordCounts = NameCounts<u64>;

/// Tell whether two protocol names are equal, comparing short ones as words: names are a few
/// bytes long and compared for every record, where a call to `memcmp` cost more than the
/// comparison.
#[inline]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_ne_bytes(w)
    };
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=8 => word(a, 0) == word(b, 0) && word(a, n - 4) == word(b, n - 4),
        _ => a == b,
    }
}

/// Slots of [`NameCounts`]' cache: about the number of protocols a capture carries.
const RECENT_SLOTS: usize = 32;

impl<V: Default> NameCounts<V> {
    /// The counter of `protocol`, made at zero when it is new.
    #[inline]
    pub fn entry(&mut self, protocol: &str) -> &mut V {
        let address = protocol.as_ptr() as usize;
        let slot = (address ^ (address >> 7) ^ (address >> 13)) % RECENT_SLOTS;
        let at = match (self.recent[slot] as usize).checked_sub(1) {
            Some(at)
                if self
                    .counts
                    .get(at)
                    .is_some_and(|(n, _)| same_name(n, protocol)) =>
            {
                at
            }
            _ => self.find_or_insert(protocol, slot),
        };
        &mut self.counts[at].1
    }

    /// The search behind a cache miss: find or add `protocol` and point `slot` at it.
    #[cold]
    #[inline(never)]
    fn find_or_insert(&mut self, protocol: &str, slot: usize) -> usize {
        let at = match self.counts.iter().position(|(name, _)| name == protocol) {
            Some(at) => at,
            None => {
                self.counts.push((protocol.to_string(), V::default()));
                self.counts.len() - 1
            }
        };
        self.recent[slot] = u32::try_from(at + 1).unwrap_or(0);
        at
    }
}

impl<V> NameCounts<V> {
    /// Return the counter of `protocol`, if it was counted.
    pub fn get(&self, protocol: &str) -> Option<&V> {
        self.counts
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, n)| n)
    }

    /// Tell whether `protocol` was counted.
    pub fn contains_key(&self, protocol: &str) -> bool {
        self.get(protocol).is_some()
    }

    /// Tell whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Return the protocols and their counters, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> + '_ {
        self.counts.iter().map(|(name, n)| (name.as_str(), n))
    }
}

impl RecordCounts {
    /// Count one record of `protocol`.
    pub fn count(&mut self, protocol: &str) {
        *self.entry(protocol) += 1;
    }
}

impl std::ops::Index<&str> for RecordCounts {
    type Output = u64;

    fn index(&self, protocol: &str) -> &u64 {
        self.get(protocol).unwrap_or(&0)
    }
}

/// Anomaly codes of a protocol, which must have been counted (as a map's index panics).
impl std::ops::Index<&str> for NameCounts<RecordCounts> {
    type Output = RecordCounts;

    fn index(&self, protocol: &str) -> &RecordCounts {
        self.get(protocol)
            .unwrap_or_else(|| panic!("no anomaly of {protocol} was counted"))
    }
}

impl<V: Serialize> Serialize for NameCounts<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().collect::<BTreeMap<_, _>>())
    }
}

/// Records per activity, in an array indexed by the activity: counted for every record, so
/// without hashing. Written as a map from the activity's name, sorted, zeros left out.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionCounts([u64; Activity::ALL.len()]);

impl ActionCounts {
    /// Count one record of `activity`.
    pub fn count(&mut self, activity: Activity) {
        if let Some(n) = self.0.get_mut(activity as usize) {
            *n += 1;
        }
    }

    /// Return how many records of `activity` were counted.
    pub fn get(&self, activity: Activity) -> u64 {
        self.0.get(activity as usize).copied().unwrap_or(0)
    }
}

impl Serialize for ActionCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let named: BTreeMap<&str, u64> = Activity::ALL
            .iter()
            .map(|&a| (a.as_str(), self.get(a)))
            .filter(|&(_, n)| n > 0)
            .collect();
        s.collect_map(named)
    }
}

/// Everything counted during a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Packets read.
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// Time of the first packet.
    pub first_packet: Option<Timestamp>,
    /// Time of the last packet.
    pub last_packet: Option<Timestamp>,
    /// Packets per layer.
    #[serde(serialize_with = "serialize_layers")]
    pub layers: [u64; 10],
    /// Application and link-layer protocols seen.
    pub protocols: NameCounts<ProtocolCount>,
    /// Frames whose decoding stopped early, by `layer.code`.
    pub decode_problems: BTreeMap<String, u64>,
    /// Protocol anomalies, by protocol then code.
    pub anomalies: NameCounts<RecordCounts>,
    /// Protocol records emitted, by protocol.
    pub records: RecordCounts,
    /// Identity observations emitted.
    pub identities: u64,
    /// Findings emitted.
    pub findings: u64,
    /// Module descriptions emitted.
    pub modules: u64,
    /// Protocol records by the activity they perform (`read`, `program_download`, …).
    pub actions: ActionCounts,
    /// Anomaly events counted but not written because their kind was over the write limit.
    pub anomaly_events_suppressed: u64,
    /// Flow table counters.
    #[serde(serialize_with = "serialize_table")]
    pub flows: TableStats,
    /// IP reassembly counters.
    #[serde(serialize_with = "serialize_defrag")]
    pub reassembly: DefragStats,
    /// Inventory counters.
    #[serde(serialize_with = "serialize_inventory")]
    pub inventory: InventoryStats,
    /// Capture file errors.
    pub capture_errors: u64,
    /// What each protocol loaded at run time (a WebAssembly plugin) did.
    pub plugins: Vec<rampart_dissect::PluginReport>,
}

impl Stats {
    /// Count a packet of a layer.
    pub fn layer(&mut self, layer: Layer) {
        self.layers[layer as usize] += 1;
    }

    /// Return the packet count of a layer.
    pub fn layer_count(&self, layer: Layer) -> u64 {
        self.layers[layer as usize]
    }

    /// Add to an application or link-layer protocol's counts.
    pub fn protocol(&mut self, name: &str, flows: u64, packets: u64) {
        let count = self.protocols.entry(name);
        count.flows += flows;
        count.packets += packets;
    }

    /// Count an anomaly; return how many of its kind were seen, this one included.
    pub fn anomaly(&mut self, protocol: &str, code: &str) -> u64 {
        let n = self.anomalies.entry(protocol).entry(code);
        *n += 1;
        *n
    }

    /// Count a protocol record.
    pub fn record(&mut self, protocol: &str) {
        self.records.count(protocol);
    }

    /// Return the total number of anomalies.
    pub fn anomaly_total(&self) -> u64 {
        self.anomalies
            .iter()
            .flat_map(|(_, codes)| codes.iter())
            .map(|(_, &n)| n)
            .sum()
    }
}

fn serialize_layers<S: serde::Serializer>(layers: &[u64; 10], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(None)?;
    for (name, layer) in LAYERS {
        m.serialize_entry(name, &layers[layer as usize])?;
    }
    m.end()
}

fn serialize_table<S: serde::Serializer>(t: &TableStats, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(4))?;
    m.serialize_entry("created", &t.created)?;
    m.serialize_entry("evicted", &t.evicted)?;
    m.serialize_entry("timed_out", &t.timed_out)?;
    m.serialize_entry("peak", &t.peak)?;
    m.end()
}

fn serialize_defrag<S: serde::Serializer>(d: &DefragStats, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(5))?;
    m.serialize_entry("fragments", &d.fragments)?;
    m.serialize_entry("reassembled", &d.reassembled)?;
    m.serialize_entry("overlaps", &d.overlaps)?;
    m.serialize_entry("abandoned", &d.abandoned)?;
    m.serialize_entry("oversized", &d.oversized)?;
    m.end()
}

fn serialize_inventory<S: serde::Serializer>(i: &InventoryStats, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(2))?;
    m.serialize_entry("addresses_dropped", &i.addresses_dropped)?;
    m.serialize_entry("conversations_dropped", &i.conversations_dropped)?;
    m.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_activity_in_its_own_slot_and_writes_names_sorted() {
        let mut counts = ActionCounts::default();
        for (i, &a) in Activity::ALL.iter().enumerate() {
            for _ in 0..=i {
                counts.count(a);
            }
        }
        for (i, &a) in Activity::ALL.iter().enumerate() {
            assert_eq!(counts.get(a), i as u64 + 1, "{a:?}");
        }
        let mut one = ActionCounts::default();
        one.count(Activity::Write);
        one.count(Activity::Read);
        one.count(Activity::Write);
        let json = serde_json::to_string(&one).expect("serialises");
        assert_eq!(json, r#"{"read":1,"write":2}"#);
    }

    #[test]
    fn counts_records_by_protocol_in_runs_and_interleaved_and_writes_them_sorted() {
        let mut records = RecordCounts::default();
        for protocol in ["modbus", "modbus", "arp", "modbus", "s7comm", "arp", "arp"] {
            records.count(protocol);
        }
        assert_eq!(records["modbus"], 3);
        assert_eq!(records["arp"], 3);
        assert_eq!(records.get("s7comm"), Some(&1));
        assert_eq!(records.get("dnp3"), None);
        let json = serde_json::to_string(&records).expect("serialises");
        assert_eq!(json, r#"{"arp":3,"modbus":3,"s7comm":1}"#);
    }

    #[test]
    fn adds_flows_and_packets_per_protocol_and_writes_them_sorted() {
        let mut stats = Stats::default();
        stats.protocol("tcp", 1, 10);
        stats.protocol("arp", 1, 1);
        stats.protocol("tcp", 2, 5);
        let tcp = stats.protocols.get("tcp").copied();
        assert_eq!(
            tcp,
            Some(ProtocolCount {
                flows: 3,
                packets: 15
            })
        );
        assert!(stats.protocols.contains_key("arp") && !stats.protocols.contains_key("udp"));
        let json = serde_json::to_string(&stats.protocols).expect("serialises");
        assert_eq!(
            json,
            r#"{"arp":{"flows":1,"packets":1},"tcp":{"flows":3,"packets":15}}"#
        );
    }

    #[test]
    fn counts_anomalies_by_protocol_and_code_and_writes_them_sorted() {
        let mut stats = Stats::default();
        assert!(stats.anomalies.is_empty());
        assert_eq!(stats.anomaly("arp", "nonzero_padding"), 1);
        assert_eq!(stats.anomaly("modbus", "bad_length"), 1);
        assert_eq!(stats.anomaly("arp", "nonzero_padding"), 2);
        assert_eq!(stats.anomaly("arp", "bad_header"), 1);
        assert_eq!(stats.anomalies["arp"]["nonzero_padding"], 2);
        assert_eq!(stats.anomaly_total(), 4);
        let json = serde_json::to_string(&stats.anomalies).expect("serialises");
        assert_eq!(
            json,
            r#"{"arp":{"bad_header":1,"nonzero_padding":2},"modbus":{"bad_length":1}}"#
        );
    }

    #[test]
    fn compares_names_of_every_length_like_strings_do() {
        let names = [
            "",
            "a",
            "ab",
            "arp",
            "arq",
            "enip",
            "dnp3",
            "dnp4",
            "modbus",
            "modbut",
            "s7comm",
            "bacnet",
            "profinet",
            "profinex",
            "s7commplus",
            "s7commpluz",
            "cip_io",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_name(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn counts_two_names_kept_at_one_address_apart() {
        let mut records = RecordCounts::default();
        let mut name = String::with_capacity(8);
        for protocol in ["modbus", "bacnet", "modbus"] {
            name.clear();
            name.push_str(protocol);
            records.count(&name);
        }
        assert_eq!(records["modbus"], 2);
        assert_eq!(records["bacnet"], 1);
    }
}
