//! The evidence ring: the most recent packets, each tagged with its flow, so an alert can
//! carry a PCAP of the packets that triggered it.
//!
//! One ring for the whole engine rather than one per flow: a fixed byte budget (no allocation
//! once full, no per-flow buffers that 100 000 idle flows would multiply) that still gives
//! each flow its own recent history, since an alert asks for its flows' packets only. The
//! packets of a flow that has been quiet for a long time may have been overwritten; an alert
//! is raised while its packets are fresh, and its PCAP is cut at that moment.
//!
//! A packet read from a capture file is kept as its offset in the file, not as a copy: the
//! copy was most of the ring's cost, not in instructions but in the caches it filled with
//! bytes that are almost never read again. Its PCAP is cut by reading the file back. The
//! byte budget is counted as if the bytes were copied, so which packets an alert's PCAP holds
//! does not depend on where they were read from.

use std::fs::File;
use std::path::Path;

use rampart_event::Timestamp;

use crate::FastMap as HashMap;
use crate::flow_slots::FlowSlots;

/// Bytes kept of one packet; the rest of a jumbo frame is cut, as a snap length would.
pub const SNAP_LEN: usize = 4096;
/// Packets one alert's PCAP holds at most (the most recent of its flows).
pub const PCAP_PACKETS: usize = 64;

/// Where a packet's captured bytes can be read again: a capture file the ring was given
/// ([`PacketRing::add_file`]) and the offset of the bytes in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The file, as [`PacketRing::add_file`] numbered it.
    pub file: u32,
    /// Where the packet's bytes start in it.
    pub offset: u64,
}

/// The `file` of an entry whose bytes are in the ring's own buffer.
const IN_RING: u32 = u32::MAX;
/// The `prev` of an entry that is the first of its flow's chain.
const NO_PREV: u64 = u64::MAX;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Position in the sequence of all packets kept.
    seq: u64,
    /// The previous packet of the same flow, by `seq`, or [`NO_PREV`] (a sentinel rather
    /// than an `Option`, which would take the entry past one cache line).
    prev: u64,
    flow: u64,
    time: Timestamp,
    /// Where the bytes are in `file`, when the packet is kept as an offset.
    offset: u64,
    /// The packet's place in the byte budget; its bytes are there when `file` is [`IN_RING`].
    start: u32,
    file: u32,
    wire_len: u32,
    len: u16,
    link_type: u16,
    /// In its flow's chain yet: the newest packet joins one when its flow is known (or the
    /// next packet arrives without one having been given), so a packet is linked once.
    linked: bool,
    /// A later packet of its flow links to it: evicting it leaves the chain's head alone,
    /// which spares a lookup per evicted packet.
    followed: bool,
}

/// A ring of recent packets under a byte budget.
///
/// The packets' bytes follow each other in one preallocated buffer; their entries sit in a
/// table indexed by sequence number modulo its size (a power of two), filled once and then
/// overwritten, so keeping a packet is a copy and a few stores.
#[derive(Debug)]
pub struct PacketRing {
    data: Vec<u8>,
    /// The entries of the kept packets, the one of `seq` at `seq & mask` (the table is up to
    /// twice `max_entries`, rounded up to a power of two); grown as the first packets arrive.
    entries: Vec<Entry>,
    mask: u64,
    max_entries: usize,
    /// Sequence number of the oldest packet kept; `next_seq` when none is.
    oldest: u64,
    next_seq: u64,
    head: usize,
    /// The newest packet of each flow in the ring: the head of its chain of `prev` links, so
    /// an alert's packets are found without scanning the ring.
    newest: Newest,
    /// The capture files that packets kept as offsets are read back from, by number; `None`
    /// for one that would not open. Each is opened when named, so that a file rotated away
    /// (renamed or deleted) during the run is still the one read.
    files: Vec<Option<File>>,
    /// Packets that could not be read back (their file changed or went away).
    unreadable: u64,
    /// Where packets are read back into, kept from PCAP to PCAP (up to [`READ_SPAN`]).
    read_buf: Vec<u8>,
}

