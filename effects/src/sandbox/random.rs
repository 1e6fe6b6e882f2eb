//! The seeded random stream.

use std::sync::Mutex;

use crate::random::Random;

/// xoshiro256** seeded through SplitMix64: the same seed always yields the same stream, on every platform.
/// Not for secrets.
///
/// ```
/// use effects::Random;
/// use effects::sandbox::SeededRandom;
/// assert_eq!(SeededRandom::new(1).next_u64(), SeededRandom::new(1).next_u64());
/// assert_ne!(SeededRandom::new(1).next_u64(), SeededRandom::new(2).next_u64());
/// ```
#[derive(Debug)]
pub struct SeededRandom {
    state: Mutex<[u64; 4]>,
}

impl SeededRandom {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self { state: Mutex::new([next(), next(), next(), next()]) }
    }

    fn step(s: &mut [u64; 4]) -> u64 {
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl Random for SeededRandom {
    fn fill_bytes(&self, dest: &mut [u8]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in dest.chunks_mut(8) {
            let bytes = Self::step(&mut state).to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
