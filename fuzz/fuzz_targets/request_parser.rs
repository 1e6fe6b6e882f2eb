//! Arbitrary bytes into the server-side request parser ([`Request::parse`]), text and meta commands.
//!
//! The coverage-guided counterpart of the proptest harness in `memcache-client/tests/fuzz.rs`; the invariants are
//! the same, plus incremental parsing:
//!
//! - nothing panics;
//! - a request consumes `1..=len` bytes; every strict prefix of it is `Ok(None)` (partial input is a normal state,
//!   never an error);
//! - what parses encodes ([`Request::encode`]) to a canonical form that parses back to the same request, taking
//!   all of it;
//! - the input cut at an arbitrary point parses consistently with the whole: a prefix that already holds a request
//!   gives the request (and length) the whole gives, a prefix that fails means the whole fails for the same reason.
//!
//! Input: a `u16` cut point, then the request bytes.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use memcache_client::proto::Request;

fuzz_target!(|input: (u16, &[u8])| {
    let (cut, bytes) = input;
    let cut = usize::from(cut) % (bytes.len() + 1);
    let whole = Request::parse(bytes);

    match Request::parse(&bytes[..cut]) {
        Ok(None) => {}
        Ok(Some(first)) => {
            assert_eq!(whole.as_ref().ok(), Some(&Some(first)), "a request complete in the first {cut} bytes");
        }
        Err(first) => {
            // Bytes that cannot start a request cannot start one with more bytes behind them either.
            assert!(
                whole.as_ref().is_err_and(|e| e.reason() == first.reason()),
                "the first {cut} bytes fail with {first:?}, the whole gives {whole:?}"
            );
        }
    }

    // Last: comparing with the re-parsed canonical form ties `whole` to the lifetime of `wire`.
    if let Ok(Some((request, used))) = &whole {
        let used = *used;
        assert!(used > 0 && used <= bytes.len(), "used {used} of {} bytes", bytes.len());
        let mut wire = BytesMut::new();
        request.encode(&mut wire);
        assert_eq!(Request::parse(&wire), Ok(Some((request.clone(), wire.len()))), "canonical form {wire:?}");
        for end in [0, used / 2, used - 1, cut.min(used - 1)] {
            assert_eq!(Request::parse(&bytes[..end]), Ok(None), "prefix of {end} of {used} bytes");
        }
    }
});
