//! Bounded IPv4/IPv6 fragment reassembly.
//!
//! etherparse ships a reassembly pool, but by its own documentation it is not safe against
//! memory exhaustion: a monitor facing a fragment flood needs a fixed budget of datagrams in
//! progress, a size cap per datagram, a timeout, and a report of overlaps (teardrop and
//! evasion attempts), so this small module is written here. Overlapping bytes keep the first
//! copy seen, the policy of most end hosts.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::Fragment;

/// The budget of the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragLimits {
    /// Datagrams in progress at once; the oldest is dropped past it.
    pub max_datagrams: usize,
    /// Nanoseconds after the first fragment a datagram is abandoned.
    pub timeout_nanos: u64,
}

impl Default for DefragLimits {
    fn default() -> DefragLimits {
        DefragLimits {
            max_datagrams: 4096,
            timeout_nanos: 30_000_000_000,
        }
    }
}

/// The largest IP payload a datagram can have.
const MAX_DATAGRAM: usize = 65_535;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
    vlan: u16,
}

#[derive(Debug, Default)]
struct Pending {
    data: Vec<u8>,
    /// Covered byte ranges, sorted and merged.
    covered: Vec<(usize, usize)>,
    total: Option<usize>,
    first_seen: u64,
    frames: u64,
    wire_bytes: u64,
}

impl Pending {
    /// Copy the bytes of `[start, end)` not covered yet; return whether any byte overlapped.
    fn insert(&mut self, start: usize, bytes: &[u8]) -> bool {
        let end = start + bytes.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        let mut overlapped = false;
        let mut at = start;
        for &(s, e) in &self.covered {
            if e <= at || s >= end {
                continue;
            }
            overlapped = true;
            if s > at {
                self.data[at..s].copy_from_slice(&bytes[at - start..s - start]);
            }
            at = at.max(e);
        }
        if at < end {
            self.data[at..end].copy_from_slice(&bytes[at - start..]);
        }
        self.covered.push((start, end));
        self.covered.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.covered.len());
        for &(s, e) in &self.covered {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.covered = merged;
        overlapped
    }

    fn is_complete(&self) -> bool {
        self.total
            .is_some_and(|total| self.covered.first() == Some(&(0, total)))
    }
}

/// What adding one fragment led to.
#[derive(Debug, PartialEq, Eq)]
pub enum DefragOutcome<'a> {
    /// More fragments are needed.
    Incomplete,
    /// The datagram is whole.
    Complete {
        /// Its transport payload (valid until the next call).
        payload: &'a [u8],
        /// Frames it arrived in that the caller has not accounted for yet.
        frames: u64,
        /// Their bytes on the wire.
        wire_bytes: u64,
    },
    /// The fragment was rejected (it would make the datagram larger than IP allows).
    Oversized,
}

/// Counters a run reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// Fragments received.
    pub fragments: u64,
    /// Datagrams completed.
    pub reassembled: u64,
    /// Fragments that overlapped bytes already received.
    pub overlaps: u64,
    /// Datagrams abandoned by timeout or to stay within the budget.
    pub abandoned: u64,
    /// Fragments rejected as oversized.
    pub oversized: u64,
}

/// Reassembles fragmented IP datagrams within a fixed budget.
#[derive(Debug, Default)]
pub struct Defragmenter {
    limits: DefragLimits,
    pending: HashMap<Key, Pending>,
    complete: Vec<u8>,
    stats: DefragStats,
    /// Set by the last [`Defragmenter::add`] when its fragment overlapped earlier ones.
    last_overlapped: bool,
}

impl Defragmenter {
    /// Create a reassembler with the given budget.
    pub fn new(limits: DefragLimits) -> Defragmenter {
        Defragmenter {
            limits,
            ..Defragmenter::default()
        }
    }

    /// Return the counters so far.
    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Tell whether the fragment just added overlapped bytes already received.
    pub fn last_overlapped(&self) -> bool {
        self.last_overlapped
    }

