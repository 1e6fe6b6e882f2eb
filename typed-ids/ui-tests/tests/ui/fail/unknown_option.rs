typed_ids::id!(pub CustomerId: u64, colour = "red");
typed_ids::id!(pub ProductId: u64, prefix = "prd", prefix = "pro");
typed_ids::id!(pub OrderId: u64, serde = sometimes);

fn main() {}
