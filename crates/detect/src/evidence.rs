//! The evidence ring: the most recent packets, each tagged with its flow, so an alert can
//! carry a PCAP of the packets that triggered it.
//!
//! One ring for the whole engine rather than one per flow: a fixed byte budget (no allocation
//! once full, no per-flow buffers that 100 000 idle flows would multiply) that still gives
//! each flow its own recent history, since an alert asks for its flows' packets only. The
//! packets of a flow that has been quiet for a long time may have been overwritten; an alert
//! is raised while its packets are fresh, and its PCAP is cut at that moment.

use std::collections::{HashMap, VecDeque};

use rampart_event::Timestamp;

/// Bytes kept of one packet; the rest of a jumbo frame is cut, as a snap length would.
pub const SNAP_LEN: usize = 4096;
/// Packets one alert's PCAP holds at most (the most recent of its flows).
pub const PCAP_PACKETS: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Position in the sequence of all packets kept.
    seq: u64,
    /// The previous packet of the same flow, by `seq`.
    prev: Option<u64>,
    flow: u64,
    time: Timestamp,
    link_type: u16,
    wire_len: u32,
    start: usize,
    len: usize,
    /// In its flow's chain yet: the newest packet joins one when its flow is known (or the
    /// next packet arrives without one having been given), so a packet is linked once.
    linked: bool,
    /// A later packet of its flow links to it: evicting it leaves the chain's head alone,
    /// which spares a lookup per evicted packet.
    followed: bool,
}

/// A ring of recent packets under a byte budget.
#[derive(Debug)]
pub struct PacketRing {
    data: Vec<u8>,
    entries: VecDeque<Entry>,
    max_entries: usize,
    head: usize,
    next_seq: u64,
    /// The newest packet of each flow in the ring: the head of its chain of `prev` links, so
    /// an alert's packets are found without scanning the ring.
    newest: HashMap<u64, u64, ahash::RandomState>,
}

/// The flow tag of a packet that belongs to no flow (ARP, LLDP, GOOSE); flow ids count
/// from zero, so the tag is the one id the flow table never reaches.
pub const NO_FLOW: u64 = u64::MAX;

impl PacketRing {
    /// A ring of `bytes` bytes (at least one full snap length) and at most `bytes / 64`
    /// packets. Zero makes a ring that keeps nothing.
    pub fn new(bytes: usize) -> PacketRing {
        let bytes = if bytes == 0 { 0 } else { bytes.max(SNAP_LEN) };
        let max_entries = bytes / 64;
        PacketRing {
            data: vec![0; bytes],
            entries: VecDeque::with_capacity(max_entries),
            max_entries,
            head: 0,
            next_seq: 0,
            newest: HashMap::default(),
        }
    }

    /// Drop the oldest packet.
    fn evict(&mut self) {
        if let Some(old) = self.entries.pop_front()
            && old.linked
            && !old.followed
            && self.newest.get(&old.flow) == Some(&old.seq)
        {
            self.newest.remove(&old.flow);
        }
    }

    /// Keep a packet, not yet known to belong to a flow.
    pub fn push(&mut self, time: Timestamp, link_type: u16, data: &[u8], wire_len: u32) {
        if self.max_entries == 0 {
            return;
        }
        self.link_last();
        let len = data.len().min(SNAP_LEN);
        if self.head + len > self.data.len() {
            // Wrap: the packets still in the tail end are the oldest; drop them.
            while self.entries.front().is_some_and(|f| f.start >= self.head) {
                self.evict();
            }
            self.head = 0;
        }
        let (p, end) = (self.head, self.head + len);
        while self
            .entries
            .front()
            .is_some_and(|f| f.start >= p && f.start < end)
        {
            self.evict();
        }
        if self.entries.len() == self.max_entries {
            self.evict();
        }
        self.data[p..end].copy_from_slice(&data[..len]);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push_back(Entry {
            seq,
            prev: None,
            flow: NO_FLOW,
            time,
            link_type,
            wire_len,
            start: p,
            len,
            linked: false,
            followed: false,
        });
        self.head = end;
    }

