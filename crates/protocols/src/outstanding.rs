//! Requests waiting for their responses, kept as their own octets in a bounded table.
//!
//! A request/response protocol reports a request and its response as one transaction, so it
//! keeps each request until the response comes. Keeping the request's bytes, rather than a
//! parsed copy, lets the dissector parse both sides with the same borrowed types when the
//! response arrives, and buffers are recycled, so a steady exchange allocates nothing.

use std::collections::VecDeque;

use rampart_dissect::Direction;

/// A request given back by the table.
#[derive(Debug)]
pub(crate) struct Request<K> {
    /// The direction it travelled in.
    pub dir: Direction,
    /// What its response will carry to match it (PDU reference, invoke id).
    pub key: K,
    /// Its octets; hand them back with [`Outstanding::recycle`] when done.
    pub bytes: Vec<u8>,
}

/// Why [`Outstanding::keep`] gave a request back unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Displaced {
    /// A new request in the same direction reused its key.
    Reused,
    /// The table was full and it was the oldest.
    Evicted,
}

/// At most `limit` requests waiting, oldest first.
#[derive(Debug)]
pub(crate) struct Outstanding<K> {
    pending: VecDeque<Request<K>>,
    spare: Vec<Vec<u8>>,
    limit: usize,
}

impl<K: Copy + PartialEq> Outstanding<K> {
    /// Keep at most `limit` requests.
    pub(crate) fn new(limit: usize) -> Outstanding<K> {
        Outstanding {
            pending: VecDeque::new(),
            spare: Vec::new(),
            limit,
        }
    }

    /// Keep a copy of a request; give back the requests it displaces (one whose key it
    /// reuses, the oldest beyond the limit) and, with a limit of zero, the request itself.
    pub(crate) fn keep(
        &mut self,
        dir: Direction,
        key: K,
        bytes: &[u8],
    ) -> [Option<(Displaced, Request<K>)>; 2] {
        let reused = self
            .pending
            .iter()
            .position(|p| p.dir == dir && p.key == key)
            .and_then(|i| self.pending.remove(i))
            .map(|r| (Displaced::Reused, r));
        let evicted = (self.pending.len() >= self.limit)
            .then(|| self.pending.pop_front())
            .flatten()
            .map(|r| (Displaced::Evicted, r));
        let mut kept = self.spare.pop().unwrap_or_default();
        kept.clear();
        kept.extend_from_slice(bytes);
        let request = Request {
            dir,
            key,
            bytes: kept,
        };
        if self.limit == 0 {
            return [reused, Some((Displaced::Evicted, request))];
        }
        self.pending.push_back(request);
        [reused, evicted]
    }

    /// Take the request a response travelling in `dir` with `key` answers.
    pub(crate) fn answer(&mut self, dir: Direction, key: K) -> Option<Request<K>> {
        let i = self
            .pending
            .iter()
            .position(|p| p.dir == dir.reverse() && p.key == key)?;
        self.pending.remove(i)
    }

    /// Take the oldest request, to report it at flow end.
    pub(crate) fn oldest(&mut self) -> Option<Request<K>> {
        self.pending.pop_front()
    }

    /// Return a request's buffer for the next one.
    pub(crate) fn recycle(&mut self, bytes: Vec<u8>) {
        if self.spare.len() < self.limit.max(1) {
            self.spare.push(bytes);
        }
    }

    /// Return the table's limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_requests_by_key_from_the_other_direction() {
        let mut t = Outstanding::new(4);
        assert!(
            t.keep(Direction::ToServer, 7u16, b"req")
                .iter()
                .all(Option::is_none)
        );
        assert!(t.answer(Direction::ToServer, 7).is_none(), "same direction");
        let r = t.answer(Direction::ToClient, 7).expect("answered");
        assert_eq!(
            (r.dir, r.bytes.as_slice()),
            (Direction::ToServer, &b"req"[..])
        );
        t.recycle(r.bytes);
        assert!(t.oldest().is_none());
    }

    #[test]
    fn gives_back_reused_keys_and_the_oldest_beyond_the_limit() {
        let mut t = Outstanding::new(2);
        t.keep(Direction::ToServer, 1u16, b"a");
        t.keep(Direction::ToServer, 2, b"b");
        let [reused, evicted] = t.keep(Direction::ToServer, 2, b"c");
        assert_eq!(
            reused.map(|(d, r)| (d, r.bytes)),
            Some((Displaced::Reused, b"b".to_vec()))
        );
        assert!(evicted.is_none());
        let [_, evicted] = t.keep(Direction::ToServer, 3, b"d");
        assert_eq!(
            evicted.map(|(d, r)| (d, r.key)),
            Some((Displaced::Evicted, 1))
        );
        let [_, itself] = Outstanding::new(0).keep(Direction::ToClient, 9u16, b"x");
        assert_eq!(itself.map(|(_, r)| r.key), Some(9));
    }
}
