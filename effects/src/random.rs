//! Randomness: one stream that ID generation also draws from.

use typed_ids::UuidId;
use typed_ids::uuid::Uuid;

use crate::clock::Clock;

/// A stream of random bytes. Production reads the operating system's generator; the sandbox's
/// [`SeededRandom`](crate::sandbox::SeededRandom) replays the same stream for the same seed.
///
/// Takes `&self` so one source can be shared by every handler; implementations synchronise internally.
pub trait Random: Send + Sync {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&self, dest: &mut [u8]);

    /// A random `u64`.
    fn next_u64(&self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// A number in `0..n`; `n` must be non-zero. Uses rejection sampling, so every value is equally likely.
    fn below(&self, n: u64) -> u64 {
        assert!(n > 0, "Random::below(0)");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

impl<R: Random + ?Sized> Random for &R {
    fn fill_bytes(&self, dest: &mut [u8]) {
        (**self).fill_bytes(dest);
    }
}

/// Adapts a [`Clock`] to [`typed_ids::Clock`], for [`UuidId::new_v7`].
#[derive(Debug, Clone, Copy)]
pub struct IdClock<'a, C: ?Sized>(pub &'a C);

impl<C: Clock + ?Sized> typed_ids::Clock for IdClock<'_, C> {
    fn unix_millis(&self) -> u64 {
        self.0.now().unix_millis()
    }
}

/// Adapts a [`Random`] to [`typed_ids::RandomSource`], for [`UuidId::new_v7`] and [`UuidId::new_v4`].
#[derive(Debug, Clone, Copy)]
pub struct IdRandom<'a, R: ?Sized>(pub &'a R);

impl<R: Random + ?Sized> typed_ids::RandomSource for IdRandom<'_, R> {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }
}

/// A time-ordered UUID (v7) from `clock` and `random`.
pub fn uuid_v7(clock: &(impl Clock + ?Sized), random: &(impl Random + ?Sized)) -> Uuid {
    typed_ids::uuid_v7(&IdClock(clock), &mut IdRandom(random))
}

/// A new time-ordered ID of type `I` from `clock` and `random`.
pub fn new_id<I: UuidId>(clock: &(impl Clock + ?Sized), random: &(impl Random + ?Sized)) -> I {
    I::new_v7(&IdClock(clock), &mut IdRandom(random))
}