/// The flow tag of a packet that belongs to no flow (ARP, LLDP, GOOSE); flow ids count
/// from zero, so the tag is the one id the flow table never reaches.
pub const NO_FLOW: u64 = u64::MAX;

impl PacketRing {
    /// A ring of `bytes` bytes (at least one full snap length, at most 4 GiB) and at most
    /// `bytes / 64` packets. Zero makes a ring that keeps nothing.
    pub fn new(bytes: usize) -> PacketRing {
        let bytes = if bytes == 0 {
            0
        } else {
            bytes.clamp(SNAP_LEN, u32::MAX as usize)
        };
        let max_entries = bytes / 64;
        let slots = max_entries.next_power_of_two();
        PacketRing {
            data: vec![0; bytes],
            entries: Vec::with_capacity(slots),
            mask: slots as u64 - 1,
            max_entries,
            oldest: 0,
            next_seq: 0,
            head: 0,
            newest: Newest::default(),
            files: Vec::new(),
            unreadable: 0,
            read_buf: Vec::new(),
        }
    }

    /// Name a capture file that packets will be kept from as offsets ([`Stored`]); its
    /// number, or `None` when the numbers are used up (its packets are then copied).
    pub fn add_file(&mut self, path: &Path) -> Option<u32> {
        let number = u32::try_from(self.files.len())
            .ok()
            .filter(|&n| n != IN_RING)?;
        self.files.push(File::open(path).ok());
        Some(number)
    }

    /// Packets kept as offsets that could not be read back for a PCAP.
    pub fn unreadable(&self) -> u64 {
        self.unreadable
    }

    /// The entry of the oldest packet kept.
    fn front(&self) -> Option<&Entry> {
        self.at(self.oldest)
    }

    /// Where the newest packet kept is.
    fn last_index(&self) -> Option<usize> {
        self.index(self.next_seq.checked_sub(1)?)
    }

    /// Drop the oldest packet.
    fn evict(&mut self) {
        let Some(&old) = self.front() else {
            return;
        };
        self.oldest += 1;
        if old.linked && !old.followed && self.newest.get(old.flow) == Some(old.seq) {
            self.newest.remove(old.flow);
        }
    }

