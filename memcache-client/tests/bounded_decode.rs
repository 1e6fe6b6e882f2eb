//! No envelope makes the decoder allocate more than a small multiple of its own length: measured with dhat's
//! counting allocator on hostile payloads that claim enormous strings, byte buffers and sequences.

use memcache_client::typed::envelope::{self, ENVELOPE_FLAGS, Schema};
use memcache_client::typed::{Bincode, Codec};
use memcache_client::{Error, Rejection};
use serde::{Deserialize, Serialize};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[derive(Serialize, Deserialize, Debug)]
struct Victim {
    id: u64,
    name: String,
    blob: Vec<u8>,
    list: Vec<u64>,
    nested: Vec<Vec<String>>,
}

const SCHEMA: Schema = Schema { type_name: "test.Victim", version: 1, fingerprint: 0 };

/// An envelope around `payload` with a valid header, so decoding reaches the codec.
fn enveloped<C: Codec>(payload: &[u8]) -> Vec<u8> {
    let mut bytes = envelope::encode::<(), C>(&SCHEMA, b"k", &()).expect("header");
    bytes[16..20].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

fn huge_varint() -> Vec<u8> {
    let mut v = vec![253]; // bincode varint: a u64 follows
    v.extend_from_slice(&(1u64 << 40).to_le_bytes());
    v
}

#[test]
fn hostile_length_claims_allocate_little() {
    let hostile: Vec<Vec<u8>> = vec![
        [&[1u8][..], &huge_varint()].concat(),          // name claims 1 TiB
        [&[1u8, 0][..], &huge_varint()].concat(),       // blob claims 1 TiB
        [&[1u8, 0, 0][..], &huge_varint()].concat(),    // list claims 2^40 u64s
        [&[1u8, 0, 0, 0][..], &huge_varint()].concat(), // nested claims 2^40 vecs
        [&[1u8, 0, 0, 0, 1][..], &huge_varint(), &[0u8; 3][..]].concat(), // inner vec claims 2^40
    ];
    let _profiler = dhat::Profiler::builder().testing().build();
    for payload in &hostile {
        let bytes = enveloped::<Bincode>(payload);
        let before = dhat::HeapStats::get();
        let result = envelope::decode::<Victim, Bincode>(&SCHEMA, b"k", ENVELOPE_FLAGS, &bytes);
        let after = dhat::HeapStats::get();
        assert!(
            matches!(result, Err(Error::Rejected { reason: Rejection::Decode { .. }, .. })),
            "{payload:?}: {result:?}"
        );
        // Serde pre-allocates at most about 1 MiB for a sequence however long it claims to be; bincode's byte limit
        // (32x the payload) bounds strings and buffers. Either way nowhere near the claimed terabyte.
        let peak = after.max_bytes.saturating_sub(before.curr_bytes);
        assert!(peak < 2 << 20, "{payload:?} made the decoder allocate {peak} bytes");
    }
}
