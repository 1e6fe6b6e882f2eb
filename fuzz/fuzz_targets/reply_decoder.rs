//! Arbitrary bytes into the client's reply decoder ([`ReplyDecoder`]), for every [`ReplyKind`], with the default
//! (1 GiB), a small (4 bytes) and a zero value limit.
//!
//! The coverage-guided counterpart of the proptest harness in `memcache-client/tests/fuzz.rs`; the invariants are
//! the same, plus incremental decoding. For each decoder and kind:
//!
//! - nothing panics;
//! - `parse` (on a slice) and `decode` (consuming a `BytesMut`) agree; a reply consumes `1..=len` bytes and
//!   `decode` takes exactly those; a partial (`Ok(None)`) or failed decode consumes nothing;
//! - every strict prefix of a whole reply is `Ok(None)`, never an error (partial input is a normal state);
//! - the input fed in two reads, split at an arbitrary point (as a socket delivers it), decodes to the same result
//!   as the whole input: a first read that is already complete gives the reply the whole gives, one that fails
//!   means the whole fails the same way, one that waits gives, after the second read, what the whole gives.
//!
//! Input: a `u16` split point, then the reply bytes.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use memcache_client::proto::{ReplyDecoder, ReplyKind};

fuzz_target!(|input: (u16, &[u8])| {
    let (split, bytes) = input;
    let split = usize::from(split) % (bytes.len() + 1);
    // Small limits too, so the refusal path is reached by ordinary inputs.
    for decoder in [ReplyDecoder::default(), ReplyDecoder::with_max_value(4), ReplyDecoder::with_max_value(0)] {
        for kind in ReplyKind::ALL {
            check(&decoder, kind, bytes, split);
        }
    }
});

fn check(decoder: &ReplyDecoder, kind: ReplyKind, input: &[u8], split: usize) {
    let parsed = decoder.parse(kind, input);
    let mut buf = BytesMut::from(input);
    let decoded = decoder.decode(kind, &mut buf);
    match (&parsed, &decoded) {
        (Ok(Some((from_parse, used))), Ok(Some(from_decode))) => {
            let used = *used;
            assert!(used > 0 && used <= input.len(), "{kind:?} used {used} of {} bytes", input.len());
            assert_eq!(from_parse, from_decode, "parse and decode disagree ({kind:?})");
            assert_eq!(&buf[..], &input[used..], "decode consumed other than the reply ({kind:?})");
            // Every strict prefix of a whole reply waits for more bytes.
            for end in [0, used / 2, used - 1, split.min(used - 1)] {
                assert_eq!(decoder.parse(kind, &input[..end]), Ok(None), "{kind:?}: prefix of {end} of {used} bytes");
            }
        }
        (Ok(None), Ok(None)) => assert_eq!(&buf[..], input, "a partial decode consumed bytes ({kind:?})"),
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "parse and decode fail differently ({kind:?})");
            assert_eq!(&buf[..], input, "a failed decode consumed bytes ({kind:?})");
        }
        _ => panic!("parse gave {parsed:?} but decode gave {decoded:?} ({kind:?})"),
    }

    // The same bytes in two reads, decoded as a connection does: decode what has arrived, append, decode again.
    let mut stream = BytesMut::from(&input[..split]);
    match decoder.decode(kind, &mut stream) {
        Ok(None) => {
            assert_eq!(&stream[..], &input[..split], "a partial decode consumed bytes ({kind:?})");
            stream.extend_from_slice(&input[split..]);
            let second = decoder.decode(kind, &mut stream);
            assert_eq!(second, decoded, "{kind:?}: split at {split} decodes unlike the whole");
            assert_eq!(&stream[..], &buf[..], "{kind:?}: split at {split} consumes unlike the whole");
        }
        Ok(Some(first)) => {
            assert_eq!(
                decoded.as_ref().ok(),
                Some(&Some(first)),
                "{kind:?}: a reply complete in the first {split} bytes"
            );
            let used = split - stream.len();
            assert_eq!(&buf[..], &input[used..], "{kind:?}: the first {split} bytes consumed unlike the whole");
        }
        Err(first) => {
            // Bytes that cannot start a reply cannot start one with more bytes behind them either.
            assert!(
                decoded.as_ref().is_err_and(|whole| whole.reason() == first.reason()),
                "{kind:?}: the first {split} bytes fail with {first:?}, the whole gives {decoded:?}"
            );
        }
    }
}