    /// Keep a packet, not yet known to belong to a flow: a copy of `data`, or its place in a
    /// capture file when `stored` gives one.
    pub fn push(
        &mut self,
        time: Timestamp,
        link_type: u16,
        data: &[u8],
        wire_len: u32,
        stored: Option<Stored>,
    ) {
        if self.max_entries == 0 {
            return;
        }
        self.link_last();
        let len = data.len().min(SNAP_LEN);
        if self.head + len > self.data.len() {
            // Wrap: the packets still in the tail end are the oldest; drop them.
            while self.front().is_some_and(|f| f.place() >= self.head) {
                self.evict();
            }
            self.head = 0;
        }
        let (p, end) = (self.head, self.head + len);
        while self.front().is_some_and(|f| (p..end).contains(&f.place())) {
            self.evict();
        }
        if self.len() == self.max_entries {
            self.evict();
        }
        let (file, offset) = match stored {
            Some(s) => (s.file, s.offset),
            None => {
                self.data[p..end].copy_from_slice(&data[..len]);
                (IN_RING, 0)
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            seq,
            prev: NO_PREV,
            flow: NO_FLOW,
            time,
            offset,
            // The ring holds at most 4 GiB and a packet at most SNAP_LEN: both fit.
            start: p as u32,
            file,
            wire_len,
            len: len as u16,
            link_type,
            linked: false,
            followed: false,
        };
        match self.entries.get_mut((seq & self.mask) as usize) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
        self.head = end;
    }

    /// Put the newest packet in its flow's chain, if it is not there yet.
    fn link_last(&mut self) {
        if let Some(i) = self.last_index() {
            self.link(i);
        }
    }

    /// Put the packet at `i` in its flow's chain, if it is not there yet.
    #[inline]
    fn link(&mut self, i: usize) {
        let Some(e) = self.entries.get_mut(i) else {
            return;
        };
        if e.linked {
            return;
        }
        e.linked = true;
        let prev = self.newest.insert(e.flow, e.seq);
        e.prev = prev.unwrap_or(NO_PREV);
        self.set_followed(prev, true);
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
        let Some(i) = self.last_index() else {
            return;
        };
        let Some(last) = self.entries.get_mut(i) else {
            return;
        };
        if last.flow == flow {
            return;
        }
        let (old, prev, linked) = (last.flow, last.prev(), last.linked);
        last.flow = flow;
        last.linked = false;
        if linked {
            // Unlink it from the chain it headed; it joins its flow's below.
            match prev {
                Some(prev) => {
                    self.newest.insert(old, prev);
                }
                None => self.newest.remove(old),
            }
            self.set_followed(prev, false);
        }
        self.link(i);
    }

    /// Where the kept packet with sequence number `seq` is, if it is still in the ring.
    fn index(&self, seq: u64) -> Option<usize> {
        (self.oldest..self.next_seq)
            .contains(&seq)
            .then_some((seq & self.mask) as usize)
    }

    /// The kept packet with sequence number `seq`, if it is still in the ring.
    fn at(&self, seq: u64) -> Option<&Entry> {
        self.entries.get(self.index(seq)?)
    }

    /// The newest packets (at most [`PCAP_PACKETS`]) of `flow`, newest first.
    fn chain(&self, flow: u64) -> impl Iterator<Item = &Entry> {
        let mut next = self.newest.get(flow);
        std::iter::from_fn(move || {
            let e = self.at(next?)?;
            next = e.prev();
            (e.flow == flow).then_some(e)
        })
        .take(PCAP_PACKETS)
    }

    /// Packets kept now.
    pub fn len(&self) -> usize {
        (self.next_seq - self.oldest) as usize
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keep nothing from now on, and free what is kept: for when no PCAP will be cut again.
    pub fn close(&mut self) {
        self.max_entries = 0;
        self.data = Vec::new();
        self.entries = Vec::new();
        self.oldest = self.next_seq;
        self.newest = Newest::default();
    }

    /// A PCAP file of the most recent packets (at most [`PCAP_PACKETS`]) of `flows`, or of
    /// the packets without a flow when `flows` is empty; `None` when none are left. Packets of
    /// another link type than the most recent one are left out (a PCAP has one).
    pub fn pcap(&mut self, flows: &[u64]) -> Option<Vec<u8>> {
        self.link_last();
        let wanted: &[u64] = if flows.is_empty() { &[NO_FLOW] } else { flows };
        let mut picked: Vec<Entry> = wanted
            .iter()
            .flat_map(|&f| self.chain(f))
            .copied()
            .collect();
        picked.sort_by_key(|e| e.seq);
        let link_type = picked.last()?.link_type;
        picked.retain(|e| e.link_type == link_type);
        let skip = picked.len().saturating_sub(PCAP_PACKETS);
        let mut out = pcap_header(link_type);
        let header_len = out.len();
        let mut bytes = std::mem::take(&mut self.read_buf);
        let mut rest = &picked[skip..];
        while let Some(e) = rest.first() {
            if e.file == IN_RING {
                let at = e.place();
                append_record(&mut out, e, &self.data[at..at + usize::from(e.len)]);
                rest = &rest[1..];
                continue;
            }
            let (run, after) = rest.split_at(stored_run(rest));
            if !self.read_span(run, &mut bytes) {
                // One of them is gone: each on its own, so that only the lost are left out.
                for e in run {
                    if self.read_span(std::slice::from_ref(e), &mut bytes) {
                        append_record(&mut out, e, &bytes);
                    } else {
                        self.unreadable += 1;
                    }
                }
            } else {
                for e in run {
                    let at = (e.offset - run[0].offset) as usize;
                    append_record(&mut out, e, &bytes[at..at + usize::from(e.len)]);
                }
            }
            rest = after;
        }
        self.read_buf = bytes;
        (out.len() > header_len).then_some(out)
    }

    /// Read the bytes from the first to the end of the last of `run` (packets kept as
    /// offsets in one file, in file order, as [`stored_run`] chose them) into `bytes`: false
    /// when the file no longer holds them.
    fn read_span(&self, run: &[Entry], bytes: &mut Vec<u8>) -> bool {
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            return false;
        };
        let Some(Some(file)) = self.files.get(first.file as usize) else {
            return false;
        };
        bytes.resize((last.end() - first.offset) as usize, 0);
        read_at(file, first.offset, bytes)
    }
}

/// Bytes read back at once for an alert's PCAP at most: packets of one flow are often near
/// each other in the file, so one read brings several, where reading each on its own was a
/// system call per packet (149,859 of them for `modbus_small`'s PCAPs).
const READ_SPAN: u64 = 64 << 10;
/// Bytes of other packets one read may bring between two of the PCAP's: a system call costs
/// about what copying a few KiB does.
const READ_GAP: u64 = 4 << 10;

/// How many of the first `entries` (the first kept as an offset) one read brings: those of
/// the same file that follow each other in it, each within [`READ_GAP`] bytes of the last
/// and all within [`READ_SPAN`] bytes of the first.
fn stored_run(entries: &[Entry]) -> usize {
    let Some(first) = entries.first() else {
        return 0;
    };
    let mut end = first.end();
    1 + entries[1..]
        .iter()
        .take_while(|e| {
            let next = e.file == first.file
                && (end..=end + READ_GAP).contains(&e.offset)
                && e.end() - first.offset <= READ_SPAN;
            end = e.end();
            next
        })
        .count()
}

/// Fill `bytes` from `file` at `offset`: one positioned read where the system has it (an
/// alert's PCAP reads up to 64 packets).
#[cfg(unix)]
fn read_at(file: &File, offset: u64, bytes: &mut [u8]) -> bool {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset).is_ok()
}

