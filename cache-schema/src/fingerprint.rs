//! Schema fingerprints: a hash of a type's serde shape and its full Rust type, traced once per type and cached.
//!
//! [serde-reflection] drives the type's `Deserialize` impl with a tracing deserializer and records every container
//! it meets: struct and field names in order, enum variants in order (every variant, nested enums included),
//! tuple arities, and the primitive, option, sequence and map formats of every field, recursively. The fingerprint
//! is a hash of that record together with the type's full Rust name (`std::any::type_name`, so
//! `app::Entry<u64>` and `app::Entry<String>`, or `a::Item` and `b::Item`, never share one). When two different
//! types inside one carry the same serde name (`a::Address` and `b::Address`, or `Entry<u64>` and `Entry<String>`
//! as two fields), every container is named by its Rust type instead, so each keeps its own shape.
//!
//! **Why this mechanism.** Tracing `Deserialize` needs nothing from the user for most types and is the only way to
//! see *every* enum variant (a sample value shows one). Where it cannot go on its own, the declaration helps:
//!
//! 1. Traced as is. Integers are offered as 1 and byte buffers as 16 zero bytes, so `NonZero*`, `Uuid` and
//!    `Vec<u8>` trace without help.
//! 2. A type whose `Deserialize` parses or validates text (prefixed IDs, dates, `try_from` newtypes) rejects the
//!    tracer's placeholder values. Its declaration then gives samples,
//!    `cacheable!(T, "name", version = 1, samples = [...])`: each sample's `Serialize` output is traced, and
//!    structs, tuple structs and newtypes are replayed from those samples when `Deserialize` is traced. The
//!    fingerprint then covers what the samples reach: every `Option` must be `Some`, every collection non-empty,
//!    or tracing fails (loudly, see below); an enum nested in a sampled struct counts the variants the samples
//!    use, so give one sample per variant.
//! 3. Anything else fails **closed**: [`traced`] returns [`SchemaError::Untraceable`] naming the type and the
//!    reason, and every typed cache call on the type returns that error, so a type is never cached without its
//!    check. The one way around it is written at the declaration, `unchecked = "why"` (fingerprint
//!    [`UNCHECKED`]: only the version guards the type; values of checked types are never accepted for it).
//!
//! **What it catches** (without a version bump): a field added, removed, renamed, reordered or retyped; an enum
//! variant added, removed, renamed or reordered, or its payload changed; a change anywhere in a nested type; a
//! generic argument changed; the type moved or renamed in Rust (readers then see a miss, never a wrong value).
//!
//! **What it does not catch**: a change of meaning with the same shape (cents to dollars in a `u64`); serde
//! attributes that alter encoding but not the traced shape (`default`, `skip_serializing_if`, `with = ...`
//! internals); a changed validation rule with the same shape. **What fails** (an error, never a silent pass):
//! types using `deserialize_any` (`#[serde(untagged)]`, `flatten`, internally or adjacently tagged enums,
//! self-describing values such as `serde_json::Value`), which the binary codecs cannot decode anyway; a
//! validating type declared without samples; samples in which two *different* types inside one share a serde
//! name (rename one with `#[serde(rename = "...")]`).
//!
//! The algorithm (the trace and the Rust type name as canonical JSON, the first 8 bytes of its MD5, little-endian)
//! is part of the wire format: fingerprints travel in every stored envelope, so changing it turns every cached value
//! into a miss (a [`SchemaMismatch`-style rejection], never a wrong decode). Rust type names come from
//! `std::any::type_name`, whose text rustc does not promise to keep: a toolchain upgrade may change fingerprints
//! once, which readers see as misses, never as wrong values.
//!
//! [serde-reflection]: https://docs.rs/serde-reflection
//! [`SchemaMismatch`-style rejection]: crate::DecodePolicy

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use md5::{Digest, Md5};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_reflection::{Format, Registry, Samples, Tracer, TracerConfig};

use crate::{Cacheable, SchemaError};

/// The fingerprint of a type declared `unchecked = "why"`: no shape check, only the name and version guard it.
/// A reader with a real fingerprint never accepts it, nor the other way round.
pub const UNCHECKED: u64 = 0;

