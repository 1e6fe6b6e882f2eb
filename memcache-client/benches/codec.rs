//! Micro benchmarks of the pure parts: request encoding, reply decoding (per byte) and ring lookup.
//!
//! Run: `cargo bench -p memcache-client --bench codec`

use std::borrow::Cow;

use bytes::BytesMut;
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use memcache_client::proto::{MetaFlag, ReplyDecoder, ReplyKind, Request, Response};
use memcache_client::{Client, Config, ServerAddr};

fn main() {
    divan::main();
}

const GET_FLAGS: &[MetaFlag] = &[MetaFlag::ReturnValue, MetaFlag::ReturnClientFlags];

#[divan::bench]
fn encode_meta_get(bencher: Bencher<'_, '_>) {
    let mut buf = BytesMut::with_capacity(256);
    bencher.bench_local(|| {
        buf.clear();
        Request::MetaGet { key: black_box(b"memkit-bench:100:12345"), flags: Cow::Borrowed(GET_FLAGS) }
            .encode(&mut buf);
        black_box(&buf);
    });
}

#[divan::bench(args = [100, 10 * 1024])]
fn encode_meta_set(bencher: Bencher<'_, '_>, size: usize) {
    let value = vec![b'x'; size];
    let flags = [MetaFlag::ClientFlags(0), MetaFlag::Ttl(0)];
    let mut buf = BytesMut::with_capacity(size + 256);
    bencher.counter(BytesCount::new(size)).bench_local(|| {
        buf.clear();
        Request::MetaSet { key: b"memkit-bench:100:12345", flags: Cow::Borrowed(&flags), data: black_box(&value) }
            .encode(&mut buf);
        black_box(&buf);
    });
}

fn meta_value_reply(size: usize) -> Vec<u8> {
    let mut wire = format!("VA {size} f0\r\n").into_bytes();
    wire.extend(std::iter::repeat_n(b'v', size));
    wire.extend_from_slice(b"\r\n");
    wire
}

#[divan::bench(args = [100, 10 * 1024])]
fn decode_meta_value(bencher: Bencher<'_, '_>, size: usize) {
    let wire = meta_value_reply(size);
    let decoder = ReplyDecoder::default();
    bencher.counter(BytesCount::new(wire.len())).with_inputs(|| BytesMut::from(&wire[..])).bench_local_values(
        |mut buf| {
            let reply = decoder.decode(ReplyKind::Meta, &mut buf);
            assert!(matches!(reply, Ok(Some(Response::Meta(_)))));
            reply
        },
    );
}

#[divan::bench]
fn decode_batch_of_100(bencher: Bencher<'_, '_>) {
    let mut wire = Vec::new();
    for i in 0..100 {
        wire.extend_from_slice(format!("VA 100 f0 O{i}\r\n").as_bytes());
        wire.extend(std::iter::repeat_n(b'v', 100));
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"MN\r\n");
    let decoder = ReplyDecoder::default();
    bencher.counter(BytesCount::new(wire.len())).with_inputs(|| BytesMut::from(&wire[..])).bench_local_values(
        |mut buf| {
            let reply = decoder.decode(ReplyKind::MetaBatch, &mut buf);
            assert!(matches!(&reply, Ok(Some(Response::MetaBatch(items))) if items.len() == 100));
            reply
        },
    );
}

#[divan::bench]
fn decode_text_value(bencher: Bencher<'_, '_>) {
    let mut wire = b"VALUE memkit-bench:100:12345 0 100\r\n".to_vec();
    wire.extend(std::iter::repeat_n(b'v', 100));
    wire.extend_from_slice(b"\r\nEND\r\n");
    let decoder = ReplyDecoder::default();
    bencher
        .counter(BytesCount::new(wire.len()))
        .with_inputs(|| BytesMut::from(&wire[..]))
        .bench_local_values(|mut buf| decoder.decode(ReplyKind::Retrieval, &mut buf));
}

#[divan::bench(args = [1, 8, 64])]
fn ring_lookup(bencher: Bencher<'_, '_>, servers: usize) {
    let addrs: Vec<ServerAddr> = (0..servers).map(|i| ServerAddr::tcp("127.0.0.1", 20000 + i as u16)).collect();
    let client = Client::with_config(addrs, Config::default()).expect("client");
    let keys: Vec<String> = (0..1024).map(|i| format!("memkit-bench:100:{i}")).collect();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % keys.len();
        black_box(client.server_for(keys[i].as_bytes()));
    });
}