/// Fill `bytes` from `file` at `offset`.
#[cfg(not(unix))]
fn read_at(mut file: &File, offset: u64, bytes: &mut [u8]) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset)).is_ok() && file.read_exact(bytes).is_ok()
}

impl Entry {
    /// The packet's place in the byte budget (and in the buffer, when its bytes are there).
    fn place(&self) -> usize {
        self.start as usize
    }

    /// Where its bytes end in its file, when it is kept as an offset.
    fn end(&self) -> u64 {
        self.offset + u64::from(self.len)
    }

    /// The previous packet of the same flow, by `seq`.
    fn prev(&self) -> Option<u64> {
        (self.prev != NO_PREV).then_some(self.prev)
    }
}

/// Flows whose newest packet is kept in a slot by flow id rather than in the map: flow ids
/// count up, so the flows of the recent packets fall in distinct slots and linking a packet
/// to its flow's chain seldom hashes.
const RECENT_FLOWS: usize = 4096;

/// The newest packet of each flow, by sequence number: in the flow's slot of `recent` when
/// the slot is its own, else in `others`; a flow is in one of the two at most.
#[derive(Debug)]
struct Newest {
    recent: FlowSlots<u64>,
    others: HashMap<u64, u64>,
}

impl Default for Newest {
    fn default() -> Self {
        Newest {
            recent: FlowSlots::new(RECENT_FLOWS),
            others: HashMap::default(),
        }
    }
}

impl Newest {
    fn get(&self, flow: u64) -> Option<u64> {
        self.recent
            .get(flow)
            .or_else(|| self.others.get(&flow).copied())
    }

