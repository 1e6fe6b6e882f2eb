//! Declarations with docs, derives, every repr and option; the explicit conversions. Compiled as a user's code is
//! (this is another crate than typed-ids), without a single warning.

#![deny(warnings)]
// The declarations are `pub`, as in a user's library; nothing in a test binary is reachable from outside.
#![allow(unreachable_pub)]

use std::collections::{BTreeMap, HashMap};

use typed_ids::ShortStr;
use typed_ids::uuid::Uuid;

mod ids {
    typed_ids::id! {
        /// A customer.
        #[derive(Default)]
        pub CustomerId: u64, prefix = "cus";

        /// A product.
        pub ProductId: u64, prefix = "prd",;

        /// Signed, with a prefix that has an underscore.
        pub LedgerEntryId: i64, prefix = "ledger_entry", serde = prefixed;

        /// No prefix, own cache namespace; options in any order.
        pub SeatId: u32, cache = "seat", serde = transparent;

        /// A UUID.
        pub OrderId: typed_ids::uuid::Uuid, prefix = "ord";

        /// A short string.
        pub Sku: typed_ids::ShortStr<16>, prefix = "sku";
    }

    // A single declaration, private to the module.
    typed_ids::id!(InternalId: u64);

    pub fn internal() -> u64 {
        InternalId::new(1).get()
    }
}

use ids::{CustomerId, LedgerEntryId, OrderId, ProductId, SeatId, Sku};

fn takes_customer(id: CustomerId) -> u64 {
    id.get()
}

fn generic<T: typed_ids::Id>(id: T) -> String {
    format!("{id} {}", id.cache_key())
}

const FIRST: CustomerId = CustomerId::new(1);

#[test]
fn declared_ids_convert_only_explicitly() {
    let customer = CustomerId::new(5);
    let _ = takes_customer(customer);
    let _ = takes_customer(customer); // Copy
    let _ = CustomerId::default();

    // Converting between ID types is allowed only explicitly, through the raw value.
    let product = ProductId::new(customer.get());
    assert_eq!(product.get(), 5);

    assert!(FIRST < customer);
    assert_eq!(customer, "cus_5".parse::<CustomerId>().unwrap());

    let mut by_id: HashMap<CustomerId, &str> = HashMap::new();
    by_id.insert(customer, "alice");
    let mut sorted: BTreeMap<ProductId, u8> = BTreeMap::new();
    sorted.insert(product, 1);

    let _ = LedgerEntryId::new(-1).to_string();
    let _ = SeatId::new(1).cache_key();
    let _ = OrderId::new(Uuid::nil());
    let _ = Sku::new(ShortStr::from_static("A-1"));
    let _ = generic(customer);
    let _ = ids::internal();
}
