//! Schema fingerprints: a hash of a type's serde shape, traced once per type and cached.
//!
//! [serde-reflection] drives the type's `Deserialize` impl with a tracing deserializer and records every container
//! it meets: struct and field names in order, enum variants in order, tuple arities, and the primitive, option,
//! sequence and map formats of every field, recursively. The fingerprint is a hash of that record.
//!
//! **What it catches** (without a version bump): a field added, removed, renamed, reordered or retyped; an enum
//! variant added, removed, renamed or reordered, or its payload changed; a change anywhere in a nested type,
//! enums nested in structs included (traced over as many passes as they need).
//!
//! **What it does not catch**: a change of meaning with the same shape (cents to dollars in a `u64`); changes in
//! serde attributes that alter encoding but not the traced shape (`default`, `skip_serializing_if`, `with = ...`
//! internals); changes inside a type whose `Deserialize` cannot be traced (it parses a string, uses
//! `deserialize_any` as `untagged` and `flatten` do, or validates its input). For such types tracing fails and
//! the fingerprint is 0, which turns the check off: bump the schema version by hand, or override
//! [`Cacheable::schema_fingerprint`](crate::Cacheable::schema_fingerprint). Renaming a Rust type changes the
//! fingerprint (readers then see a miss, never a wrong value).
//!
//! The algorithm (the trace as canonical JSON, the first 8 bytes of its MD5, little-endian) is part of the wire
//! format: fingerprints travel in every stored envelope, so changing it turns every cached value into a miss.
//!
//! [serde-reflection]: https://docs.rs/serde-reflection

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

/// How many passes over a type the tracer may take before giving up on it.
const MAX_PASSES: usize = 1024;

fn trace<T: DeserializeOwned>() -> u64 {
    // serde-reflection completes an enum by tracing it again after clearing its "incomplete" mark: it does that by
    // itself for a top-level enum only, and refuses to build the registry while an enum nested in `T` is incomplete
    // (`MissingVariants`, naming them). So do for the nested enums what it does for the top-level one: trace `T`
    // again, clearing the marks of the enums it named, until none is left. A type without nested enums finishes
    // in the first round exactly as before, so its fingerprint does not change.
    let mut nested: Vec<String> = Vec::new();
    loop {
        let mut tracer = Tracer::new(TracerConfig::default());
        let mut root = None;
        for _ in 0..MAX_PASSES {
            match tracer.trace_simple_type::<T>() {
                Ok((format, _samples)) => root = Some(format),
                Err(error) => return untraceable::<T>(&error),
            }
            // Every name is checked (which clears its mark), not just until the first incomplete one.
            let cleared = nested.iter().filter(|name| tracer.check_incomplete_enum(name).is_some()).count();
            if cleared == 0 {
                break;
            }
        }
        match tracer.registry() {
            Ok(registry) => return digest(&(root, registry)),
            Err(serde_reflection::Error::MissingVariants(missing))
                if missing.iter().any(|name| !nested.contains(name)) =>
            {
                nested.extend(missing);
                nested.sort();
                nested.dedup();
            }
            Err(error) => return untraceable::<T>(&error),
        }
    }
}

fn untraceable<T>(error: &serde_reflection::Error) -> u64 {
    tracing::debug!(type_name = std::any::type_name::<T>(), %error, "type cannot be traced; fingerprint off");
    UNTRACEABLE
}

fn digest(trace: &impl serde::Serialize) -> u64 {
    // BTreeMap order and serde_json's output are stable, so the same shape always hashes the same.
    let Ok(canonical) = serde_json::to_vec(trace) else { return UNTRACEABLE };
    let digest = Md5::digest(&canonical);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    match u64::from_le_bytes(first) {
        UNTRACEABLE => 1,
        fingerprint => fingerprint,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::{UNTRACEABLE, traced};

    #[test]
    fn fingerprint_is_stable_and_shape_sensitive() {
        #[derive(Serialize, Deserialize)]
        struct A {
            x: u32,
        }
        #[derive(Serialize, Deserialize)]
        #[serde(rename = "A")]
        struct B {
            x: u64,
        }
        let a = traced::<A>();
        assert_eq!(a, traced::<A>());
        assert_ne!(a, traced::<B>(), "a field's type changed");
        assert_ne!(a, UNTRACEABLE);
    }

    #[test]
    fn enums_inside_structs_are_traced_and_their_variants_count() {
        // Before: serde-reflection left a nested enum incomplete after one pass, so any struct with an enum field
        // got fingerprint 0 and no schema check at all.
        mod before {
            #[derive(serde::Serialize, serde::Deserialize)]
            pub(super) struct Order {
                pub(super) id: u64,
                pub(super) state: State,
                pub(super) history: Vec<State>,
            }
            #[derive(serde::Serialize, serde::Deserialize)]
            pub(super) enum State {
                Open,
                Paid { amount: u64 },
                Shipped(String),
            }
        }
        mod after {
            #[derive(serde::Serialize, serde::Deserialize)]
            pub(super) struct Order {
                pub(super) id: u64,
                pub(super) state: State,
                pub(super) history: Vec<State>,
            }
            #[derive(serde::Serialize, serde::Deserialize)]
            pub(super) enum State {
                Open,
                Paid { amount: u64 },
                Refunded { amount: u64 },
                Shipped(String),
            }
        }
        let before = traced::<before::Order>();
        assert_ne!(before, UNTRACEABLE, "a struct with an enum field is traced");
        assert_eq!(before, super::trace::<before::Order>(), "the same shape traces to the same fingerprint");
        assert_ne!(before, traced::<after::Order>(), "a variant inserted in a nested enum changes it");
    }

    #[test]
    fn untraceable_types_turn_the_check_off() {
        #[derive(Serialize, Deserialize)]
        #[serde(untagged)]
        enum Loose {
            Number(u64),
            Text(String),
        }
        assert_eq!(traced::<Loose>(), UNTRACEABLE);
    }

    /// Fingerprints are stored in every envelope, so the algorithm must not drift: these values were computed by
    /// the copies this module replaced (memcache-client's and effects'), and values in caches today carry them.
    #[test]
    fn fingerprints_match_the_ones_already_in_caches() {
        #[derive(Serialize, Deserialize)]
        struct Product {
            name: String,
            price: u64,
            tags: Vec<String>,
            size: Option<Size>,
            stock: BTreeMap<String, u32>,
        }
        #[derive(Serialize, Deserialize)]
        struct Size(u16, u16);
        #[derive(Serialize, Deserialize)]
        enum Kind {
            Plain,
            Weighted(u32),
            Nested { depth: u8, label: Option<String> },
        }
        assert_eq!(traced::<Product>(), 0xbd3d_ffbf_270a_d10c);
        assert_eq!(traced::<Kind>(), 0xcabd_8192_85b5_fa8a);
        assert_eq!(traced::<String>(), 0x481f_70ff_6b8b_9ac7);
    }
}