    /// Make `seq` the newest packet of `flow`; the one it was. Inlined for the common case,
    /// a flow that holds its slot.
    #[inline]
    fn insert(&mut self, flow: u64, seq: u64) -> Option<u64> {
        match self.recent.get_mut(flow) {
            Some(newest) => Some(std::mem::replace(newest, seq)),
            None => self.take_slot(flow, seq),
        }
    }

    /// [`Newest::insert`] for a flow whose slot another holds (or none does): the flow takes
    /// the slot, moving the one there to `others`.
    #[inline(never)]
    fn take_slot(&mut self, flow: u64, seq: u64) -> Option<u64> {
        if let Some((other, newest)) = self.recent.insert(flow, seq) {
            self.others.insert(other, newest);
        }
        self.others.remove(&flow)
    }

    /// Forget `flow`'s newest packet.
    fn remove(&mut self, flow: u64) {
        if self.recent.remove(flow).is_none() {
            self.others.remove(&flow);
        }
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
            ring.push(
                Timestamp::from_parts(u64::from(i), 0),
                1,
                &[i; 60],
                60,
                None,
            );
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
            ring.push(
                Timestamp::from_parts(u64::from(i), 0),
                1,
                &[i; 60],
                60,
                None,
            );
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
            ring.push(
                Timestamp::from_parts(u64::from(i), 0),
                1,
                &[i; 60],
                60,
                None,
            );
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
        ring.push(Timestamp::from_parts(9, 0), 1, &[9; 60], 60, None);
        ring.tag_last(5);
        assert_eq!(secs(&mut ring, 5), vec![0, 1, 2, 9]);
    }

