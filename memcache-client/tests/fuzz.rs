//! Fuzz harness on stable Rust: proptest at high case counts against the three decoders that read untrusted bytes
//! — the reply decoder ([`ReplyDecoder`], every [`ReplyKind`]), the typed envelope ([`envelope::decode`]) and the
//! server-side request parser ([`Request::parse`]).
//!
//! Each target feeds arbitrary bytes and mutations of a corpus of valid inputs (bit flips, interesting bytes,
//! inserted protocol tokens, deletions, duplications, truncations) and checks that nothing panics, that partial
//! input is `Ok(None)` and never an error, and that what decodes is self-consistent.
//!
//! Cases and seed come from the environment, so CI runs a quick fixed-seed pass and a long run is one command:
//!
//! ```text
//! # CI (default): 4,000 cases per target, fixed seed
//! cargo test -p memcache-client --test fuzz
//! # a long run, in release, with a fresh seed (the seed is printed when a target fails)
//! MEMKIT_FUZZ_CASES=5000000 MEMKIT_FUZZ_SEED=$RANDOM$RANDOM \
//!     cargo test -p memcache-client --all-features --release --test fuzz
//! ```
//!
//! A crash found this way becomes a regression test at the bottom of this file, named for what it caught.

use bytes::BytesMut;
use memcache_client::proto::{ReplyDecoder, ReplyKind, Request};
use memcache_client::typed::{Bincode, Codec, ENVELOPE_FLAGS, envelope};
use memcache_client::{Error, Rejection};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;

mod fuzz_fixtures;

/// Per target; the reply targets check every case against 11 kinds and 2 value limits (88,000 decodes at the
/// default), which keeps the whole binary to a few seconds in a debug build.
const DEFAULT_CASES: u32 = 4_000;
const DEFAULT_SEED: u64 = 0x6675_7a7a_6d6b;

fn fuzz_config() -> Config {
    memkit_testkit::fuzz_config(DEFAULT_CASES, DEFAULT_SEED)
}

// ---- mutation engine --------------------------------------------------------------------------------------------

