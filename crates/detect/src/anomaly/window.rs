//! Sliding windows and bounded tables shared by the anomaly detectors.
//!
//! Every window keeps at most as many entries as its threshold needs to be reached (a
//! detector asking "50 distinct destinations in 2 minutes?" never needs a 51st), so a
//! window's memory is bounded by its configured count, and thresholds are capped at
//! [`MAX_COUNT`](super::config::MAX_COUNT). Every table of windows is a [`Tracked`] map
//! with a capacity that evicts the least recently seen keys first.

use std::collections::VecDeque;

use crate::FastMap as HashMap;
use std::hash::Hash;

use rampart_event::Timestamp;

/// True when `then` is within `window` nanoseconds before `now`.
fn inside(now: Timestamp, then: Timestamp, window: u64) -> bool {
    now.nanos_since(then) < window
}

/// The times of the most recent events of one kind, exact within the window.
#[derive(Debug, Default)]
pub struct Recent {
    times: VecDeque<Timestamp>,
}

impl Recent {
    /// Count an event at `now`, keeping at most `cap` times; returns how many events of the
    /// last `window` nanoseconds are kept (at most `cap`).
    pub fn record(&mut self, now: Timestamp, window: u64, cap: usize) -> usize {
        while self.times.front().is_some_and(|&t| !inside(now, t, window)) {
            self.times.pop_front();
        }
        if self.times.len() >= cap.max(1) {
            self.times.pop_front();
        }
        self.times.push_back(now);
        self.times.len()
    }

    /// Forget every event (a raised episode starts counting again).
    pub fn clear(&mut self) {
        self.times.clear();
    }
}

/// Distinct items seen in the window, in the order first seen, each with when it was last seen.
#[derive(Debug)]
pub struct Distinct<T> {
    items: Vec<(T, Timestamp)>,
}

impl<T> Default for Distinct<T> {
    fn default() -> Self {
        Distinct { items: Vec::new() }
    }
}

impl<T: PartialEq + Copy> Distinct<T> {
    /// Note `item` at `now`, keeping at most `cap` items of the last `window` nanoseconds;
    /// returns how many distinct items the window holds.
    pub fn insert(&mut self, item: T, now: Timestamp, window: u64, cap: usize) -> usize {
        if let Some(slot) = self.items.iter_mut().find(|(i, _)| *i == item) {
            slot.1 = now;
        } else {
            self.items.retain(|&(_, t)| inside(now, t, window));
            if self.items.len() >= cap.max(1) {
                self.items.remove(0);
            }
            self.items.push((item, now));
        }
        self.items.len()
    }

    /// The items, first seen first.
    pub fn items(&self) -> impl Iterator<Item = T> + '_ {
        self.items.iter().map(|&(i, _)| i)
    }

    /// Forget every item.
    pub fn clear(&mut self) {
        self.items.clear();
    }
}

/// The last few flows of an episode, for the alert's PCAP (the most recent ones, whose
/// packets are still in the evidence ring).
#[derive(Debug, Default, Clone, Copy)]
pub struct LastFlows {
    ids: [u64; crate::alert::MAX_ALERT_FLOWS],
    len: usize,
    next: usize,
}

impl LastFlows {
    /// Remember a flow, forgetting the oldest when full.
    #[inline]
    pub fn push(&mut self, flow: Option<u64>) {
        let Some(id) = flow else {
            return;
        };
        if self.ids[..self.len].contains(&id) {
            return;
        }
        self.ids[self.next] = id;
        self.next = (self.next + 1) % self.ids.len();
        self.len = (self.len + 1).min(self.ids.len());
    }

    /// The flows remembered, oldest first.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        let split = if self.len < self.ids.len() {
            0
        } else {
            self.next
        };
        let (newer, older) = self.ids[..self.len].split_at(split);
        older.iter().chain(newer).copied()
    }

    /// Forget them.
    pub fn clear(&mut self) {
        *self = LastFlows::default();
    }
}

/// A count of distinct targets that raises once per window episode: when the threshold is
/// reached the episode closes, and the key counts afresh only one window later.
#[derive(Debug)]
pub struct Episode<T> {
    seen: Distinct<T>,
    flows: LastFlows,
    quiet_until: Timestamp,
}

impl<T> Default for Episode<T> {
    fn default() -> Self {
        Episode {
            seen: Distinct::default(),
            flows: LastFlows::default(),
            quiet_until: Timestamp(0),
        }
    }
}