    #[test]
    fn the_byte_budget_holds_and_old_packets_go_first() {
        let mut ring = PacketRing::new(SNAP_LEN);
        for i in 0..1000u32 {
            let data = vec![(i % 251) as u8; 100 + (i as usize % 300)];
            ring.push(Timestamp::from_parts(u64::from(i), 0), 1, &data, 9000, None);
            ring.tag_last(1);
            // Every kept packet is intact: its bytes were not overwritten by a later one.
            for e in (ring.oldest..ring.next_seq).filter_map(|seq| ring.at(seq)) {
                let secs = e.time.secs() as u32;
                assert!(
                    ring.data[e.place()..e.place() + usize::from(e.len)]
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
    fn flows_sharing_a_slot_keep_their_own_chains() {
        let mut ring = PacketRing::new(1 << 16);
        let flows = [3, 3 + RECENT_FLOWS as u64, 3 + 2 * RECENT_FLOWS as u64];
        for i in 0..12u8 {
            ring.push(
                Timestamp::from_parts(u64::from(i), 0),
                1,
                &[i; 60],
                60,
                None,
            );
            ring.tag_last(flows[usize::from(i) % 3]);
        }
        for (k, &flow) in flows.iter().enumerate() {
            let secs: Vec<u32> = packets(&ring.pcap(&[flow]).expect("packets"))
                .iter()
                .map(|p| p.0)
                .collect();
            let k = k as u32;
            assert_eq!(secs, vec![k, k + 3, k + 6, k + 9], "flow {flow}");
        }
        // Moving the newest packet away from a flow whose head is in the map restores it.
        ring.tag_last(flows[0]);
        assert_eq!(packets(&ring.pcap(&[flows[2]]).expect("flow")).len(), 3);
        assert_eq!(packets(&ring.pcap(&[flows[0]]).expect("flow")).len(), 5);
    }

    #[test]
    fn the_entry_table_wraps_around_within_the_packet_bound() {
        // 192 packets at most, in a table of 256 entries.
        let mut ring = PacketRing::new(3 * SNAP_LEN);
        assert_eq!((ring.max_entries, ring.mask), (192, 255));
        for i in 0..1000u32 {
            let t = Timestamp::from_parts(u64::from(i), 0);
            ring.push(t, 1, &[(i % 251) as u8; 60], 60, None);
            ring.tag_last(u64::from(i % 2));
            assert_eq!(ring.len(), (i as usize + 1).min(192));
        }
        assert!(ring.entries.len() <= 256);
        let got = packets(&ring.pcap(&[1]).expect("flow 1"));
        let secs: Vec<u32> = got.iter().map(|p| p.0).collect();
        assert_eq!(secs, (873..1000).step_by(2).collect::<Vec<_>>());
        assert!(got.iter().all(|(s, d)| d == &vec![(*s % 251) as u8; 60]));
        // Both flows' chains reach only as far back as the ring does.
        let both = packets(&ring.pcap(&[0, 1]).expect("flows"));
        assert_eq!(both.first().map(|p| p.0), Some(936));
    }

    #[test]
    fn jumbo_frames_are_cut_and_an_empty_ring_keeps_nothing() {
        let mut ring = PacketRing::new(1 << 20);
        ring.push(Timestamp(0), 1, &vec![1; 9000], 9000, None);
        let got = packets(&ring.pcap(&[]).expect("no-flow packet"));
        assert_eq!(got[0].1.len(), SNAP_LEN);
        let mut none = PacketRing::new(0);
        none.push(Timestamp(0), 1, &[1; 60], 60, None);
        assert!(none.is_empty() && none.pcap(&[]).is_none());
    }

    /// A capture file of `n` distinct 60-byte packets after a 24-byte header, and each
    /// packet's offset.
    fn capture_file(dir: &Path, n: u8) -> (std::path::PathBuf, Vec<u64>) {
        let path = dir.join("input.pcap");
        let mut bytes = vec![0xee; 24];
        let mut offsets = Vec::new();
        for i in 0..n {
            bytes.extend_from_slice(&[0xdd; 16]);
            offsets.push(bytes.len() as u64);
            bytes.extend_from_slice(&[i; 60]);
        }
        std::fs::write(&path, bytes).expect("write the capture");
        (path, offsets)
    }

    #[test]
    fn packets_kept_as_offsets_come_back_as_the_copies_would() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, offsets) = capture_file(dir.path(), 10);
        let (mut copied, mut stored) = (PacketRing::new(1 << 16), PacketRing::new(1 << 16));
        let file = stored.add_file(&path).expect("a file number");
        for (i, &offset) in (0..10u8).zip(&offsets) {
            let t = Timestamp::from_parts(u64::from(i), 0);
            copied.push(t, 1, &[i; 60], 60, None);
            stored.push(t, 1, &[i; 60], 60, Some(Stored { file, offset }));
            for ring in [&mut copied, &mut stored] {
                ring.tag_last(u64::from(i % 2));
            }
        }
        assert!(copied.pcap(&[1]).is_some());
        assert_eq!(stored.pcap(&[1]), copied.pcap(&[1]));
        assert_eq!(stored.pcap(&[0, 1]), copied.pcap(&[0, 1]));
        assert_eq!(stored.unreadable(), 0);
    }

    #[test]
    fn the_byte_budget_counts_packets_kept_as_offsets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, offsets) = capture_file(dir.path(), 200);
        let (mut copied, mut stored) = (PacketRing::new(SNAP_LEN), PacketRing::new(SNAP_LEN));
        let file = stored.add_file(&path).expect("a file number");
        for (i, &offset) in (0..200u8).zip(&offsets) {
            let t = Timestamp::from_parts(u64::from(i), 0);
            copied.push(t, 1, &[i; 60], 60, None);
            stored.push(t, 1, &[i; 60], 60, Some(Stored { file, offset }));
            copied.tag_last(3);
            stored.tag_last(3);
            assert_eq!(stored.len(), copied.len());
        }
        assert_eq!(stored.pcap(&[3]), copied.pcap(&[3]));
    }

