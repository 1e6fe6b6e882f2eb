mod ids {
    typed_ids::id!(pub CustomerId: u64, prefix = "cus");
}

use ids::CustomerId;

fn main() {
    let _c: CustomerId = 5;
}
