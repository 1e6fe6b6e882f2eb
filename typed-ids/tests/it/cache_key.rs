//! Cache keys: `namespace:value`, memcached-safe.

use typed_ids::uuid::Uuid;
use typed_ids::{CacheKey, Id, ShortStr};

use crate::ids::*;

#[test]
fn keys_are_namespace_colon_plain_value() {
    assert_eq!(CustomerId::new(123).cache_key().as_str(), "customer:123");
    assert_eq!(LedgerEntryId::new(-1).cache_key().as_str(), "ledger_entry:-1");
    assert_eq!(SeatId::new(4).cache_key().as_str(), "seat:4");
    assert_eq!(CounterId::new(4).cache_key().as_str(), "ctr:4");
    assert_eq!(OrderId::new(SPEC_UUID).cache_key().as_str(), "order:01890a5d-ac96-774b-bcce-b302099a8057");
    assert_eq!(Sku::new(ShortStr::from_static("MUG-1")).cache_key().as_str(), "sku:MUG-1");
    assert_eq!(ExternalRef::new(ShortStr::from_static("r")).cache_key().as_str(), "external_ref:r");
}

#[test]
fn key_accessors_agree() {
    let key = CustomerId::new(9).cache_key();
    assert_eq!(key, CacheKey::of(&CustomerId::new(9)));
    assert_eq!(key, Id::cache_key(&CustomerId::new(9)));
    assert_eq!(key.as_bytes(), b"customer:9");
    assert_eq!(key.to_string(), "customer:9");
    assert_eq!(String::from(key.clone()), "customer:9");
    assert_eq!(key.into_string(), "customer:9");
}

#[test]
fn types_with_the_same_value_get_different_keys() {
    assert_ne!(CustomerId::new(1).cache_key(), ProductId::new(1).cache_key());
}

/// memcached's rule for text-protocol keys: at most 250 bytes, no control characters or
/// whitespace.
fn is_memcached_safe(key: &str) -> bool {
    !key.is_empty() && key.len() <= 250 && key.bytes().all(|b| b.is_ascii_graphic())
}

#[test]
fn longest_keys_are_memcached_safe() {
    let keys = [
        CustomerId::new(u64::MAX).cache_key(),
        LedgerEntryId::new(i64::MIN).cache_key(),
        SeatId::new(u32::MAX).cache_key(),
        OrderId::new(Uuid::max()).cache_key(),
        Sku::new(ShortStr::from_static("ABCDEFGHIJKL")).cache_key(),
    ];
    for key in keys {
        assert!(is_memcached_safe(key.as_str()), "{key}");
    }
}

proptest::proptest! {
    #![proptest_config(crate::fixed_seed())]

    #[test]
    fn every_key_is_memcached_safe(raw: u64, text in "[A-Za-z0-9._-]{1,12}") {
        proptest::prop_assert!(is_memcached_safe(CustomerId::new(raw).cache_key().as_str()));
        let sku = Sku::new(ShortStr::new(&text).unwrap());
        proptest::prop_assert!(is_memcached_safe(sku.cache_key().as_str()));
    }
}
