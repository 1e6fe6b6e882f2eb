//! The envelope's cost over the bare codec (and over plain bincode calls), for a 100-byte and a 10 KiB value: encode + decode of the same value
//! with and without the envelope, with and without its checksum, and the two checksum candidates alone (XXH3-64 and
//! CRC32, each computed on write and again on read).
//!
//! Run: `cargo bench -p memcache-client --bench envelope`

use divan::{Bencher, black_box};
use memcache_client::typed::envelope::{self, ENVELOPE_FLAGS, Integrity, Schema};
use memcache_client::typed::{Bincode, Codec};
use serde::{Deserialize, Serialize};

fn main() {
    divan::main();
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Product {
    id: u64,
    name: String,
    price: u64,
    description: String,
}
memcache_client::cacheable!(Product, "shop.Product", version = 3);

/// A product whose bincode encoding is about `size` bytes.
fn product(size: usize) -> Product {
    let fixed = bincode_len(&Product { id: 42, name: "Desk lamp".into(), price: 1999, description: String::new() });
    Product { id: 42, name: "Desk lamp".into(), price: 1999, description: "x".repeat(size.saturating_sub(fixed + 2)) }
}

fn bincode_len(p: &Product) -> usize {
    let mut out = Vec::new();
    Bincode::encode(p, &mut out).expect("encode");
    out.len()
}

fn schema() -> Schema {
    Schema::of::<Product>().expect("Product traces")
}

/// bincode 2's own serde API, as an application would call it without this crate.
#[divan::bench(args = [100, 10 * 1024])]
fn plain_bincode(bencher: Bencher<'_, '_>, size: usize) {
    let value = product(size);
    let config = bincode::config::standard();
    bencher.bench_local(|| {
        let out = bincode::serde::encode_to_vec(black_box(&value), config).expect("encode");
        let (back, _): (Product, usize) = bincode::serde::decode_from_slice(black_box(&out), config).expect("decode");
        back
    });
}

/// This crate's codec (exact-size buffer, bounded decoding) without the envelope.
#[divan::bench(args = [100, 10 * 1024])]
fn bare_codec(bencher: Bencher<'_, '_>, size: usize) {
    let value = product(size);
    bencher.bench_local(|| {
        let mut out = Vec::with_capacity(size + 64);
        Bincode::encode(black_box(&value), &mut out).expect("encode");
        let back: Product = Bincode::decode(black_box(&out)).expect("decode");
        back
    });
}

/// Envelope format 1, no checksum.
#[divan::bench(args = [100, 10 * 1024])]
fn enveloped(bencher: Bencher<'_, '_>, size: usize) {
    enveloped_with(bencher, size, Integrity::None);
}

/// Envelope format 2, XXH3-64 over the whole envelope: the typed client's default.
#[divan::bench(args = [100, 10 * 1024])]
fn enveloped_xxh3(bencher: Bencher<'_, '_>, size: usize) {
    enveloped_with(bencher, size, Integrity::Xxh3);
}

fn enveloped_with(bencher: Bencher<'_, '_>, size: usize, integrity: Integrity) {
    let value = product(size);
    let schema = schema();
    bencher.bench_local(|| {
        let bytes = envelope::encode_with::<_, Bincode>(&schema, b"shop.Product:42", black_box(&value), integrity)
            .expect("encode");
        let back: Product =
            envelope::decode::<_, Bincode>(&schema, b"shop.Product:42", ENVELOPE_FLAGS, black_box(&bytes))
                .expect("decode");
        back
    });
}

#[divan::bench(args = [100, 10 * 1024])]
fn crc32_of_payload(bencher: Bencher<'_, '_>, size: usize) {
    let mut payload = Vec::new();
    Bincode::encode(&product(size), &mut payload).expect("encode");
    // Computed on write and again on read.
    bencher.bench_local(|| (crc32fast::hash(black_box(&payload)), crc32fast::hash(black_box(&payload))));
}

#[divan::bench(args = [100, 10 * 1024])]
fn xxh3_of_payload(bencher: Bencher<'_, '_>, size: usize) {
    let mut payload = Vec::new();
    Bincode::encode(&product(size), &mut payload).expect("encode");
    // Computed on write and again on read.
    bencher.bench_local(|| {
        (xxhash_rust::xxh3::xxh3_64(black_box(&payload)), xxhash_rust::xxh3::xxh3_64(black_box(&payload)))
    });
}
