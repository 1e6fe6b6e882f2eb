//! Handler tests on the deterministic sandbox: every endpoint's happy and sad paths, asserted by error code.

use effects::Effects;
use effects::sandbox::{CacheFault, Sandbox, Schedule, StoreFault};
use example_shop_handlers::handlers::{
    create_customer, create_product, get_customer, get_product, list_purchases, purchase,
};
use example_shop_handlers::{
    Customer, CustomerId, NewCustomer, NewProduct, NewPurchase, PAGE_SIZE, Product, ProductId, ShopError, decode_body,
};

fn customer(fx: &Sandbox, credits: u64) -> Customer {
    fx.run(create_customer(fx, NewCustomer::new("alice", credits))).unwrap()
}

fn product(fx: &Sandbox, price: u64) -> Product {
    fx.run(create_product(fx, NewProduct::new("sword", price))).unwrap()
}

fn code<T: std::fmt::Debug>(result: Result<T, ShopError>) -> &'static str {
    result.unwrap_err().code()
}

#[test]
fn customers_are_numbered_and_read_back() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 10);
    let bob = customer(&fx, 5);
    assert_eq!(alice.id.to_string(), "cus_1");
    assert_eq!(bob.id.to_string(), "cus_2");
    assert_eq!(fx.run(get_customer(&fx, bob.id)).unwrap(), bob);
}

#[test]
fn unknown_customer_is_customer_not_found() {
    let fx = Sandbox::new(1);
    assert_eq!(code(fx.run(get_customer(&fx, CustomerId::new(42)))), "customer_not_found");
}

#[test]
fn bad_names_are_invalid_body() {
    let fx = Sandbox::new(1);
    assert_eq!(code(fx.run(create_customer(&fx, NewCustomer::new("  ", 1)))), "invalid_body");
    assert_eq!(code(fx.run(create_product(&fx, NewProduct::new("x".repeat(201), 1)))), "invalid_body");
}

