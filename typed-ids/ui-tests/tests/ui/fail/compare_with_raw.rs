typed_ids::id!(pub CustomerId: u64, prefix = "cus");

fn main() {
    let _ = CustomerId::new(1) == 1u64;
}