/// Bytes and tokens that matter to the framing: what a mutation inserts or writes over.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r",
    b"\n",
    b" ",
    b"0",
    b"-1",
    b"18446744073709551616",
    b"4294967296",
    b"99999999999",
    b"VA",
    b"EN",
    b"HD",
    b"MN",
    b"ME",
    b"END",
    b"VALUE ",
    b"STAT ",
    b"VERSION ",
    b"ERROR",
    b"CLIENT_ERROR ",
    b"SERVER_ERROR ",
    b"STORED",
    b"NOT_FOUND",
    b"mg ",
    b"ms ",
    b"set ",
    b"get ",
    b"noreply",
    b"=",
    b"\0",
    b"\xff",
];

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Insert(usize, &'static [u8]),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 0u8..8).prop_map(|(i, bit)| Mutation::FlipBit(i, bit)),
        (at, prop_oneof![any::<u8>(), select(b"\r\n 09-VAEN".to_vec())]).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        (at, select(TOKENS)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (at, 1usize..8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (at, 1usize..16).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        at.prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        // Positions are taken modulo the current length (plus one, to reach the end).
        let pos = |i: usize| i % (len + 1);
        match *m {
            Mutation::FlipBit(i, bit) if len > 0 => bytes[i % len] ^= 1 << bit,
            Mutation::SetByte(i, b) if len > 0 => bytes[i % len] = b,
            Mutation::Insert(i, token) => {
                let at = pos(i);
                bytes.splice(at..at, token.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let at = i % len;
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Duplicate(i, n) if len > 0 => {
                let at = i % len;
                let slice = bytes[at..(at + n).min(len)].to_vec();
                bytes.splice(at..at, slice);
            }
            Mutation::Truncate(i) => bytes.truncate(pos(i)),
            _ => {}
        }
    }
    bytes
}

/// Valid (or nearly valid) corpus entries, mutated a few times each.
fn mutated(corpus: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    (select(corpus), vec(mutation(), 1..=6)).prop_map(|(seed, mutations)| mutate(seed.to_vec(), &mutations))
}

/// Random sequences of framing tokens and short arbitrary runs: nearly protocol, which reaches deeper than noise.
fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    vec(prop_oneof![select(TOKENS).prop_map(<[u8]>::to_vec), vec(any::<u8>(), 0..4)], 0..24).prop_map(|v| v.concat())
}

// ---- reply decoder ----------------------------------------------------------------------------------------------

/// Valid replies of every kind (and a few streams of several).
const REPLIES: &[&[u8]] = &[
    b"STORED\r\n",
    b"NOT_STORED\r\nEXISTS\r\n",
    b"NOT_FOUND\r\n",
    b"SERVER_ERROR out of memory storing object\r\n",
    b"CLIENT_ERROR bad data chunk\r\n",
    b"ERROR\r\n",
    b"END\r\n",
    b"VALUE k 0 5\r\nhello\r\nEND\r\n",
    b"VALUE k 1 3 99\r\nabc\r\nVALUE j 4294967295 0\r\n\r\nEND\r\n",
    b"VALUE a 0 7\r\nEND\r\nx\r\nEND\r\n",
    b"DELETED\r\n",
    b"42\r\n",
    b"18446744073709551615\r\n",
    b"7      \r\n",
    b"TOUCHED\r\n",
    b"OK\r\n",
    b"VERSION 1.6.21\r\n",
    b"STAT pid 1\r\nSTAT uptime 5\r\nSTAT version 1.6.21\r\nEND\r\n",
    b"VA 5 f7 c99 t-1\r\nhello\r\n",
    b"VA 0\r\n\r\n",
    b"VA 2 b k aGk= O17 s2\r\nhi\r\n",
    b"HD\r\n",
    b"HD O123 kZm9v b c5 t30 f0\r\n",
    b"EN\r\n",
    b"NF\r\nNS\r\nEX\r\n",
    b"MN\r\n",
    b"ME foo exp=-1 la=3 cas=2 fetch=no cls=1 size=63\r\n",
    b"VA 2 O1\r\nhi\r\nEN\r\nHD O3\r\nMN\r\n",
    b"CLIENT_ERROR bad command line format\r\nVA 1 O2\r\nx\r\nMN\r\n",
];

/// Everything the decoder promises, for one input and one kind.
fn check_reply(decoder: &ReplyDecoder, kind: ReplyKind, input: &[u8]) -> Result<(), TestCaseError> {
    let parsed = decoder.parse(kind, input);
    let mut buf = BytesMut::from(input);
    let decoded = decoder.decode(kind, &mut buf);
    match (&parsed, &decoded) {
        (Ok(Some((from_parse, used))), Ok(Some(from_decode))) => {
            prop_assert!(*used > 0 && *used <= input.len(), "{kind:?} used {used} of {}", input.len());
            prop_assert_eq!(from_parse, from_decode, "parse and decode disagree ({:?})", kind);
            prop_assert_eq!(&buf[..], &input[*used..], "decode consumed other than the reply ({:?})", kind);
            // Partial input is a normal state, never an error: every strict prefix of the reply waits for more.
            for end in [0, used / 2, used - 1] {
                prop_assert_eq!(decoder.parse(kind, &input[..end]), Ok(None), "{:?} prefix of {} bytes", kind, end);
            }
        }
        (Ok(None), Ok(None)) => prop_assert_eq!(&buf[..], input, "a partial decode consumed bytes ({:?})", kind),
        (Err(a), Err(b)) => {
            prop_assert_eq!(a, b);
            prop_assert_eq!(&buf[..], input, "a failed decode consumed bytes ({:?})", kind);
        }
        _ => prop_assert!(false, "parse {parsed:?} but decode {decoded:?} ({kind:?})"),
    }
    Ok(())
}

fn check_all_kinds(input: &[u8]) -> Result<(), TestCaseError> {
    // A small value limit too, so the refusal path is exercised by ordinary inputs.
    for decoder in [ReplyDecoder::default(), ReplyDecoder::with_max_value(4)] {
        for kind in ReplyKind::ALL {
            check_reply(&decoder, kind, input)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_replies_arbitrary_bytes(input in vec(any::<u8>(), 0..=128)) {
        check_all_kinds(&input)?;
    }

    #[test]
    fn fuzz_replies_mutated_valid(input in mutated(REPLIES)) {
        check_all_kinds(&input)?;
    }

    #[test]
    fn fuzz_replies_token_soup(input in token_soup()) {
        check_all_kinds(&input)?;
    }
}

// ---- typed envelope ---------------------------------------------------------------------------------------------

use fuzz_fixtures::{EVENT, Event, PAYLOAD as SCHEMA, Payload};

fn payload() -> impl Strategy<Value = Payload> {
    let leaf =
        (any::<u64>(), ".{0,8}", vec(".{0,4}", 0..3), vec(any::<u8>(), 0..8), vec((".{0,3}", any::<i64>()), 0..3))
            .prop_map(|(id, name, tags, blob, scores)| Payload {
                id,
                name,
                tags,
                blob,
                parent: None,
                scores: scores.into_iter().collect(),
            });
    (leaf.clone(), proptest::option::of(leaf)).prop_map(|(mut p, parent)| {
        p.parent = parent.map(Box::new);
        p
    })
}

fn check_envelope<C: Codec>(flags: u32, bytes: &[u8]) -> Result<(), TestCaseError> {
    match envelope::decode::<Payload, C>(&SCHEMA, b"fuzz:key", flags, bytes) {
        Ok(payload) => {
            // Whatever decodes re-encodes and decodes to the same value.
            let again = envelope::encode::<_, C>(&SCHEMA, b"fuzz:key", &payload).expect("re-encode");
            let back = envelope::decode::<Payload, C>(&SCHEMA, b"fuzz:key", ENVELOPE_FLAGS, &again);
            prop_assert_eq!(back.as_ref().ok(), Some(&payload));
        }
        Err(e) => prop_assert!(e.is_rejected_value(), "not a rejection: {e:?}"),
    }
    Ok(())
}

fn check_envelope_all_codecs(flags: u32, bytes: &[u8]) -> Result<(), TestCaseError> {
    check_envelope::<Bincode>(flags, bytes)?;
    #[cfg(feature = "postcard")]
    check_envelope::<memcache_client::typed::Postcard>(flags, bytes)?;
    Ok(())
}

/// A valid envelope of `payload`, then mutated; mutations land mostly in the payload, where the codec reads.
fn mutated_envelope<C: Codec>() -> impl Strategy<Value = Vec<u8>> {
    (payload(), vec(mutation(), 1..=4), any::<bool>()).prop_map(|(payload, mutations, payload_only)| {
        let valid = envelope::encode::<_, C>(&SCHEMA, b"fuzz:key", &payload).expect("encode");
        let header = 21 + SCHEMA.type_name.len();
        if payload_only {
            let body = mutate(valid[header..].to_vec(), &mutations);
            // Keep the payload length honest, so the codec (not the length check) meets the damage.
            let mut out = valid[..header].to_vec();
            out[16..20].copy_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
            out.extend_from_slice(&body);
            out
        } else {
            mutate(valid, &mutations)
        }
    })
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_envelope_arbitrary_bytes(flags in prop_oneof![Just(ENVELOPE_FLAGS), any::<u32>()],
                                     bytes in vec(any::<u8>(), 0..=96)) {
        check_envelope_all_codecs(flags, &bytes)?;
    }

    #[test]
    fn fuzz_envelope_arbitrary_payload_behind_a_valid_header(payload in vec(any::<u8>(), 0..=96)) {
        let mut bytes = envelope::encode::<_, Bincode>(&SCHEMA, b"k", &()).expect("encode");
        bytes.truncate(21 + SCHEMA.type_name.len());
        bytes[16..20].copy_from_slice(&u32::try_from(payload.len()).expect("small").to_le_bytes());
        bytes.extend_from_slice(&payload);
        check_envelope::<Bincode>(ENVELOPE_FLAGS, &bytes)?;
    }

    #[test]
    fn fuzz_envelope_mutated_valid(bytes in mutated_envelope::<Bincode>()) {
        check_envelope::<Bincode>(ENVELOPE_FLAGS, &bytes)?;
    }
}

#[cfg(feature = "postcard")]
proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_envelope_mutated_valid_postcard(bytes in mutated_envelope::<memcache_client::typed::Postcard>()) {
        check_envelope::<memcache_client::typed::Postcard>(ENVELOPE_FLAGS, &bytes)?;
    }
}

// ---- request parser ---------------------------------------------------------------------------------------------

/// Valid requests of every command, text and meta.
const REQUESTS: &[&[u8]] = &[
    b"get k\r\n",
    b"gets a b c\r\n",
    b"gat 60 k\r\n",
    b"gats 0 a b\r\n",
    b"set k 0 0 5\r\nhello\r\n",
    b"add k 7 60 0 noreply\r\n\r\n",
    b"replace k 1 2 3\r\nabc\r\n",
    b"append k 0 0 2\r\n\r\n\r\n",
    b"prepend k 0 0 1\r\nx\r\n",
    b"cas k 0 0 2 99\r\nhi\r\n",
    b"delete k\r\n",
    b"delete k noreply\r\n",
    b"incr k 1\r\n",
    b"decr k 18446744073709551615 noreply\r\n",
    b"touch k 30\r\n",
    b"flush_all\r\n",
    b"flush_all 10 noreply\r\n",
    b"version\r\n",
    b"stats\r\n",
    b"stats items\r\n",
    b"verbosity 1\r\n",
    b"mg k v f c t k O12 q\r\n",
    b"mg Zm9v b v\r\n",
    b"ms k 5 T60 F3 C9 MA I q\r\nhello\r\n",
    b"ms k 0 MS\r\n\r\n",
    b"md k q C5 I T30\r\n",
    b"ma k D5 MD N60 J0 v\r\n",
    b"me k\r\n",
    b"mn\r\n",
    b"get k\nset  k  0  0  1\nx\r\n",
];

fn check_request(input: &[u8]) -> Result<(), TestCaseError> {
    let Ok(Some((request, used))) = Request::parse(input) else { return Ok(()) };
    prop_assert!(used > 0 && used <= input.len(), "used {used} of {}", input.len());
    // What parses encodes to a canonical form that parses back to the same request, taking all of it.
    let mut wire = BytesMut::new();
    request.encode(&mut wire);
    prop_assert_eq!(Request::parse(&wire), Ok(Some((request.clone(), wire.len()))), "canonical form of {:?}", input);
    for end in [0, used / 2, used - 1] {
        prop_assert_eq!(Request::parse(&input[..end]), Ok(None), "prefix of {} bytes of {:?}", end, input);
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_requests_arbitrary_bytes(input in vec(any::<u8>(), 0..=128)) {
        check_request(&input)?;
    }

    #[test]
    fn fuzz_requests_mutated_valid(input in mutated(REQUESTS)) {
        check_request(&input)?;
    }

    #[test]
    fn fuzz_requests_token_soup(input in token_soup()) {
        check_request(&input)?;
    }
}

// ---- regressions ------------------------------------------------------------------------------------------------

/// An error is a rejection of the value, never anything else (a sanity check that the harness can fail).
#[test]
fn an_empty_envelope_is_corrupt() {
    match envelope::decode::<Payload, Bincode>(&SCHEMA, b"k", ENVELOPE_FLAGS, b"") {
        Err(Error::Rejected { reason: Rejection::Corrupt { reason }, .. }) => {
            assert_eq!(reason, "shorter than an envelope header")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

/// Found by the cargo-fuzz `envelope` target: five payload bytes whose `tags` claim 64,482 strings. bincode 2's
/// serde mode passes the claimed length to serde, which reserved up to 1 MiB before finding the input ends. The
/// reservation is serde's capped preallocation (documented on `Codec`); the value must still be a typed rejection.
#[test]
fn regression_a_claimed_sequence_length_with_no_elements_is_a_decode_error() {
    let bytes = unhex("4d4b010103000000f0debc9a78563412050000000c66757a7a2e5061796c6f61640500fbe2fb");
    match envelope::decode::<Payload, Bincode>(&SCHEMA, b"k", ENVELOPE_FLAGS, &bytes) {
        Err(Error::Rejected { reason: Rejection::Decode { type_name: "fuzz.Payload", message }, .. }) => {
            assert!(message.contains("UnexpectedEnd"), "{message}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

/// The same finding through a map: `Event::Indexed` claiming 65,535 entries in a four-byte bincode payload (serde
/// sized the hash table for 262,144 entries, about 2.5 MiB, before finding the input ends).
#[test]
fn regression_a_claimed_map_length_with_no_entries_is_a_decode_error_in_bincode() {
    // Header (bincode, version 1, fingerprint 0, payload length 4, type name), then variant 5 and a u16 length.
    let bytes = unhex(concat!("4d4b0101010000000000000000000000040000000a66757a7a2e4576656e74", "05fbffff"));
    match envelope::decode::<Event, Bincode>(&EVENT, b"k", ENVELOPE_FLAGS, &bytes) {
        Err(Error::Rejected { reason: Rejection::Decode { type_name: "fuzz.Event", message }, .. }) => {
            assert!(message.contains("UnexpectedEnd"), "{message}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

/// The same finding with postcard, which caps claimed sequence lengths by the input left but not map lengths: a
/// `HashMap` claiming 65,535 entries in a four-byte payload.
#[cfg(feature = "postcard")]
#[test]
fn regression_a_claimed_map_length_with_no_entries_is_a_decode_error() {
    let bytes = unhex("4d4b0102010000000000000000000000040000000a66757a7a2e4576656e7405ffff03");
    match envelope::decode::<Event, memcache_client::typed::Postcard>(&EVENT, b"k", ENVELOPE_FLAGS, &bytes) {
        Err(Error::Rejected { reason: Rejection::Decode { type_name: "fuzz.Event", .. }, .. }) => {}
        other => panic!("expected Decode, got {other:?}"),
    }
}
