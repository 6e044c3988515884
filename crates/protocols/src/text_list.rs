//! A reusable list of short texts kept in one buffer, for list-valued record fields.
//!
//! A record field such as DNS `answers` is a `&[&str]`; building it from one `String` per
//! item would allocate per item and per message. A dissector keeps one [`TextList`] per field
//! in its state, clears it per message and writes items into the shared buffer.

/// Texts stored back to back in one buffer.
#[derive(Debug, Default)]
pub(crate) struct TextList {
    text: String,
    ends: Vec<usize>,
}

/// By hand, so that `clone_from` keeps the buffers (the derived one allocates new ones).
impl Clone for TextList {
    fn clone(&self) -> TextList {
        TextList {
            text: self.text.clone(),
            ends: self.ends.clone(),
        }
    }

    fn clone_from(&mut self, source: &TextList) {
        self.text.clone_from(&source.text);
        self.ends.clone_from(&source.ends);
    }
}

impl TextList {
    /// Forget every item, keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Return the buffer to append the next item to; [`TextList::finish`] closes the item.
    pub(crate) fn next(&mut self) -> &mut String {
        &mut self.text
    }

    /// Close the item written since the previous one.
    pub(crate) fn finish(&mut self) {
        self.ends.push(self.text.len());
    }

    /// Append a whole item.
    pub(crate) fn push(&mut self, item: &str) {
        self.text.push_str(item);
        self.finish();
    }

    /// Append `separator` and `text` to the last item, if there is one.
    pub(crate) fn extend_last(&mut self, separator: &str, text: &str) {
        if let Some(end) = self.ends.last_mut() {
            self.text.push_str(separator);
            self.text.push_str(text);
            *end = self.text.len();
        }
    }

    /// Return the list as a record value, without copying.
    pub(crate) fn value(&self) -> rampart_dissect::Value<'_> {
        rampart_dissect::Value::Texts {
            text: &self.text,
            ends: &self.ends,
        }
    }

    /// Return how many items the list holds.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Return the items in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let item = self.text.get(start..end).unwrap_or_default();
            start = end;
            item
        })
    }

    /// Return item `i`, if there is one.
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = i
            .checked_sub(1)
            .and_then(|p| self.ends.get(p))
            .copied()
            .unwrap_or(0);
        self.text.get(start..end)
    }

    #[cfg(test)]
    pub(crate) fn items(&self) -> Vec<&str> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_items_apart_and_reuses_memory() {
        let mut list = TextList::default();
        list.push("A 10.0.0.1");
        list.next().push_str("MX 10 ");
        list.next().push_str("mx.example.com");
        list.finish();
        list.push("");
        assert_eq!(list.items(), vec!["A 10.0.0.1", "MX 10 mx.example.com", ""]);
        assert_eq!(list.get(1), Some("MX 10 mx.example.com"));
        assert_eq!(list.get(3), None);
        list.clear();
        assert!(list.items().is_empty());
    }
}