#[test]
fn bad_amounts_are_invalid_amount_and_write_nothing() {
    let fx = Sandbox::new(1);
    for body in [r#"{"name":"a","credits":-1}"#, r#"{"name":"a","credits":1.5}"#, r#"{"name":"a","credits":1e20}"#] {
        let req: NewCustomer = decode_body(body.as_bytes()).unwrap();
        assert_eq!(code(fx.run(create_customer(&fx, req))), "invalid_amount", "{body}");
    }
    let req: NewProduct = decode_body(br#"{"name":"a","price":-5}"#).unwrap();
    assert_eq!(code(fx.run(create_product(&fx, req))), "invalid_amount");
    assert_eq!(customer(&fx, 0).id.to_string(), "cus_1", "no number was used up");
}

#[test]
fn bodies_that_do_not_decode_are_invalid_body() {
    assert_eq!(code(decode_body::<NewCustomer>(b"{")), "invalid_body");
    assert_eq!(code(decode_body::<NewCustomer>(br#"{"name":"a"}"#)), "invalid_body");
    assert_eq!(code(decode_body::<NewCustomer>(br#"{"name":"a","credits":"10"}"#)), "invalid_body");
    assert_eq!(code(decode_body::<NewPurchase>(b"")), "invalid_body");
}

#[test]
fn products_are_cached_on_creation_and_read_from_the_cache() {
    let fx = Sandbox::new(1);
    let sword = product(&fx, 3);
    assert_eq!(sword.id.to_string(), "prd_1");
    assert_eq!(fx.run(get_product(&fx, sword.id)).unwrap(), sword);
    assert_eq!(fx.events().counter_with("shop_cache_reads_total", "result", "hit"), 1);
    assert_eq!(fx.events().counter_with("shop_cache_reads_total", "result", "miss"), 0);
    assert_eq!(code(fx.run(get_product(&fx, ProductId::new(2)))), "product_not_found");
}

#[test]
fn a_cached_value_of_another_schema_version_is_a_miss() {
    let fx = Sandbox::new(1);
    let sword = product(&fx, 3);
    let key = sword.id.cache_key();
    // Another deploy wrote version 0 of shop.Product under the same key, with other content.
    let stale = Product { name: "old deploy".into(), ..sword.clone() };
    fx.cache().plant_other_version(key.as_str(), 0, &stale, 60);
    assert_eq!(fx.run(get_product(&fx, sword.id)).unwrap(), sword, "served from the store, not the stale value");
    assert_eq!(fx.events().counter_with("cache_typed_rejected_total", "reason", "unexpected_version"), 1);
    assert_eq!(fx.events().counter_with("shop_cache_reads_total", "result", "miss"), 1);
    // The miss re-cached the current version: the next read hits.
    assert_eq!(fx.run(get_product(&fx, sword.id)).unwrap(), sword);
    assert_eq!(fx.events().counter_with("shop_cache_reads_total", "result", "hit"), 1);
}

#[test]
fn a_cache_that_is_down_still_serves_from_the_store() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 10);
    let sword = product(&fx, 3);
    fx.faults().cache(CacheFault::Down, Schedule::Always);
    assert_eq!(fx.run(get_product(&fx, sword.id)).unwrap(), sword);
    let receipt = fx.run(purchase(&fx, alice.id, NewPurchase::of(sword.id))).unwrap();
    assert_eq!(receipt.balance_after, 7);
    assert_eq!(fx.run(get_customer(&fx, alice.id)).unwrap().credits, 7);
    assert!(fx.events().logs().iter().any(|l| l.contains("cache invalidation failed")));
}

#[test]
fn a_store_that_is_down_is_store_unavailable() {
    let fx = Sandbox::new(1);
    fx.faults().store(Schedule::Always);
    assert_eq!(code(fx.run(create_customer(&fx, NewCustomer::new("a", 1)))), "store_unavailable");
    assert_eq!(code(fx.run(get_customer(&fx, CustomerId::new(1)))), "store_unavailable");
}

#[test]
fn a_purchase_debits_and_writes_a_receipt() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 10);
    let sword = product(&fx, 4);
    // Cache the customer first: the purchase must invalidate it.
    assert_eq!(fx.run(get_customer(&fx, alice.id)).unwrap().credits, 10);
    let receipt = fx.run(purchase(&fx, alice.id, NewPurchase::of(sword.id))).unwrap();
    assert_eq!(
        (receipt.customer_id, receipt.product_id, receipt.price, receipt.balance_after),
        (alice.id, sword.id, 4, 6)
    );
    assert_eq!(receipt.purchased_at, 1_700_000_000_000, "the sandbox clock, not the wall clock");
    assert_eq!(fx.run(get_customer(&fx, alice.id)).unwrap().credits, 6);
    let page = fx.run(list_purchases(&fx, alice.id, None)).unwrap();
    assert_eq!(page.purchases, vec![receipt]);
    assert_eq!(page.next_after, None);
}

#[test]
fn insufficient_credits_writes_nothing() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 3);
    let sword = product(&fx, 4);
    let err = fx.run(purchase(&fx, alice.id, NewPurchase::of(sword.id))).unwrap_err();
    assert!(matches!(err, ShopError::InsufficientCredits { balance: 3, price: 4, .. }), "{err:?}");
    assert_eq!(err.code(), "insufficient_credits");
    assert_eq!(err.status(), 402);
    assert_eq!(fx.run(get_customer(&fx, alice.id)).unwrap().credits, 3);
    assert!(fx.run(list_purchases(&fx, alice.id, None)).unwrap().purchases.is_empty());
}

#[test]
fn purchases_by_unknown_customers_or_of_unknown_products_are_not_found() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 3);
    let sword = product(&fx, 1);
    assert_eq!(code(fx.run(purchase(&fx, CustomerId::new(9), NewPurchase::of(sword.id)))), "customer_not_found");
    assert_eq!(code(fx.run(purchase(&fx, alice.id, NewPurchase::of(ProductId::new(9))))), "product_not_found");
    assert_eq!(code(fx.run(list_purchases(&fx, CustomerId::new(9), None))), "customer_not_found");
}

