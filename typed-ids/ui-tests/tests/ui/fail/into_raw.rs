typed_ids::id!(pub CustomerId: u64, prefix = "cus");

fn takes_raw(raw: u64) -> u64 {
    raw
}

fn main() {
    takes_raw(CustomerId::new(5));
}
