mod ids {
    typed_ids::id!(pub CustomerId: u64, prefix = "cus");
}

fn main() {
    let _c = ids::CustomerId(5);
}