impl<T: PartialEq + Copy> Episode<T> {
    /// Note `target` (reached by `flow`) at `now`; true when this makes `count` distinct
    /// targets within `window` nanoseconds. Nothing counts while a closed episode is quiet.
    pub fn note(
        &mut self,
        target: T,
        flow: Option<u64>,
        now: Timestamp,
        window: u64,
        count: usize,
    ) -> bool {
        if now < self.quiet_until {
            return false;
        }
        self.flows.push(flow);
        self.seen.insert(target, now, window, count) >= count
    }

    /// The targets of the episode, first seen first.
    pub fn targets(&self) -> impl Iterator<Item = T> + '_ {
        self.seen.items()
    }

    /// The episode's most recent flows, oldest first.
    pub fn flows(&self) -> impl Iterator<Item = u64> + '_ {
        self.flows.ids()
    }

    /// Close the episode after it raised: quiet for one window from `now`.
    pub fn close(&mut self, now: Timestamp, window: u64) {
        self.seen.clear();
        self.flows.clear();
        self.quiet_until = now.plus_nanos(window);
    }
}

/// A count of events that raises once per window episode, with the episode's latest flows:
/// when the threshold is reached the episode closes, and counting starts afresh one window
/// later.
#[derive(Debug, Default)]
pub struct Burst {
    recent: Recent,
    flows: LastFlows,
    quiet_until: Timestamp,
}

impl Burst {
    /// True while a closed episode is quiet: nothing counts.
    pub fn is_quiet(&self, now: Timestamp) -> bool {
        now < self.quiet_until
    }

    /// Count an event (of `flow`) at `now`; true when this makes `count` events within
    /// `window` nanoseconds.
    pub fn note(&mut self, flow: Option<u64>, now: Timestamp, window: u64, count: usize) -> bool {
        if self.is_quiet(now) {
            return false;
        }
        self.flows.push(flow);
        self.recent.record(now, window, count) >= count
    }

    /// The episode's most recent flows, oldest first.
    pub fn flows(&self) -> impl Iterator<Item = u64> + '_ {
        self.flows.ids()
    }

    /// Close the episode after it raised: quiet for one window from `now`.
    pub fn close(&mut self, now: Timestamp, window: u64) {
        self.recent.clear();
        self.flows.clear();
        self.quiet_until = now.plus_nanos(window);
    }
}

/// A map with a capacity: when a new key arrives at capacity, the least recently seen eighth
/// of the keys is evicted at once, so eviction costs a constant per insertion amortised.
///
/// Entries live in slots that a key keeps for as long as it is tracked, so a caller that
/// remembers a key's slot (per packet, say) reaches the entry again without hashing, through
/// [`Tracked::touch_hinted`] and [`Tracked::entry_hinted`], which check that the slot still
/// holds the key.
#[derive(Debug)]
pub struct Tracked<K, V> {
    /// The slot of each key.
    index: HashMap<K, usize>,
    /// The entries; `None` for the slots in `free`.
    slots: Vec<Option<Entry<K, V>>>,
    free: Vec<usize>,
    cap: usize,
}

/// A tracked key, its value and when it was last seen.
#[derive(Debug)]
struct Entry<K, V> {
    key: K,
    value: V,
    seen: Timestamp,
}

impl<K, V> Entry<K, V> {
    fn see(&mut self, now: Timestamp) -> &mut V {
        self.seen = self.seen.max(now);
        &mut self.value
    }
}

impl<K: Hash + Eq + Copy, V> Tracked<K, V> {
    /// An empty map holding at most `cap` keys.
    pub fn new(cap: usize) -> Self {
        Tracked {
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            cap: cap.max(1),
        }
    }

    /// The value of `key`, made by `make` when new, marked seen at `now`.
    pub fn entry(&mut self, key: K, now: Timestamp, make: impl FnOnce() -> V) -> &mut V {
        self.entry_at(key, now, make).1
    }

    /// [`Tracked::entry`], with the slot the key keeps while it is tracked.
    pub fn entry_at(
        &mut self,
        key: K,
        now: Timestamp,
        make: impl FnOnce() -> V,
    ) -> (usize, &mut V) {
        self.entry_hinted(None, key, now, make)
    }

    /// [`Tracked::entry_at`], trying the slot `hint` first: when the slot the key was given
    /// still holds it, no hashing (a slot holds a key only while the index names it there).
    #[inline]
    pub fn entry_hinted(
        &mut self,
        hint: Option<usize>,
        key: K,
        now: Timestamp,
        make: impl FnOnce() -> V,
    ) -> (usize, &mut V) {
        // As in [`Tracked::touch_hinted`].
        if let Some(slot) = hint
            && self.holds(slot, &key)
        {
            return (slot, self.entry_in(slot).see(now));
        }
        let slot = match self.slot_of(&key) {
            Some(slot) => slot,
            None => self.insert(key, now, make()),
        };
        (slot, self.entry_in(slot).see(now))
    }