    /// Add one fragment of the datagram `src → dst`, protocol `protocol`, that arrived in a
    /// frame of `wire_len` bytes at `now`. `accounted` says the caller already counted the
    /// frame (a first fragment whose transport header it could read), so the frame counts of
    /// the completed datagram leave it out.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        vlan: u16,
        fragment: &Fragment<'_>,
        wire_len: u32,
        accounted: bool,
        now: u64,
    ) -> DefragOutcome<'_> {
        self.stats.fragments += 1;
        self.last_overlapped = false;
        let start = usize::from(fragment.offset);
        let end = start + fragment.payload.len();
        if end > MAX_DATAGRAM {
            self.stats.oversized += 1;
            return DefragOutcome::Oversized;
        }
        let key = Key {
            src,
            dst,
            protocol,
            id: fragment.id,
            vlan,
        };
        if !self.pending.contains_key(&key) {
            self.make_room(now);
        }
        let entry = self.pending.entry(key).or_insert_with(|| Pending {
            first_seen: now,
            ..Pending::default()
        });
        if !accounted {
            entry.frames += 1;
            entry.wire_bytes += u64::from(wire_len);
        }
        if entry.insert(start, fragment.payload) {
            self.stats.overlaps += 1;
            self.last_overlapped = true;
        }
        if !fragment.more {
            entry.total = Some(end);
        }
        if !entry.is_complete() {
            return DefragOutcome::Incomplete;
        }
        let Some(mut done) = self.pending.remove(&key) else {
            return DefragOutcome::Incomplete;
        };
        done.data.truncate(done.total.unwrap_or(done.data.len()));
        self.complete = done.data;
        self.stats.reassembled += 1;
        DefragOutcome::Complete {
            payload: &self.complete,
            frames: done.frames,
            wire_bytes: done.wire_bytes,
        }
    }

    /// Abandon datagrams older than the timeout.
    pub fn expire(&mut self, now: u64) {
        let timeout = self.limits.timeout_nanos;
        let before = self.pending.len();
        self.pending
            .retain(|_, p| now.saturating_sub(p.first_seen) < timeout);
        self.stats.abandoned += (before - self.pending.len()) as u64;
    }

    fn make_room(&mut self, now: u64) {
        if self.pending.len() < self.limits.max_datagrams {
            return;
        }
        self.expire(now);
        while self.pending.len() >= self.limits.max_datagrams.max(1) {
            let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.pending.remove(&oldest);
            self.stats.abandoned += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn frag(offset: u16, more: bool, payload: &[u8]) -> Fragment<'_> {
        Fragment {
            id: 7,
            offset,
            more,
            payload,
        }
    }

    #[test]
    fn reassembles_fragments_arriving_out_of_order() {
        let mut d = Defragmenter::new(DefragLimits::default());
        assert_eq!(
            d.add(A, B, 17, 0, &frag(8, false, b"world!!!"), 60, false, 1),
            DefragOutcome::Incomplete
        );
        assert_eq!(
            d.add(A, B, 17, 0, &frag(0, true, b"hello, w"), 70, false, 2),
            DefragOutcome::Complete {
                payload: b"hello, wworld!!!",
                frames: 2,
                wire_bytes: 130
            }
        );
        assert_eq!(d.stats().reassembled, 1);
    }

    #[test]
    fn keeps_first_copy_of_overlapping_bytes_and_counts_overlap() {
        let mut d = Defragmenter::new(DefragLimits::default());
        d.add(A, B, 17, 0, &frag(0, true, b"AAAAAAAA"), 60, false, 1);
        let out = d.add(A, B, 17, 0, &frag(4, false, b"BBBBBBBB"), 60, false, 2);
        let DefragOutcome::Complete { payload, .. } = out else {
            panic!("expected a complete datagram, got {out:?}")
        };
        assert_eq!(payload, b"AAAAAAAABBBB");
        assert_eq!(d.stats().overlaps, 1);
    }

    #[test]
    fn rejects_fragment_beyond_maximum_datagram_size() {
        let mut d = Defragmenter::new(DefragLimits::default());
        let out = d.add(A, B, 17, 0, &frag(65_528, false, &[0; 16]), 60, false, 1);
        assert_eq!(out, DefragOutcome::Oversized);
    }

    #[test]
    fn stays_within_datagram_budget_under_a_flood() {
        let mut d = Defragmenter::new(DefragLimits {
            max_datagrams: 8,
            timeout_nanos: u64::MAX,
        });
        for id in 0..1000 {
            let f = Fragment {
                id,
                offset: 0,
                more: true,
                payload: &[1; 64],
            };
            d.add(A, B, 17, 0, &f, 100, false, u64::from(id));
        }
        assert!(d.pending.len() <= 8);
        assert_eq!(d.stats().abandoned, 992);
    }

    #[test]
    fn abandons_datagrams_after_timeout() {
        let mut d = Defragmenter::new(DefragLimits {
            max_datagrams: 8,
            timeout_nanos: 10,
        });
        d.add(A, B, 17, 0, &frag(0, true, b"x"), 60, false, 0);
        d.expire(100);
        assert_eq!(d.stats().abandoned, 1);
    }
}
