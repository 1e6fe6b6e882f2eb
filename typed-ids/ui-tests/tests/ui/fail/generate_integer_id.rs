use typed_ids::{FixedClock, RandomSource, UuidId};

typed_ids::id!(pub CustomerId: u64, prefix = "cus");

struct Zeros;
impl RandomSource for Zeros {
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
}

fn main() {
    let _ = CustomerId::new_v7(&FixedClock(0), &mut Zeros);
}
