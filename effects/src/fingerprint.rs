//! Schema fingerprints: a hash of a type's serde shape, traced once per type and cached.
//!
//! The same algorithm as `memcache_client::typed::fingerprint` (serde-reflection trace, canonical JSON, first 8
//! bytes of its MD5), so a type declared cacheable for both crates gets the same fingerprint from each and values
//! written through one are read through the other. `effects-real` has a test that keeps the two in step; this
//! crate cannot depend on the client (it brings tokio's networking), so the 40 lines are repeated here.
//!
//! A type whose `Deserialize` cannot be traced (it parses strings, is `untagged` or uses `flatten`) gets
//! [`UNTRACEABLE`], which turns the check off: bump the version by hand, or override
//! [`Cacheable::schema_fingerprint`](crate::Cacheable::schema_fingerprint).

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use md5::{Digest, Md5};
use serde::de::DeserializeOwned;
use serde_reflection::{Tracer, TracerConfig};

/// The fingerprint meaning "unknown": the type could not be traced, so the check is skipped.
pub const UNTRACEABLE: u64 = 0;

/// The fingerprint of `T`'s serde shape, traced on first use and cached for the life of the process.
pub fn traced<T: DeserializeOwned + 'static>() -> u64 {
    static CACHE: OnceLock<Mutex<HashMap<TypeId, u64>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(&known) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&TypeId::of::<T>()) {
        return known;
    }
    let computed = trace::<T>();
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(TypeId::of::<T>(), computed);
    computed
}

fn trace<T: DeserializeOwned>() -> u64 {
    let mut tracer = Tracer::new(TracerConfig::default());
    let Ok((root, _samples)) = tracer.trace_simple_type::<T>() else { return UNTRACEABLE };
    let Ok(registry) = tracer.registry() else { return UNTRACEABLE };
    // BTreeMap order and serde_json's output are stable, so the same shape always hashes the same.
    let Ok(canonical) = serde_json::to_vec(&(root, registry)) else { return UNTRACEABLE };
    let digest = Md5::digest(&canonical);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    match u64::from_le_bytes(first) {
        UNTRACEABLE => 1,
        fingerprint => fingerprint,
    }
}
