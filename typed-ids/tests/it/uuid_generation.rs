//! UUID IDs are generated from an injected clock and random source.

#![deny(warnings)]
#![allow(unreachable_pub)]

use typed_ids::{Clock, RandomSource, UuidId};

typed_ids::id!(pub OrderId: typed_ids::uuid::Uuid, prefix = "ord");

struct Frozen;
impl Clock for Frozen {
    fn unix_millis(&self) -> u64 {
        1_700_000_000_000
    }
}

struct Zeros;
impl RandomSource for Zeros {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
}

#[test]
fn uuid_ids_come_from_the_injected_clock_and_random_source() {
    let a = OrderId::new_v7(&Frozen, &mut Zeros);
    let b = OrderId::new_v4(&mut Zeros);
    assert_ne!(a, b);
}
