//! A map with a fixed capacity that forgets its oldest keys: the state of the protocol
//! engines, so that no traffic (a scan, a flood of spoofed sources) can grow it without end.
//!
//! Eviction is by insertion order rather than by last use: it needs no bookkeeping on a hit,
//! which is the packet path's common case, and an entry that is still in use is simply learned
//! again when it comes back.

use std::collections::VecDeque;
use std::collections::hash_map::Entry;

use crate::FastMap as HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use crate::Mode;

/// At most `capacity` entries; inserting past it drops the oldest inserted.
#[derive(Debug, Clone)]
pub(crate) struct CappedMap<K, V> {
    entries: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Hash + Eq + Copy, V> CappedMap<K, V> {
    /// An empty map holding at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        CappedMap {
            entries: HashMap::default(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The entry of `key` to change, when kept.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key)
    }

    /// The entry of `key`, made with `new` (evicting the oldest entry when full) if absent.
    pub(crate) fn entry(&mut self, key: K, new: impl FnOnce() -> V) -> &mut V {
        if self.entries.len() >= self.capacity
            && !self.entries.contains_key(&key)
            && let Some(oldest) = self.order.pop_front()
        {
            self.entries.remove(&oldest);
        }
        match self.entries.entry(key) {
            Entry::Occupied(kept) => kept.into_mut(),
            Entry::Vacant(absent) => {
                self.order.push_back(key);
                absent.insert(new())
            }
        }
    }

    /// True when `key` is kept.
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }
}

/// Which hosts have acted on which (a master commanding an outstation, a client writing to a
/// server): learned in learning mode, so that in monitoring mode an unknown pair is new.
///
/// When nothing was learned at all (no learning period), there is no baseline to be new
/// against: with `adopt_first` the first actor seen on a target is taken as its own and only
/// a second one is new; without it every actor is new.
#[derive(Debug, Clone)]
pub(crate) struct Familiar {
    pairs: CappedMap<(IpAddr, IpAddr), ()>,
    targets: CappedMap<IpAddr, ()>,
    learned: bool,
    adopt_first: bool,
}

impl Familiar {
    /// Remember at most `capacity` pairs (and targets).
    pub(crate) fn new(capacity: usize, adopt_first: bool) -> Familiar {
        Familiar {
            pairs: CappedMap::new(capacity),
            targets: CappedMap::new(capacity),
            learned: false,
            adopt_first,
        }
    }

    /// Note that the sensor is learning: there is a baseline to be new against, even if this
    /// kind of act was never seen in it.
    pub(crate) fn note_learning(&mut self) {
        self.learned = true;
    }

    /// True when `actor` acting on `target` now is new; learns the pair in learning mode.
    pub(crate) fn is_new(&mut self, (actor, target): (IpAddr, IpAddr), mode: Mode) -> bool {
        if self.pairs.contains(&(actor, target)) {
            return false;
        }
        let adopt = match mode {
            Mode::Learning => {
                self.note_learning();
                true
            }
            Mode::Monitoring => {
                self.adopt_first && !self.learned && !self.targets.contains(&target)
            }
        };
        if adopt {
            self.pairs.entry((actor, target), || ());
            self.targets.entry(target, || ());
        }
        !adopt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_learned_while_learning_is_familiar() {
        let (a, b, c) = (
            [10, 0, 0, 1].into(),
            [10, 0, 0, 2].into(),
            [10, 0, 0, 3].into(),
        );
        let mut f = Familiar::new(16, true);
        assert!(!f.is_new((a, b), Mode::Learning));
        assert!(!f.is_new((a, b), Mode::Monitoring));
        assert!(f.is_new((c, b), Mode::Monitoring));
        assert!(
            f.is_new((c, b), Mode::Monitoring),
            "monitoring never learns"
        );
        assert!(
            f.is_new((a, c), Mode::Monitoring),
            "learning happened: nothing is adopted"
        );
    }

    #[test]
    fn without_adoption_every_actor_is_new_when_nothing_was_learned() {
        let (a, b) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        assert!(Familiar::new(16, false).is_new((a, b), Mode::Monitoring));
        let mut adopting = Familiar::new(16, true);
        assert!(!adopting.is_new((a, b), Mode::Monitoring));
        assert!(!adopting.is_new((a, b), Mode::Monitoring));
    }

    #[test]
    fn forgets_the_oldest_key_when_full() {
        let mut m = CappedMap::new(2);
        *m.entry(1, || 0) += 1;
        *m.entry(2, || 0) += 1;
        *m.entry(1, || 0) += 1;
        *m.entry(3, || 0) += 1;
        assert!(!m.contains(&1));
        assert_eq!(m.get_mut(&2), Some(&mut 1));
        assert_eq!(m.get_mut(&3), Some(&mut 1));
    }
}