    /// Put the newest packet in its flow's chain, if it is not there yet.
    fn link_last(&mut self) {
        let Some(last) = self.entries.back_mut() else {
            return;
        };
        if last.linked {
            return;
        }
        last.linked = true;
        let (seq, flow) = (last.seq, last.flow);
        let prev = self.newest.insert(flow, seq);
        self.set_followed(prev, true);
        if let Some(last) = self.entries.back_mut() {
            last.prev = prev;
        }
    }

    /// Mark the packet `seq` (when still kept) as followed by a later one of its flow.
    fn set_followed(&mut self, seq: Option<u64>, followed: bool) {
        if let Some(i) = seq.and_then(|seq| self.index(seq))
            && let Some(e) = self.entries.get_mut(i)
        {
            e.followed = followed;
        }
    }

    /// Tag the last packet kept with its flow.
    pub fn tag_last(&mut self, flow: u64) {
        let Some(last) = self.entries.back_mut() else {
            return;
        };
        if last.flow == flow {
            return;
        }
        if last.linked {
            // Unlink it from the chain it heads; it joins its flow's below.
            let (old, prev) = (last.flow, last.prev);
            last.linked = false;
            match prev {
                Some(prev) => self.newest.insert(old, prev),
                None => self.newest.remove(&old),
            };
            self.set_followed(prev, false);
        }
        if let Some(last) = self.entries.back_mut() {
            last.flow = flow;
        }
        self.link_last();
    }

    /// Where the kept packet with sequence number `seq` is, if it is still in the ring.
    fn index(&self, seq: u64) -> Option<usize> {
        let first = self.entries.front()?.seq;
        usize::try_from(seq.checked_sub(first)?).ok()
    }

    /// The kept packet with sequence number `seq`, if it is still in the ring.
    fn at(&self, seq: u64) -> Option<&Entry> {
        self.entries.get(self.index(seq)?)
    }

    /// The newest packets (at most [`PCAP_PACKETS`]) of `flow`, newest first.
    fn chain(&self, flow: u64) -> impl Iterator<Item = &Entry> {
        let mut next = self.newest.get(&flow).copied();
        std::iter::from_fn(move || {
            let e = self.at(next?)?;
            next = e.prev;
            (e.flow == flow).then_some(e)
        })
        .take(PCAP_PACKETS)
    }

    /// Packets kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A PCAP file of the most recent packets (at most [`PCAP_PACKETS`]) of `flows`, or of
    /// the packets without a flow when `flows` is empty; `None` when none are left. Packets of
    /// another link type than the most recent one are left out (a PCAP has one).
    pub fn pcap(&mut self, flows: &[u64]) -> Option<Vec<u8>> {
        self.link_last();
        let wanted: &[u64] = if flows.is_empty() { &[NO_FLOW] } else { flows };
        let mut picked: Vec<&Entry> = wanted.iter().flat_map(|&f| self.chain(f)).collect();
        picked.sort_by_key(|e| e.seq);
        let link_type = picked.last()?.link_type;
        picked.retain(|e| e.link_type == link_type);
        let skip = picked.len().saturating_sub(PCAP_PACKETS);
        let picked = &picked[skip..];
        let mut out = pcap_header(link_type);
        for e in picked {
            append_record(&mut out, e, &self.data[e.start..e.start + e.len]);
        }
        Some(out)
    }
}

/// A classic little-endian PCAP header with nanosecond timestamps.
fn pcap_header(link_type: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + PCAP_PACKETS * 128);
    out.extend_from_slice(&0xa1b2_3c4d_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(SNAP_LEN as u32).to_le_bytes());
    out.extend_from_slice(&u32::from(link_type).to_le_bytes());
    out
}

