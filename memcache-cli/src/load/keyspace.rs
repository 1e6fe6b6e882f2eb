//! The benchmark's keys and the exact value each one holds, so every read can be checked.

use bytes::Bytes;

/// `count` keys `memkit-bench:<size>:<i>`, each holding a deterministic `size`-byte value that differs per key.
#[derive(Debug, Clone)]
pub struct KeySpace {
    keys: Vec<String>,
    values: Vec<Bytes>,
}

impl KeySpace {
    /// Builds the key space (values are generated, not random: the same on every run).
    pub fn new(count: usize, value_size: usize) -> Self {
        let keys = (0..count).map(|i| format!("memkit-bench:{value_size}:{i}")).collect();
        let values = (0..count)
            .map(|i| {
                let seed = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                Bytes::from((0..value_size).map(|j| (seed >> ((j % 8) * 8)) as u8 ^ j as u8).collect::<Vec<u8>>())
            })
            .collect();
        Self { keys, values }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Key `i`.
    pub fn key(&self, i: usize) -> &str {
        &self.keys[i]
    }

    /// The value key `i` holds.
    pub fn value(&self, i: usize) -> &Bytes {
        &self.values[i]
    }

    /// The index of `key`, if it is one of ours.
    pub fn index_of(&self, key: &[u8]) -> Option<usize> {
        let text = std::str::from_utf8(key).ok()?;
        let i: usize = text.rsplit(':').next()?.parse().ok()?;
        (self.keys.get(i)?.as_bytes() == key).then_some(i)
    }
}
