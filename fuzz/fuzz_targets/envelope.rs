//! Arbitrary bytes into the typed-value envelope ([`envelope::decode`]), for two schema types and both codecs
//! (bincode, postcard).
//!
//! The coverage-guided counterpart of the envelope targets in `memcache-client/tests/fuzz.rs`. Half the inputs are
//! taken as whole envelopes (arbitrary client flags or [`ENVELOPE_FLAGS`]), so the header checks are fuzzed; the
//! other half are payloads behind a valid header of the chosen type and codec (with an honest payload length), so
//! the codec itself meets the bytes. Checks:
//!
//! - nothing panics;
//! - an error is a rejection of the value ([`memcache_client::Error::is_rejected_value`]), never anything else;
//! - whatever decodes re-encodes and decodes to the same value;
//! - decoding is bounded: the memory a decode holds at its peak (measured by a counting global allocator) stays
//!   within [`ALLOC_FACTOR`] times the input length plus [`ALLOC_SLACK`] plus [`SERDE_CAP`] for each collection
//!   these types can have open at once ([`OPEN_COLLECTIONS`]). The [`Codec`] contract promises a small multiple
//!   (bincode: 32 times) plus serde's own cap on trusting a claimed sequence or map length; the factor leaves
//!   room for container overhead (B-tree nodes, boxes) and still catches any allocation sized by a length the
//!   input merely claims beyond serde's cap.
//!
//! This target found that bincode 2's serde mode reports a claimed sequence length to serde unchecked (and
//! postcard a claimed map length), so 5 bytes could reserve 1 MiB: the contract now states serde's cap, and the
//! inputs are regression tests in `memcache-client/tests/fuzz.rs`.
//!
//! Input: a mode byte, client flags (`u32`), then the envelope or payload bytes.

#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;
use memcache_client::typed::{Bincode, Codec, ENVELOPE_FLAGS, Postcard, Schema, envelope};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The memory a decode may hold at its peak, per byte of input...
const ALLOC_FACTOR: usize = 128;
/// ...plus this much, whatever the input...
const ALLOC_SLACK: usize = 64 * 1024;
/// ...plus what serde may reserve on a claimed collection length: `serde::de::size_hint::cautious` caps the
/// element count at 1 MiB worth of elements, which a hash map's table (buckets rounded up to a power of two, control
/// bytes) holds in up to about 2.5 MiB...
const SERDE_CAP: usize = 4 * 1024 * 1024;
/// ...for each collection open at once: `Payload` and `Event` nest none inside another (a `Vec<String>`'s strings
/// are read whole, and a `parent` is only decoded once the collections before it are complete).
const OPEN_COLLECTIONS: usize = 1;

#[path = "../../memcache-client/tests/fuzz_fixtures/mod.rs"]
mod fuzz_fixtures;

use fuzz_fixtures::{EVENT, Event, PAYLOAD, Payload};

const KEY: &[u8] = b"fuzz:key";

fuzz_target!(|input: (u8, u32, &[u8])| {
    let (mode, flags, bytes) = input;
    if mode & 1 == 0 {
        // A whole envelope, as read from the cache.
        let flags = if mode & 2 == 0 { ENVELOPE_FLAGS } else { flags };
        check::<Payload, Bincode>(&PAYLOAD, flags, bytes);
        check::<Payload, Postcard>(&PAYLOAD, flags, bytes);
        check::<Event, Bincode>(&EVENT, flags, bytes);
        check::<Event, Postcard>(&EVENT, flags, bytes);
    } else {
        // A payload behind a valid header, so the codec meets the bytes.
        match (mode >> 1) & 3 {
            0 => check::<Payload, Bincode>(&PAYLOAD, ENVELOPE_FLAGS, &behind_header::<Bincode>(&PAYLOAD, bytes)),
            1 => check::<Payload, Postcard>(&PAYLOAD, ENVELOPE_FLAGS, &behind_header::<Postcard>(&PAYLOAD, bytes)),
            2 => check::<Event, Bincode>(&EVENT, ENVELOPE_FLAGS, &behind_header::<Bincode>(&EVENT, bytes)),
            _ => check::<Event, Postcard>(&EVENT, ENVELOPE_FLAGS, &behind_header::<Postcard>(&EVENT, bytes)),
        }
    }
});

/// A valid envelope header of `schema` written by `C`, with `payload` behind it.
fn behind_header<C: Codec>(schema: &Schema, payload: &[u8]) -> Vec<u8> {
    let mut out = envelope::encode::<_, C>(schema, KEY, &()).expect("encode a unit");
    out.truncate(21 + schema.type_name.len());
    let len = u32::try_from(payload.len()).expect("fuzz inputs are small");
    out[16..20].copy_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn check<T, C>(schema: &Schema, flags: u32, bytes: &[u8])
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
    C: Codec,
{
    let (decoded, peak) = measure(|| envelope::decode::<T, C>(schema, KEY, flags, bytes));
    let bound = ALLOC_FACTOR * bytes.len() + ALLOC_SLACK + SERDE_CAP * OPEN_COLLECTIONS;
    assert!(
        peak <= bound,
        "decoding {} bytes as {} with {} held {peak} bytes at its peak (bound {bound}); result {decoded:?}",
        bytes.len(),
        schema.type_name,
        C::NAME,
    );
    match decoded {
        Ok(value) => {
            let again = envelope::encode::<_, C>(schema, KEY, &value).expect("re-encode a decoded value");
            let back = envelope::decode::<T, C>(schema, KEY, ENVELOPE_FLAGS, &again);
            assert_eq!(
                back.as_ref().ok(),
                Some(&value),
                "{} with {}: re-encoded as {again:?}",
                schema.type_name,
                C::NAME
            );
        }
        Err(e) => assert!(e.is_rejected_value(), "not a rejection: {e:?}"),
    }
}

/// Runs `f`, returning its result and the most memory held at once while it ran, beyond what was held before.
fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let result = f();
    (result, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// The system allocator, counting the bytes live and the peak (libFuzzer runs the target on one thread).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(size: usize) {
    LIVE.fetch_sub(size, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;
