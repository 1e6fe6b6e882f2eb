//! UUID generation from an injected clock and random source.

use typed_ids::uuid::{Uuid, Version};
use typed_ids::{Clock, FixedClock, RandomSource, UuidId, uuid_v4_from_bytes, uuid_v7_from_parts};

use crate::ids::*;

/// Deterministic bytes: splitmix64 from a fixed seed.
struct SplitMix(u64);

impl RandomSource for SplitMix {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_be_bytes()[..chunk.len()]);
        }
    }
}

/// A clock the test moves by hand.
struct ManualClock(core::cell::Cell<u64>);

impl Clock for ManualClock {
    fn unix_millis(&self) -> u64 {
        self.0.get()
    }
}

const T0: u64 = 1_700_000_000_000;

#[test]
fn v7_ids_carry_the_injected_time() {
    let mut rng = SplitMix(42);
    let id = OrderId::new_v7(&FixedClock(T0), &mut rng);
    assert_eq!(id.get().get_version(), Some(Version::SortRand));
    let (secs, nanos) = id.get().get_timestamp().unwrap().to_unix();
    assert_eq!(secs * 1000 + u64::from(nanos) / 1_000_000, T0);
}

#[test]
fn same_seed_same_ids() {
    let make = || {
        let mut rng = SplitMix(7);
        let clock = FixedClock(T0);
        [(); 3].map(|()| OrderId::new_v7(&clock, &mut rng))
    };
    let first = make();
    assert_eq!(first, make());
    assert_ne!(first[0], first[1]);
}

#[test]
fn v7_ids_sort_by_time() {
    let clock = ManualClock(core::cell::Cell::new(T0));
    let mut rng = SplitMix(1);
    let mut ids = Vec::new();
    for step in 0..20 {
        clock.0.set(T0 + step);
        ids.push(SessionId::new_v7(&clock, &mut rng));
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // The text form sorts the same way (TypeID base32 is order-preserving).
    let texts: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut sorted_texts = texts.clone();
    sorted_texts.sort();
    assert_eq!(texts, sorted_texts);
}

#[test]
fn v4_ids_are_random_version() {
    let mut rng = SplitMix(3);
    let id = EventId::new_v4(&mut rng);
    assert_eq!(id.get().get_version(), Some(Version::Random));
}

#[test]
fn explicit_parts_match_the_trait_based_generation() {
    let mut bytes = [0u8; 10];
    SplitMix(9).fill_bytes(&mut bytes);
    let from_parts = uuid_v7_from_parts(T0, bytes);
    assert_eq!(OrderId::new_v7(&FixedClock(T0), &mut SplitMix(9)).get(), from_parts);

    let v4 = uuid_v4_from_bytes([0xff; 16]);
    assert_eq!(v4.get_version(), Some(Version::Random));
    assert_ne!(v4, Uuid::max());
}
