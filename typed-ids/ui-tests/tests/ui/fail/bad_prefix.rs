typed_ids::id!(pub CustomerId: u64, prefix = "Cus");
typed_ids::id!(pub ProductId: u64, prefix = "prd_");
typed_ids::id!(pub OrderId: u64, prefix = "or-d");

fn main() {}
