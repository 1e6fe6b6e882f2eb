//! Operating-system randomness.

use effects::Random;

/// The operating system's generator (`getrandom`): unpredictable, so suitable for IDs that must not be guessed.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    /// # Panics
    /// If the operating system's generator fails, which on supported platforms means the system is unusable.
    fn fill_bytes(&self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the operating system's random generator failed");
    }
}