/// The fingerprint of `T`'s serde shape and Rust type, traced on first use (with [`Cacheable::schema_samples`] when
/// it needs them) and cached for the life of the process, errors included.
///
/// # Errors
/// [`SchemaError::Untraceable`] when the shape cannot be traced: see the [module docs](self) for what fails and
/// how to fix it at the declaration.
pub fn traced<T: Cacheable>() -> Result<u64, SchemaError> {
    static CACHE: OnceLock<Mutex<HashMap<TypeId, Result<u64, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let known = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&TypeId::of::<T>()).cloned();
    let result = match known {
        Some(known) => known,
        None => {
            // A `Deserialize` that panics on a placeholder value fails the trace, not the caller.
            let computed = std::panic::catch_unwind(|| trace::<T>(&T::schema_samples()))
                .unwrap_or_else(|_| Err("its Serialize or Deserialize panicked while being traced".to_owned()));
            if let Err(reason) = &computed {
                // Loud once per type and process; every call still returns the error.
                tracing::error!(
                    type_name = T::TYPE_NAME,
                    rust_type = std::any::type_name::<T>(),
                    reason,
                    "cacheable type cannot be traced: its values will not be cached"
                );
            }
            cache.lock().unwrap_or_else(|e| e.into_inner()).insert(TypeId::of::<T>(), computed.clone());
            computed
        }
    };
    result.map_err(|reason| SchemaError::Untraceable {
        type_name: T::TYPE_NAME,
        rust_type: std::any::type_name::<T>(),
        reason,
    })
}

/// How many passes over a type the tracer may take before giving up on it.
const MAX_PASSES: usize = 1024;

/// The fingerprint of `T`'s serde shape alone, without its Rust type name, traced afresh on every call.
///
/// For tests that must show a fingerprint follows the *shape*: two versions of a type in one test binary
/// necessarily live at different paths, so their [`traced`] fingerprints differ whatever their shapes.
///
/// # Errors
/// As [`traced`].
#[doc(hidden)]
pub fn shape_only<T: Cacheable>() -> Result<u64, SchemaError> {
    trace_shape::<T>(&T::schema_samples()).and_then(|(root, registry)| digest(&(root, registry))).map_err(|reason| {
        SchemaError::Untraceable { type_name: T::TYPE_NAME, rust_type: std::any::type_name::<T>(), reason }
    })
}

/// Traces `T`, by itself or, when its `Deserialize` rejects the tracer's placeholders, from `samples`.
fn trace<T: Serialize + DeserializeOwned>(samples: &[T]) -> Result<u64, String> {
    let (root, registry) = trace_shape::<T>(samples)?;
    digest(&(std::any::type_name::<T>(), root, registry))
}

fn trace_shape<T: Serialize + DeserializeOwned>(samples: &[T]) -> Result<Trace, String> {
    let plain = || Ok((Tracer::new(config()), Samples::new()));
    let traced = match trace_rounds::<T>(&plain, false) {
        // Two different types under one serde name inside `T`: name each container by its Rust type instead. Only
        // then, so the fingerprints of every other type do not depend on how rustc prints visitor types.
        Err(serde_reflection::Error::Incompatible(..)) => trace_rounds::<T>(&plain, true),
        other => other,
    };
    match traced {
        Ok(done) => Ok(done),
        // A `deserialize_any` type cannot be decoded by the binary codecs, whatever the samples say.
        Err(error @ serde_reflection::Error::NotSupported(_)) => Err(explain(&error, false)),
        Err(error) if samples.is_empty() => Err(explain(&error, false)),
        Err(_) => trace_rounds::<T>(
            &|| {
                let mut tracer = Tracer::new(sampling(config()));
                let mut recorded = Samples::new();
                for sample in samples {
                    tracer.trace_value(&mut recorded, sample)?;
                }
                Ok((tracer, recorded))
            },
            false,
        )
        .map_err(|error| explain(&error, true)),
    }
}

/// Placeholder values the common validating types accept: 1 for `NonZero*`, 16 bytes for a binary `Uuid`. Only
/// values change, never the recorded shape.
fn config() -> TracerConfig {
    TracerConfig::default()
        .default_u8_value(1)
        .default_u16_value(1)
        .default_u32_value(1)
        .default_u64_value(1)
        .default_u128_value(1)
        .default_i8_value(1)
        .default_i16_value(1)
        .default_i32_value(1)
        .default_i64_value(1)
        .default_i128_value(1)
        .default_borrowed_bytes_value(&[0; 16])
        .default_byte_buf_value(vec![0; 16])
}

