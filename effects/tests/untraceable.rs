//! A cacheable type whose shape cannot be traced is never cached by the in-memory cache either: every call says
//! why, under every policy, and read-through computes without storing.

use effects::memory::{MemoryCache, MemoryCacheConfig};
use effects::sandbox::{ManualClock, block_on};
use effects::{Cache, CacheError, DecodePolicy, SchemaError, Timestamp, cacheable};
use serde::{Deserialize, Serialize};

/// `untagged` makes serde call `deserialize_any`, which neither the tracer nor the binary codec can follow.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
enum Loose {
    Number(u64),
    Text(String),
}
cacheable!(Loose, "test.Loose", version = 1);

fn untraceable<T: std::fmt::Debug>(result: Result<T, CacheError>) {
    match result {
        Err(CacheError::Untraceable(SchemaError::Untraceable { type_name: "test.Loose", reason, .. })) => {
            assert!(reason.contains("deserialize_any"), "{reason}");
        }
        other => panic!("expected Untraceable(test.Loose), got {other:?}"),
    }
}

#[test]
fn every_call_fails_under_every_policy_and_nothing_is_stored() {
    for policy in [DecodePolicy::Strict, DecodePolicy::TreatAsMiss { delete: true }, DecodePolicy::default()] {
        let clock = ManualClock::new(Timestamp::from_unix_millis(1_700_000_000_000));
        let cache = MemoryCache::with_config(clock, MemoryCacheConfig::default().policy(policy));
        block_on(async {
            untraceable(cache.set("k", &Loose::Number(1), 60).await);
            untraceable(cache.add("k", &Loose::Number(1), 60).await);
            untraceable(cache.get::<Loose>("k").await);
            untraceable(cache.get_many::<Loose>(&["k"]).await);
            let mut runs = 0;
            for _ in 0..2 {
                let value = cache
                    .get_or_compute("k", 60, || {
                        runs += 1;
                        async { Ok::<_, ()>(Loose::Text("x".into())) }
                    })
                    .await;
                assert_eq!(value, Ok(Loose::Text("x".into())));
            }
            assert_eq!(runs, 2, "never served from the cache");
        });
        assert!(cache.is_empty(), "nothing stored under {policy:?}");
    }
}