    /// Track a new key, evicting the oldest keys first when full; its slot.
    fn insert(&mut self, key: K, seen: Timestamp, value: V) -> usize {
        if self.index.len() >= self.cap {
            self.evict_oldest();
        }
        let entry = Some(Entry { key, value, seen });
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = entry;
                slot
            }
            None => {
                self.slots.push(entry);
                self.slots.len() - 1
            }
        };
        self.index.insert(key, slot);
        slot
    }

    /// The entry in an occupied slot.
    fn entry_in(&mut self, slot: usize) -> &mut Entry<K, V> {
        self.slots[slot]
            .as_mut()
            .expect("the index names occupied slots")
    }

    /// The value of `key`, when tracked, marked seen at `now`.
    pub fn touch(&mut self, key: &K, now: Timestamp) -> Option<&mut V> {
        self.touch_hinted(None, key, now).map(|(_, value)| value)
    }

    /// [`Tracked::touch`], trying the slot `hint` first: when the slot the key was given
    /// still holds it, no hashing. With the key's slot.
    #[inline]
    pub fn touch_hinted(
        &mut self,
        hint: Option<usize>,
        key: &K,
        now: Timestamp,
    ) -> Option<(usize, &mut V)> {
        // The hinted slot's entry is taken right after the check that it holds the key, so
        // that the compiler folds the second check of the slot into the first.
        if let Some(slot) = hint
            && self.holds(slot, key)
        {
            return Some((slot, self.entry_in(slot).see(now)));
        }
        let slot = self.slot_of(key)?;
        Some((slot, self.entry_in(slot).see(now)))
    }

    /// The slot of `key`, when tracked: the lookup behind a hint that missed, kept out of
    /// line so that the hinted path inlines into its callers.
    #[inline(never)]
    fn slot_of(&self, key: &K) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// True when `slot` holds `key`.
    fn holds(&self, slot: usize, key: &K) -> bool {
        matches!(self.slots.get(slot), Some(Some(e)) if e.key == *key)
    }

    /// The value of `key`, when tracked, without marking it seen.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let slot = *self.index.get(key)?;
        Some(&mut self.entry_in(slot).value)
    }

    /// Stop tracking `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.index.remove(key)?;
        self.free.push(slot);
        self.slots[slot].take().map(|e| e.value)
    }

    /// Every key and value.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.slots
            .iter_mut()
            .flatten()
            .map(|e| (&e.key, &mut e.value))
    }

    fn evict_oldest(&mut self) {
        let mut times: Vec<Timestamp> = self.slots.iter().flatten().map(|e| e.seen).collect();
        let n = (times.len() / 8).max(1);
        let (_, cutoff, _) = times.select_nth_unstable(n - 1);
        let cutoff = *cutoff;
        let mut budget = n;
        for slot in 0..self.slots.len() {
            if budget == 0 {
                break;
            }
            if let Some(key) = self.slots[slot]
                .as_ref()
                .filter(|e| e.seen <= cutoff)
                .map(|e| e.key)
            {
                self.remove(&key);
                budget -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_parts(secs, 0)
    }

    #[test]
    fn recent_counts_only_events_inside_the_window() {
        let mut r = Recent::default();
        assert_eq!(r.record(at(0), 10 * SEC, 100), 1);
        assert_eq!(r.record(at(9), 10 * SEC, 100), 2);
        assert_eq!(r.record(at(10), 10 * SEC, 100), 2, "the event at 0 left");
        assert_eq!(r.record(at(30), 10 * SEC, 100), 1);
    }

    #[test]
    fn recent_keeps_no_more_than_its_cap() {
        let mut r = Recent::default();
        for i in 0..10 {
            assert_eq!(r.record(at(i), 100 * SEC, 3), (i as usize + 1).min(3));
        }
    }

    #[test]
    fn distinct_counts_each_item_once_and_forgets_stale_ones() {
        let mut d = Distinct::default();
        assert_eq!(d.insert(1, at(0), 10 * SEC, 50), 1);
        assert_eq!(d.insert(1, at(1), 10 * SEC, 50), 1);
        assert_eq!(d.insert(2, at(2), 10 * SEC, 50), 2);
        assert_eq!(
            d.insert(3, at(10), 10 * SEC, 50),
            3,
            "1 was seen again at 1 s"
        );
        assert_eq!(d.insert(4, at(11), 10 * SEC, 50), 3, "1 left, 2 not yet");
        assert_eq!(d.items().collect::<Vec<_>>(), vec![2, 3, 4]);
    }

    #[test]
    fn an_episode_raises_once_then_stays_quiet_for_a_window() {
        let mut e = Episode::default();
        assert!(!e.note(1, Some(1), at(0), 10 * SEC, 2));
        assert!(e.note(2, Some(2), at(1), 10 * SEC, 2));
        assert_eq!(e.targets().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(e.flows().collect::<Vec<_>>(), vec![1, 2]);
        e.close(at(1), 10 * SEC);
        assert!(!e.note(3, None, at(5), 10 * SEC, 1), "quiet");
        assert!(e.note(3, None, at(11), 10 * SEC, 1));
    }

    #[test]
    fn a_burst_raises_at_its_count_then_stays_quiet_for_a_window() {
        let mut b = Burst::default();
        assert!(!b.note(Some(1), at(0), 10 * SEC, 3));
        assert!(!b.note(Some(2), at(1), 10 * SEC, 3));
        assert!(b.note(Some(2), at(2), 10 * SEC, 3));
        assert_eq!(b.flows().collect::<Vec<_>>(), vec![1, 2]);
        b.close(at(2), 10 * SEC);
        assert!(b.is_quiet(at(11)) && !b.is_quiet(at(12)));
        assert!(!b.note(None, at(12), 10 * SEC, 3));
    }

    #[test]
    fn last_flows_keep_the_most_recent_eight() {
        let mut f = LastFlows::default();
        for id in 0..20 {
            f.push(Some(id));
            f.push(Some(id));
        }
        f.push(None);
        assert_eq!(f.ids().collect::<Vec<_>>(), (12..20).collect::<Vec<_>>());
    }

    #[test]
    fn a_slot_hint_finds_its_key_until_the_key_leaves() {
        let mut t: Tracked<u32, u32> = Tracked::new(4);
        let (slot, v) = t.entry_at(7, at(1), || 70);
        assert_eq!(*v, 70);
        t.entry(8, at(1), || 80);
        let touch = |t: &mut Tracked<u32, u32>, hint, key| {
            t.touch_hinted(hint, &key, at(2)).map(|(s, v)| (s, *v))
        };
        assert_eq!(touch(&mut t, Some(slot), 7), Some((slot, 70)));
        assert_eq!(
            touch(&mut t, Some(slot), 8),
            Some((slot + 1, 80)),
            "wrong hint"
        );
        assert_eq!(touch(&mut t, Some(99), 7), Some((slot, 70)), "no such slot");
        assert_eq!(t.remove(&7), Some(70));
        assert_eq!(touch(&mut t, Some(slot), 7), None, "removed");
        // A freed slot is taken by the next new key, which the old hint then finds.
        let (again, _) = t.entry_at(9, at(4), || 90);
        assert_eq!(again, slot);
        assert_eq!(touch(&mut t, Some(slot), 7), None);
        assert_eq!(touch(&mut t, Some(slot), 9), Some((slot, 90)));
    }

    #[test]
    fn an_entry_hint_is_taken_only_while_its_slot_holds_the_key() {
        let mut t: Tracked<u32, u32> = Tracked::new(4);
        let entry = |t: &mut Tracked<u32, u32>, hint, key| {
            let (slot, v) = t.entry_hinted(hint, key, at(2), || key * 10);
            (slot, *v)
        };
        let (seven, _) = t.entry_at(7, at(1), || 70);
        let (eight, _) = t.entry_at(8, at(1), || 80);
        assert_eq!(entry(&mut t, Some(seven), 7), (seven, 70));
        assert_eq!(entry(&mut t, Some(seven), 8), (eight, 80), "wrong hint");
        t.remove(&7);
        // The stale hint names a free slot: the new key is made, and takes it.
        assert_eq!(entry(&mut t, Some(seven), 9), (seven, 90));
        assert_eq!(entry(&mut t, Some(seven), 7), (seven + 2, 70), "made anew");
        assert_eq!(t.touch(&9, at(3)).copied(), Some(90));
    }

    #[test]
    fn tracked_evicts_the_least_recently_seen_keys() {
        let mut t: Tracked<u32, u32> = Tracked::new(16);
        for k in 0..16 {
            *t.entry(k, at(u64::from(k)), || 0) += 1;
        }
        // Key 0 is seen again, so 1 and 2 are the oldest when 16 arrives.
        t.entry(0, at(100), || 0);
        t.entry(16, at(101), || 0);
        let mut kept: Vec<u32> = t.iter_mut().map(|(k, _)| *k).collect();
        kept.sort_unstable();
        assert_eq!(kept, [0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    }
}