/// Replays recorded samples wherever a named container is deserialized.
fn sampling(config: TracerConfig) -> TracerConfig {
    config
        .record_samples_for_newtype_structs(true)
        .record_samples_for_tuple_structs(true)
        .record_samples_for_structs(true)
}

type Trace = (Option<Format>, Registry);
type MakeTracer<'a> = dyn Fn() -> Result<(Tracer, Samples), serde_reflection::Error> + 'a;

/// Traces `T` with tracers from `make` until every enum in it, nested ones included, is complete; with `renamed`,
/// every container is named by its Rust type (see [`rename`]).
fn trace_rounds<T: DeserializeOwned>(make: &MakeTracer<'_>, renamed: bool) -> Result<Trace, serde_reflection::Error> {
    // serde-reflection completes an enum by tracing it again after clearing its "incomplete" mark: it does that by
    // itself for a top-level enum only, and refuses to build the registry while an enum nested in `T` is incomplete
    // (`MissingVariants`, naming them). So do for the nested enums what it does for the top-level one: trace `T`
    // again, clearing the marks of the enums it named, until none is left.
    let mut nested: Vec<String> = Vec::new();
    loop {
        let (mut tracer, samples) = make()?;
        let mut root = None;
        for _ in 0..MAX_PASSES {
            let format = if renamed {
                tracer.trace_type_with_seed(&samples, rename::Seed::<T>::new())?.0
            } else {
                tracer.trace_type::<T>(&samples)?.0
            };
            root = Some(format);
            // Every name is checked (which clears its mark), not just until the first incomplete one.
            let cleared = nested.iter().filter(|name| tracer.check_incomplete_enum(name).is_some()).count();
            if cleared == 0 {
                break;
            }
        }
        match tracer.registry() {
            Ok(registry) => return Ok((root, registry)),
            Err(serde_reflection::Error::MissingVariants(missing))
                if missing.iter().any(|name| !nested.contains(name)) =>
            {
                nested.extend(missing);
                nested.sort();
                nested.dedup();
            }
            Err(error) => return Err(error),
        }
    }
}

/// Why tracing failed and what to write at the declaration, for [`SchemaError::Untraceable`].
fn explain(error: &serde_reflection::Error, with_samples: bool) -> String {
    use serde_reflection::Error as E;
    match error {
        E::NotSupported(what) => format!(
            "its Deserialize calls {what} (serde `untagged`, `flatten`, an internally or adjacently tagged enum, or a \
             self-describing value such as serde_json::Value), which the binary codecs cannot decode; give the type \
             a fixed shape"
        ),
        E::Incompatible(a, b) => format!(
            "two different shapes under one serde name ({a} and {b}): two types with the same name (in different \
             modules, or two instantiations of one generic type) inside it, which samples cannot tell apart; \
             rename one with #[serde(rename = \"...\")]"
        ),
        E::UnknownFormatInContainer(name) => format!(
            "the samples leave part of {name} unknown: every Option in a sample must be Some and every collection \
             non-empty"
        ),
        E::UnknownFormat => {
            "the samples leave part of the type unknown: every Option in a sample must be Some and every collection \
             non-empty"
                .to_owned()
        }
        E::Custom(_) | E::DeserializationError(_) | E::UnexpectedDeserializationFormat(..) if !with_samples => {
            format!(
                "its Deserialize rejected the tracer's placeholder value ({error}): it parses or validates its \
                 input; give samples at the declaration, `cacheable!(T, \"name\", version = N, samples = [...])`"
            )
        }
        other if with_samples => format!("tracing from the declared samples failed: {other}"),
        other => format!("tracing failed: {other}"),
    }
}

fn digest(trace: &impl Serialize) -> Result<u64, String> {
    // BTreeMap order and serde_json's output are stable, so the same shape always hashes the same.
    let canonical = serde_json::to_vec(trace).map_err(|error| format!("the trace did not serialise: {error}"))?;
    let digest = Md5::digest(&canonical);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    Ok(match u64::from_le_bytes(first) {
        UNCHECKED => 1,
        fingerprint => fingerprint,
    })
}

mod rename;
#[cfg(test)]
mod tests;
