typed_ids::id! {
    pub CustomerId: u64, prefix = "cus";
    pub ProductId: u64, prefix = "prd";
}

fn load_product(id: ProductId) -> u64 {
    id.get()
}

fn main() {
    let customer = CustomerId::new(1);
    load_product(customer);
}
