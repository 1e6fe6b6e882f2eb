typed_ids::id! {
    pub CustomerId: u64, prefix = "cus";
    pub ProductId: u64, prefix = "prd";
}

fn main() {
    let customer = CustomerId::new(1);
    let product = ProductId::new(1);
    let _ = customer == product;
}
