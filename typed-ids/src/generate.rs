//! UUID generation from an injected clock and random source.
//!
//! Nothing here reads the system clock or an ambient random generator: callers pass
//! them in, so a deterministic sandbox (fixed time, seeded bytes) yields the same IDs on
//! every run.

use uuid::{Builder, Uuid};

use crate::id::Id;

/// A source of the current time for UUIDv7 generation.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn unix_millis(&self) -> u64;
}

/// A source of random bytes for UUID generation.
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    fn fill_bytes(&mut self, dest: &mut [u8]);
}

impl<C: Clock + ?Sized> Clock for &C {
    fn unix_millis(&self) -> u64 {
        (**self).unix_millis()
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        (**self).fill_bytes(dest);
    }
}

/// A clock that always reads the same instant; for tests and replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn unix_millis(&self) -> u64 {
        self.0
    }
}

/// Builds a UUIDv7 from a timestamp and 10 random bytes (74 of whose bits are used).
///
/// The timestamp is truncated to the 48 bits that UUIDv7 holds.
#[must_use]
pub fn uuid_v7_from_parts(unix_millis: u64, random: [u8; 10]) -> Uuid {
    Builder::from_unix_timestamp_millis(unix_millis, &random).into_uuid()
}

/// Builds a UUIDv4 from 16 random bytes (122 of whose bits are used).
#[must_use]
pub fn uuid_v4_from_bytes(random: [u8; 16]) -> Uuid {
    Builder::from_random_bytes(random).into_uuid()
}

/// Generates a UUIDv7 reading `clock` and `rng`.
pub fn uuid_v7(clock: &(impl Clock + ?Sized), rng: &mut (impl RandomSource + ?Sized)) -> Uuid {
    let mut random = [0u8; 10];
    rng.fill_bytes(&mut random);
    uuid_v7_from_parts(clock.unix_millis(), random)
}

/// Generates a UUIDv4 reading `rng`.
pub fn uuid_v4(rng: &mut (impl RandomSource + ?Sized)) -> Uuid {
    let mut random = [0u8; 16];
    rng.fill_bytes(&mut random);
    uuid_v4_from_bytes(random)
}

/// Generation for UUID-backed IDs; implemented for every [`Id`] whose repr is [`Uuid`].
///
/// ```
/// use typed_ids::{FixedClock, RandomSource, UuidId};
///
/// typed_ids::id!(pub OrderId: uuid::Uuid, prefix = "ord");
///
/// /// Counts up: deterministic bytes for the example.
/// struct Counter(u8);
/// impl RandomSource for Counter {
///     fn fill_bytes(&mut self, dest: &mut [u8]) {
///         for b in dest {
///             self.0 = self.0.wrapping_add(1);
///             *b = self.0;
///         }
///     }
/// }
///
/// let clock = FixedClock(1_700_000_000_000);
/// let mut rng = Counter(0);
/// let a = OrderId::new_v7(&clock, &mut rng);
/// let b = OrderId::new_v7(&clock, &mut rng);
/// assert_eq!(a.get().get_version_num(), 7);
/// assert_ne!(a, b);
/// assert!(a.to_string().starts_with("ord_01hf"));
/// ```
pub trait UuidId: Id<Repr = Uuid> {
    /// A new time-ordered ID (UUIDv7) from `clock` and `rng`.
    fn new_v7(clock: &(impl Clock + ?Sized), rng: &mut (impl RandomSource + ?Sized)) -> Self {
        Self::new(uuid_v7(clock, rng))
    }

    /// A new random ID (UUIDv4) from `rng`.
    fn new_v4(rng: &mut (impl RandomSource + ?Sized)) -> Self {
        Self::new(uuid_v4(rng))
    }
}

impl<T: Id<Repr = Uuid>> UuidId for T {}
