//! Every type the shop caches is schema-checked on a real memcached: a field retyped without a version bump is
//! rejected (`SchemaMismatch` under `Strict`, a miss by default), never decoded. A team copying the template gets
//! the check, not a silent fingerprint of 0.

use effects::{Cache, CacheError, Cacheable, DecodePolicy, RejectReason, Schema, cacheable, fingerprint};
use effects_real::MemcachedCache;
use example_shop_handlers::{Customer, CustomerId, Product, ProductId, PurchaseId, PurchasePage, Receipt};
use memkit_testkit::Memcached;
use serde::{Deserialize, Serialize};
use typed_ids::uuid::Uuid;

/// The shop's cached types with one field narrowed (`u64` to `u32`) and the version left alone: the mistake the
/// fingerprint exists to catch.
mod narrowed {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub(crate) struct Customer {
        pub(crate) id: CustomerId,
        pub(crate) name: String,
        pub(crate) credits: u32,
    }
    cacheable!(
        Customer,
        "shop.Customer",
        version = 1,
        samples = [Customer { id: CustomerId::new(1), name: String::new(), credits: 0 }]
    );

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub(crate) struct Product {
        pub(crate) id: ProductId,
        pub(crate) name: String,
        pub(crate) price: u32,
    }
    cacheable!(
        Product,
        "shop.Product",
        version = 1,
        samples = [Product { id: ProductId::new(1), name: String::new(), price: 0 }]
    );

    /// The change is two levels down, in the receipts.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub(crate) struct Receipt {
        pub(crate) id: PurchaseId,
        pub(crate) customer_id: CustomerId,
        pub(crate) product_id: ProductId,
        pub(crate) price: u32,
        pub(crate) balance_after: u64,
        pub(crate) purchased_at: u64,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub(crate) struct PurchasePage {
        pub(crate) purchases: Vec<Receipt>,
        pub(crate) next_after: Option<PurchaseId>,
    }
    cacheable!(
        PurchasePage,
        "shop.PurchasePage",
        version = 1,
        samples = [PurchasePage {
            purchases: vec![Receipt {
                id: PurchaseId::new(Uuid::from_u128(1)),
                customer_id: CustomerId::new(1),
                product_id: ProductId::new(1),
                price: 0,
                balance_after: 0,
                purchased_at: 0,
            }],
            next_after: Some(PurchaseId::new(Uuid::from_u128(2))),
        }]
    );
}

fn customer() -> Customer {
    Customer { id: CustomerId::new(7), name: "Ada".into(), credits: 100 }
}

fn product() -> Product {
    Product { id: ProductId::new(3), name: "Lamp".into(), price: 40 }
}

fn page() -> PurchasePage {
    let receipt = Receipt {
        id: PurchaseId::new(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)),
        customer_id: CustomerId::new(7),
        product_id: ProductId::new(3),
        price: 40,
        balance_after: 60,
        purchased_at: 1_700_000_000_000,
    };
    PurchasePage { purchases: vec![receipt], next_after: None }
}

/// Writes `value` as the shop does, then reads it back as `Changed` under both policies.
async fn rejected_as_changed<
    T: Cacheable + PartialEq + std::fmt::Debug,
    Changed: Cacheable + PartialEq + std::fmt::Debug,
>(
    cache: &MemcachedCache,
    key: &str,
    value: T,
) {
    let shop = Schema::of::<T>().unwrap_or_else(|e| panic!("the shop's {} must be traced: {e}", T::TYPE_NAME));
    let changed = Schema::of::<Changed>().unwrap();
    assert_eq!((shop.type_name, shop.version), (changed.type_name, changed.version), "same name, same version");
    assert_ne!(
        fingerprint::shape_only::<T>().unwrap(),
        fingerprint::shape_only::<Changed>().unwrap(),
        "{}: the narrowed field is in the traced shape, not only in the Rust path",
        T::TYPE_NAME
    );

    assert!(cache.set(key, &value, 300).await.unwrap().is_stored());
    assert_eq!(cache.get::<T>(key).await.unwrap(), Some(value), "the shop reads its own value");
    let strict = cache.clone().with_policy(DecodePolicy::Strict);
    match strict.get::<Changed>(key).await {
        Err(CacheError::Rejected { reason: RejectReason::SchemaMismatch, type_name, key: got }) => {
            assert_eq!((type_name, got.as_str()), (T::TYPE_NAME, key));
        }
        other => panic!("{}: expected SchemaMismatch, got {other:?}", T::TYPE_NAME),
    }
    assert_eq!(cache.get::<Changed>(key).await.unwrap(), None, "{}: a miss by default", T::TYPE_NAME);
}

#[tokio::test]
async fn every_cached_shop_type_rejects_a_retyped_field() {
    let server = Memcached::start();
    let client = memcache_client::Client::new(&server.addr()).unwrap();
    let cache = MemcachedCache::new(client);
    rejected_as_changed::<Customer, narrowed::Customer>(&cache, "shop.Customer:v1:cus_7", customer()).await;
    rejected_as_changed::<Product, narrowed::Product>(&cache, "shop.Product:v1:prd_3", product()).await;
    rejected_as_changed::<PurchasePage, narrowed::PurchasePage>(&cache, "shop.PurchasePage:v1:cus_7", page()).await;
}
