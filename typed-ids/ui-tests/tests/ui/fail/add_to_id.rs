typed_ids::id!(pub CustomerId: u64, prefix = "cus");

fn main() {
    let customer = CustomerId::new(1);
    let _ = customer + 1;
}