#[test]
fn a_customer_id_where_a_product_id_belongs_is_invalid_id() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 3);
    for bad in ["cus_1", "prd_x", "1", "", "prd_18446744073709551616"] {
        let req = NewPurchase { product_id: bad.into() };
        let err = fx.run(purchase(&fx, alice.id, req)).unwrap_err();
        assert!(matches!(err, ShopError::InvalidId(_)), "{bad}: {err:?}");
        assert_eq!(err.code(), "invalid_id");
    }
}

#[test]
fn fifty_concurrent_purchases_with_ten_credits_give_ten_receipts() {
    let fx = Sandbox::new(7);
    let alice = customer(&fx, 10);
    let gem = product(&fx, 1);
    let results =
        fx.run(futures_util::future::join_all((0..50).map(|_| purchase(&fx, alice.id, NewPurchase::of(gem.id)))));
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(ShopError::InsufficientCredits { .. }))).count();
    assert_eq!((ok, refused), (10, 40));
    assert_eq!(fx.run(get_customer(&fx, alice.id)).unwrap().credits, 0);
    assert_eq!(fx.run(list_purchases(&fx, alice.id, None)).unwrap().purchases.len(), 10);
}

#[test]
fn receipts_come_in_pages() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 1000);
    let gem = product(&fx, 1);
    for _ in 0..=PAGE_SIZE {
        fx.run(purchase(&fx, alice.id, NewPurchase::of(gem.id))).unwrap();
    }
    let first = fx.run(list_purchases(&fx, alice.id, None)).unwrap();
    assert_eq!(first.purchases.len(), PAGE_SIZE);
    let after = first.next_after.expect("a second page");
    assert_eq!(after, first.purchases[PAGE_SIZE - 1].id);
    let second = fx.run(list_purchases(&fx, alice.id, Some(after))).unwrap();
    assert_eq!(second.purchases.len(), 1);
    assert_eq!(second.next_after, None);
    assert!(!first.purchases.contains(&second.purchases[0]));
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let run = |seed| {
        let fx = Sandbox::new(seed);
        let alice = customer(&fx, 5);
        let gem = product(&fx, 2);
        fx.run(purchase(&fx, alice.id, NewPurchase::of(gem.id))).unwrap();
        fx.trace()
    };
    assert_eq!(run(3), run(3));
}

#[test]
fn a_purchase_that_loses_a_race_is_retried_with_fresh_reads() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 10);
    let gem = product(&fx, 4);
    // The store's next call, the first attempt's `begin`, loses a race.
    fx.faults().store_with(StoreFault::Conflict, Schedule::Next(1));
    let receipt = fx.run(purchase(&fx, alice.id, NewPurchase::of(gem.id))).unwrap();
    assert_eq!(receipt.balance_after, 6);
    assert_eq!(fx.events().counter_with("shop_tx_retries_total", "op", "purchase"), 1);
}

#[test]
fn a_store_busy_through_every_retry_is_store_busy_and_writes_nothing() {
    let fx = Sandbox::new(1);
    let alice = customer(&fx, 10);
    let gem = product(&fx, 4);
    fx.faults().store_with(StoreFault::Conflict, Schedule::Always);
    let err = fx.run(purchase(&fx, alice.id, NewPurchase::of(gem.id))).unwrap_err();
    assert!(matches!(err, ShopError::StoreBusy), "{err:?}");
    assert_eq!((err.code(), err.status()), ("store_busy", 503));
    assert_eq!(fx.events().counter_with("shop_tx_retries_total", "op", "purchase"), 2, "three attempts");
    assert_eq!(code(fx.run(create_product(&fx, NewProduct::new("x", 1)))), "store_busy");
    fx.faults().clear();
    assert_eq!(fx.run(get_customer(&fx, alice.id)).unwrap().credits, 10);
    assert!(fx.run(list_purchases(&fx, alice.id, None)).unwrap().purchases.is_empty());
}
