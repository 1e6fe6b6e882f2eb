//! The benchmark's keys and the exact value each one holds, so every read can be checked.
//!
//! The harness runs inside the process it measures, so it touches no table on the hot path: a key is written into
//! the task's own buffer, and a value read back is checked by recomputing what its key holds, eight bytes at a time,
//! instead of by comparing it with a stored copy. (Reading a random key of a table, or a stored copy of 10,000
//! values of 10 KiB, 100 MB, was a cache miss per request charged to the client under test.)

use bytes::Bytes;

/// `count` keys `memkit-bench:<size>:<i>`, each holding a deterministic `size`-byte value that differs per key.
#[derive(Debug, Clone)]
pub struct KeySpace {
    /// What every key starts with: `memkit-bench:<size>:`.
    prefix: String,
    /// The values, for the writes (one allocation; each is a slice of it).
    values: Vec<Bytes>,
    value_size: usize,
}

/// Byte `m` of chunk `k` of key `i`'s value is byte `m` of `seed(i)` XOR `(8k + m) as u8`: the value can be
/// checked from its key alone.
fn seed(i: usize) -> u64 {
    (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Byte `j` of key `i`'s value.
fn byte(i: usize, j: usize) -> u8 {
    (seed(i) >> ((j % 8) * 8)) as u8 ^ j as u8
}

impl KeySpace {
    /// Builds the key space (values are generated, not random: the same on every run).
    pub fn new(count: usize, value_size: usize) -> Self {
        let all: Vec<u8> = (0..count).flat_map(|i| (0..value_size).map(move |j| byte(i, j))).collect();
        let all = Bytes::from(all);
        let values = (0..count).map(|i| all.slice(i * value_size..(i + 1) * value_size)).collect();
        Self { prefix: format!("memkit-bench:{value_size}:"), values, value_size }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Key `i` (allocated: for setting up; the hot path uses [`KeySpace::push_key`]).
    pub fn key(&self, i: usize) -> String {
        let mut key = String::new();
        self.push_key(i, &mut key);
        key
    }

    /// Appends key `i` to `buf`.
    pub fn push_key(&self, i: usize, buf: &mut String) {
        buf.push_str(&self.prefix);
        buf.push_str(itoa::Buffer::new().format(i));
    }

    /// The value key `i` holds.
    pub fn value(&self, i: usize) -> &Bytes {
        &self.values[i]
    }

    /// Whether `value` is exactly what key `i` holds, computed from `i` (no stored copy is read).
    pub fn holds(&self, i: usize, value: &[u8]) -> bool {
        if value.len() != self.value_size {
            return false;
        }
        let seed = seed(i);
        let mut chunks = value.chunks_exact(8);
        // Chunk k's bytes XOR the seed are 8k, 8k + 1, ..., 8k + 7 (mod 256); 8k mod 256 is at most 248, so adding
        // it to every byte of 0x0706..00 never carries.
        let mut mismatch = 0u64;
        for (k, chunk) in chunks.by_ref().enumerate() {
            let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
            let ramp = ((8 * k) & 0xff) as u64 * 0x0101_0101_0101_0101 + 0x0706_0504_0302_0100;
            mismatch |= word ^ seed ^ ramp;
        }
        let done = value.len() - chunks.remainder().len();
        mismatch == 0 && chunks.remainder().iter().zip(done..).all(|(&b, j)| b == byte(i, j))
    }

    /// The index of `key`, if it is one of ours.
    pub fn index_of(&self, key: &[u8]) -> Option<usize> {
        let digits = key.strip_prefix(self.prefix.as_bytes())?;
        let i: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
        // `parse` takes "+7" and "007" too; only the key as written is ours.
        (i < self.len() && itoa::Buffer::new().format(i).as_bytes() == digits).then_some(i)
    }
}

/// A task's buffer for the keys of its current request (reused, so writing a key allocates nothing).
#[derive(Debug, Default)]
pub(crate) struct KeyBuf {
    text: String,
    ends: Vec<usize>,
}

impl KeyBuf {
    /// Key `i` of `space`.
    pub(crate) fn one(&mut self, space: &KeySpace, i: usize) -> &str {
        self.text.clear();
        space.push_key(i, &mut self.text);
        &self.text
    }

    /// The keys at `indices` of `space`, in order.
    pub(crate) fn many(&mut self, space: &KeySpace, indices: &[usize]) -> Vec<&str> {
        self.text.clear();
        self.ends.clear();
        for &i in indices {
            space.push_key(i, &mut self.text);
            self.ends.push(self.text.len());
        }
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let key = &self.text[start..end];
                start = end;
                key
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_holds_and_any_change_is_caught() {
        for size in [0, 1, 7, 8, 9, 100, 1000, 10240] {
            let space = KeySpace::new(40, size);
            for i in 0..space.len() {
                let value = space.value(i).to_vec();
                assert!(space.holds(i, &value), "size {size} key {i}");
                assert_eq!(space.index_of(space.key(i).as_bytes()), Some(i));
                assert_eq!(space.index_of(format!("memkit-bench:{size}:0{i}").as_bytes()), None);
                if size > 0 {
                    assert!(!space.holds((i + 1) % space.len(), &value), "another key's value, size {size}");
                    for j in [0, size / 2, size - 1] {
                        let mut bad = value.clone();
                        bad[j] ^= 1;
                        assert!(!space.holds(i, &bad), "flipped byte {j} of size {size}");
                    }
                }
                assert!(!space.holds(i, &[value.as_slice(), b"x"].concat()), "a longer value");
                assert_eq!(KeyBuf::default().one(&space, i), space.key(i));
            }
        }
        let space = KeySpace::new(40, 8);
        let mut buf = KeyBuf::default();
        assert_eq!(
            buf.many(&space, &[3, 0, 39, 3]),
            ["memkit-bench:8:3", "memkit-bench:8:0", "memkit-bench:8:39", "memkit-bench:8:3"]
        );
    }
}
