//! A small table of values for the flows seen lately, one slot per flow id modulo its size.
//!
//! Flow ids count up, so the flows active at one moment mostly fall in distinct slots, and
//! finding a flow's value is an index and a compare instead of a hash lookup: what the packet
//! path needs, where a lookup per packet costs more than the work it serves. A flow whose
//! slot another flow took is simply not found, so the table is a cache in front of a map
//! that holds the truth.

/// Slots for values of flows, by flow id.
#[derive(Debug, Clone)]
pub(crate) struct FlowSlots<T> {
    slots: Vec<Option<(u64, T)>>,
    /// The slot count less one: the count is a power of two.
    mask: u64,
}

impl<T: Copy> FlowSlots<T> {
    /// A table of `len` slots, rounded up to a power of two.
    pub(crate) fn new(len: usize) -> FlowSlots<T> {
        let len = len.next_power_of_two();
        FlowSlots {
            slots: vec![None; len],
            mask: len as u64 - 1,
        }
    }

    fn index(&self, flow: u64) -> usize {
        (flow & self.mask) as usize
    }

    /// The value of `flow`, when its slot holds it.
    pub(crate) fn get(&self, flow: u64) -> Option<T> {
        match self.slots[self.index(flow)] {
            Some((f, value)) if f == flow => Some(value),
            _ => None,
        }
    }

    /// The value of `flow` to change, when its slot holds it.
    pub(crate) fn get_mut(&mut self, flow: u64) -> Option<&mut T> {
        let i = self.index(flow);
        match &mut self.slots[i] {
            Some((f, value)) if *f == flow => Some(value),
            _ => None,
        }
    }

    /// The value of `flow` to change: the one its slot holds when `valid` accepts it, else
    /// `make`'s, put in the slot.
    #[inline]
    pub(crate) fn get_or_insert(
        &mut self,
        flow: u64,
        valid: impl FnOnce(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> &mut T {
        let slot = &mut self.slots[(flow & self.mask) as usize];
        if !matches!(slot, Some((f, value)) if *f == flow && valid(value)) {
            *slot = None;
        }
        &mut slot.get_or_insert_with(|| (flow, make())).1
    }

    /// Put `flow`'s value in its slot; what the slot held before, of this flow or another.
    pub(crate) fn insert(&mut self, flow: u64, value: T) -> Option<(u64, T)> {
        let i = self.index(flow);
        self.slots[i].replace((flow, value))
    }

    /// Empty `flow`'s slot, when it holds `flow`; the value it held.
    pub(crate) fn remove(&mut self, flow: u64) -> Option<T> {
        let i = self.index(flow);
        match self.slots[i] {
            Some((f, value)) if f == flow => {
                self.slots[i] = None;
                Some(value)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_is_found_until_another_takes_its_slot() {
        let mut slots = FlowSlots::new(8);
        assert_eq!(slots.insert(3, 'a'), None);
        assert_eq!(slots.get(3), Some('a'));
        assert_eq!(slots.get(11), None, "same slot, other flow");
        *slots.get_mut(3).expect("held") = 'b';
        assert_eq!(slots.insert(11, 'c'), Some((3, 'b')));
        assert_eq!((slots.get(3), slots.get(11)), (None, Some('c')));
        assert_eq!(slots.remove(3), None, "not held");
        assert_eq!(slots.remove(11), Some('c'));
        assert_eq!(slots.get(11), None);
        // The largest ids (the ring's tag for packets without a flow) have slots too.
        slots.insert(u64::MAX, 'd');
        assert_eq!(slots.get(u64::MAX), Some('d'));
    }

    #[test]
    fn get_or_insert_keeps_a_valid_value_and_replaces_any_other() {
        let mut slots = FlowSlots::new(8);
        assert_eq!(*slots.get_or_insert(3, |_| true, || 'a'), 'a');
        *slots.get_or_insert(3, |&v| v == 'a', || 'x') = 'b';
        assert_eq!(slots.get(3), Some('b'));
        assert_eq!(
            *slots.get_or_insert(3, |&v| v == 'a', || 'c'),
            'c',
            "not valid"
        );
        assert_eq!(
            *slots.get_or_insert(11, |_| true, || 'd'),
            'd',
            "another flow's slot"
        );
        assert_eq!((slots.get(3), slots.get(11)), (None, Some('d')));
    }
}