fn append_record(out: &mut Vec<u8>, e: &Entry, bytes: &[u8]) {
    let secs = u32::try_from(e.time.secs()).unwrap_or(u32::MAX);
    out.extend_from_slice(&secs.to_le_bytes());
    out.extend_from_slice(&e.time.subsec_nanos().to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&e.wire_len.max(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(pcap: &[u8]) -> Vec<(u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 24;
        while at + 16 <= pcap.len() {
            let secs = u32::from_le_bytes(pcap[at..at + 4].try_into().expect("4"));
            let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().expect("4")) as usize;
            out.push((secs, pcap[at + 16..at + 16 + len].to_vec()));
            at += 16 + len;
        }
        out
    }

    #[test]
    fn a_flows_recent_packets_come_back_in_order() {
        let mut ring = PacketRing::new(1 << 16);
        for i in 0..10u8 {
            ring.push(Timestamp::from_parts(u64::from(i), 0), 1, &[i; 60], 60);
            ring.tag_last(if i % 2 == 0 { 7 } else { 9 });
        }
        let pcap = ring.pcap(&[7]).expect("packets of flow 7");
        assert_eq!(&pcap[..4], &0xa1b2_3c4d_u32.to_le_bytes());
        let got = packets(&pcap);
        assert_eq!(
            got.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![0, 2, 4, 6, 8]
        );
        assert!(got.iter().all(|(s, d)| d == &vec![*s as u8; 60]));
        assert!(ring.pcap(&[3]).is_none());
    }

    #[test]
    fn packets_without_a_flow_keep_their_own_chain() {
        let mut ring = PacketRing::new(1 << 16);
        for i in 0..12u8 {
            ring.push(Timestamp::from_parts(u64::from(i), 0), 1, &[i; 60], 60);
            if i % 3 != 0 {
                ring.tag_last(5);
            }
        }
        let none: Vec<u32> = packets(&ring.pcap(&[]).expect("ARP-like packets"))
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(none, vec![0, 3, 6, 9]);
        assert_eq!(packets(&ring.pcap(&[5]).expect("flow 5")).len(), 8);
    }

    #[test]
    fn a_packet_tagged_again_moves_to_its_new_flow() {
        let mut ring = PacketRing::new(1 << 16);
        for i in 0..4u8 {
            ring.push(Timestamp::from_parts(u64::from(i), 0), 1, &[i; 60], 60);
            ring.tag_last(5);
        }
        ring.tag_last(6);
        let secs = |ring: &mut PacketRing, flow| -> Vec<u32> {
            packets(&ring.pcap(&[flow]).expect("packets"))
                .iter()
                .map(|p| p.0)
                .collect()
        };
        assert_eq!(secs(&mut ring, 5), vec![0, 1, 2]);
        assert_eq!(secs(&mut ring, 6), vec![3]);
        // The chain of flow 5 still reaches back after its newest packet left it.
        ring.push(Timestamp::from_parts(9, 0), 1, &[9; 60], 60);
        ring.tag_last(5);
        assert_eq!(secs(&mut ring, 5), vec![0, 1, 2, 9]);
    }

    #[test]
    fn the_byte_budget_holds_and_old_packets_go_first() {
        let mut ring = PacketRing::new(SNAP_LEN);
        for i in 0..1000u32 {
            let data = vec![(i % 251) as u8; 100 + (i as usize % 300)];
            ring.push(Timestamp::from_parts(u64::from(i), 0), 1, &data, 9000);
            ring.tag_last(1);
            // Every kept packet is intact: its bytes were not overwritten by a later one.
            for e in &ring.entries {
                let secs = e.time.secs() as u32;
                assert!(
                    ring.data[e.start..e.start + e.len]
                        .iter()
                        .all(|&b| b == (secs % 251) as u8)
                );
            }
        }
        assert!(ring.data.len() == SNAP_LEN);
        let got = packets(&ring.pcap(&[1]).expect("recent packets"));
        assert_eq!(got.last().map(|p| p.0), Some(999));
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn jumbo_frames_are_cut_and_an_empty_ring_keeps_nothing() {
        let mut ring = PacketRing::new(1 << 20);
        ring.push(Timestamp(0), 1, &vec![1; 9000], 9000);
        let got = packets(&ring.pcap(&[]).expect("no-flow packet"));
        assert_eq!(got[0].1.len(), SNAP_LEN);
        let mut none = PacketRing::new(0);
        none.push(Timestamp(0), 1, &[1; 60], 60);
        assert!(none.is_empty() && none.pcap(&[]).is_none());
    }
}