    #[test]
    fn a_packet_its_file_no_longer_holds_is_left_out_and_counted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, offsets) = capture_file(dir.path(), 3);
        let mut ring = PacketRing::new(1 << 16);
        let file = ring.add_file(&path).expect("a file number");
        let gone = ring
            .add_file(&dir.path().join("missing.pcap"))
            .expect("a file number");
        ring.push(
            Timestamp(1),
            1,
            &[0; 60],
            60,
            Some(Stored {
                file,
                offset: offsets[0],
            }),
        );
        ring.push(
            Timestamp(2),
            1,
            &[1; 60],
            60,
            Some(Stored {
                file,
                offset: 1 << 40,
            }),
        );
        ring.push(
            Timestamp(3),
            1,
            &[2; 60],
            60,
            Some(Stored {
                file: gone,
                offset: 0,
            }),
        );
        let got = packets(&ring.pcap(&[]).expect("the readable packet"));
        assert_eq!(got, vec![(0, vec![0; 60])]);
        assert_eq!(ring.unreadable(), 2);
    }

    #[test]
    fn a_closed_ring_keeps_nothing_more() {
        let mut ring = PacketRing::new(1 << 16);
        ring.push(Timestamp(1), 1, &[1; 60], 60, None);
        ring.tag_last(5);
        ring.close();
        assert!(ring.is_empty());
        ring.push(Timestamp(2), 1, &[2; 60], 60, None);
        ring.tag_last(5);
        assert!(ring.is_empty());
        assert_eq!(ring.pcap(&[5]), None);
    }

    #[test]
    fn one_read_brings_packets_near_each_other_and_no_more() {
        let entry = |offset: u64| Entry {
            offset,
            len: 60,
            file: 0,
            ..ring_entry()
        };
        let near = [entry(100), entry(176), entry(176 + 60 + READ_GAP)];
        assert_eq!(stored_run(&near), 3, "each within the gap of the last");
        let far = [entry(100), entry(160 + READ_GAP + 1)];
        assert_eq!(stored_run(&far), 1, "past the gap");
        let behind = [entry(1000), entry(100)];
        assert_eq!(stored_run(&behind), 1, "earlier in the file");
        let other_file = [
            entry(100),
            Entry {
                file: 1,
                ..entry(160)
            },
        ];
        assert_eq!(stored_run(&other_file), 1, "another file");
        let long: Vec<Entry> = (0..READ_SPAN / 60 + 10).map(|i| entry(i * 60)).collect();
        let n = stored_run(&long);
        assert!(
            long[n - 1].end() <= READ_SPAN && long[n].end() > READ_SPAN,
            "within the span"
        );
    }

    #[test]
    fn a_run_cut_short_by_its_file_keeps_the_packets_still_there() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, offsets) = capture_file(dir.path(), 3);
        let mut ring = PacketRing::new(1 << 16);
        let file = ring.add_file(&path).expect("a file number");
        for (i, &offset) in (0..3u8).zip(&offsets) {
            let t = Timestamp::from_parts(u64::from(i), 0);
            ring.push(t, 1, &[i; 60], 60, Some(Stored { file, offset }));
            ring.tag_last(7);
        }
        // The file loses its last packet's bytes after they were kept: the one read of all
        // three fails, and each is read on its own.
        let truncated = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        truncated.set_len(offsets[2] + 10).expect("truncate");
        let got = packets(&ring.pcap(&[7]).expect("the packets still there"));
        assert_eq!(got, vec![(0, vec![0; 60]), (1, vec![1; 60])]);
        assert_eq!(ring.unreadable(), 1);
    }

    /// An entry of no flow at the start of the ring, for tests that set the fields they read.
    fn ring_entry() -> Entry {
        Entry {
            seq: 0,
            prev: NO_PREV,
            flow: NO_FLOW,
            time: Timestamp(0),
            offset: 0,
            start: 0,
            file: IN_RING,
            wire_len: 0,
            len: 0,
            link_type: 1,
            linked: false,
            followed: false,
        }
    }
}
