//! Requests awaiting their responses, for the protocols that pair them: a bounded queue of
//! message copies whose buffers are reused, so that a polling flow allocates nothing once warm.

use std::collections::VecDeque;

/// Outstanding requests of one flow, keyed by what pairs a response with its request.
pub struct Outstanding<K> {
    items: VecDeque<(K, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
    limit: usize,
}

impl<K: Copy> Outstanding<K> {
    /// Keep at most `limit` requests.
    pub fn new(limit: usize) -> Outstanding<K> {
        Outstanding {
            items: VecDeque::new(),
            spare: Vec::new(),
            limit,
        }
    }

    /// Return the most requests kept.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Return how many requests are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Keep a copy of `message` under `key`; return the oldest request when the limit pushed
    /// it out (give its buffer back with [`Outstanding::recycle`]). With a limit of 0 the
    /// request itself comes back.
    pub fn push(&mut self, key: K, message: &[u8]) -> Option<(K, Vec<u8>)> {
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(message);
        if self.limit == 0 {
            return Some((key, copy));
        }
        let evicted = (self.items.len() >= self.limit)
            .then(|| self.items.pop_front())
            .flatten();
        self.items.push_back((key, copy));
        evicted
    }

    /// Take out the oldest request whose key matches.
    pub fn take(&mut self, matches: impl Fn(&K) -> bool) -> Option<(K, Vec<u8>)> {
        let pos = self.items.iter().position(|(k, _)| matches(k))?;
        self.items.remove(pos)
    }

    /// Take out the oldest request.
    pub fn pop_front(&mut self) -> Option<(K, Vec<u8>)> {
        self.items.pop_front()
    }

    /// Give back the buffer of a request that was taken out.
    pub fn recycle(&mut self, buffer: Vec<u8>) {
        if self.spare.len() < self.limit {
            self.spare.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_requests_up_to_the_limit_and_reuses_buffers() {
        let mut o = Outstanding::new(2);
        assert!(o.push(1, b"a").is_none());
        assert!(o.push(2, b"b").is_none());
        let (key, buf) = o.push(3, b"c").expect("the oldest goes");
        assert_eq!((key, buf.as_slice()), (1, &b"a"[..]));
        o.recycle(buf);
        let (key, buf) = o.take(|k| *k == 3).expect("present");
        assert_eq!((key, buf.as_slice(), o.len()), (3, &b"c"[..], 1));
        assert!(o.take(|k| *k == 9).is_none());
        let mut none = Outstanding::new(0);
        assert_eq!(none.push(5, b"x").map(|(k, _)| k), Some(5));
    }
}
