//! Maps written as lists of their values, sorted by key: JSON objects need string keys, and
//! a sorted list keeps files stable from one save to the next, so they diff cleanly.

use crate::FastMap as HashMap;
use std::hash::Hash;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that carries its own key.
pub trait Keyed {
    /// The key type.
    type Key: Eq + Hash + Ord + Clone;
    /// The value's key.
    fn key(&self) -> Self::Key;
}

impl Keyed for super::Learned {
    type Key = super::Command;
    fn key(&self) -> super::Command {
        self.command
    }
}

impl Keyed for super::Topic {
    type Key = String;
    fn key(&self) -> String {
        self.topic.clone()
    }
}

/// Write the values sorted by key.
pub fn serialize<K, V, S>(map: &HashMap<K, V>, s: S) -> Result<S::Ok, S::Error>
where
    K: Ord,
    V: Serialize,
    S: Serializer,
{
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    s.collect_seq(entries.into_iter().map(|(_, v)| v))
}

/// Read a list of values; a key given twice is an error.
pub fn deserialize<'de, V, D>(d: D) -> Result<HashMap<V::Key, V>, D::Error>
where
    V: Keyed + Deserialize<'de>,
    D: Deserializer<'de>,
{
    let values = Vec::<V>::deserialize(d)?;
    let mut map = HashMap::with_capacity_and_hasher(values.len(), Default::default());
    for v in values {
        if map.insert(v.key(), v).is_some() {
            return Err(serde::de::Error::custom("an entry is listed twice"));
        }
    }
    Ok(map)
}
