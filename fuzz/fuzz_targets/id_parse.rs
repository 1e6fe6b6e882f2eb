//! Arbitrary text into typed-ids' `FromStr`, for every repr: `u64`, `i64`, `u32`, UUID (TypeID text when prefixed,
//! hyphenated when bare) and `ShortStr` (smallest, mid and largest capacity), prefixed and bare; and into
//! [`ShortStr::new`].
//!
//! The coverage-guided counterpart of the proptest harness in `typed-ids/tests/fuzz.rs`, with the same invariants
//! for each type:
//!
//! - nothing panics;
//! - whatever parses prints (`Display`) to text that parses back to the same ID;
//! - whatever fails is a typed [`Error`] naming the type, with a non-empty reason, echoing the input (shortened,
//!   with `…`, past 64 bytes).
//!
//! Input: the text (the longest valid UTF-8 prefix of the fuzzer's bytes).

#![no_main]

use std::fmt::{Debug, Display};
use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use typed_ids::{Error, ShortStr};

#[path = "../../typed-ids/tests/fuzz_fixtures/mod.rs"]
mod fuzz_fixtures;

use fuzz_fixtures::*;

fuzz_target!(|input: &str| {
    check::<CustomerId>("CustomerId", input);
    check::<LedgerEntryId>("LedgerEntryId", input);
    check::<SeatId>("SeatId", input);
    check::<OrderId>("OrderId", input);
    check::<EventId>("EventId", input);
    check::<Sku>("Sku", input);
    check::<ExternalRef>("ExternalRef", input);
    check::<Flag>("Flag", input);
    check::<Blob>("Blob", input);
    match ShortStr::<16>::new(input) {
        Ok(s) => assert_eq!(s.as_str(), input, "ShortStr::new kept other text"),
        Err(e) => check_error("ShortStr", input, &e),
    }
});

/// The promises of one type's `FromStr` for one input.
fn check<T>(type_name: &str, input: &str)
where
    T: FromStr<Err = Error> + Display + Debug + PartialEq,
{
    match input.parse::<T>() {
        Ok(id) => {
            let text = id.to_string();
            assert_eq!(text.parse::<T>().as_ref(), Ok(&id), "{type_name} {input:?} printed as {text:?}");
        }
        Err(e) => check_error(type_name, input, &e),
    }
}

fn check_error(type_name: &str, input: &str, e: &Error) {
    assert_eq!(e.id_type(), type_name, "{e:?}");
    let echoed = e.input();
    match echoed.strip_suffix('…') {
        Some(start) if input.len() > 64 => {
            assert!(input.starts_with(start) && start.len() <= 64, "{input:?} echoed as {echoed:?}");
        }
        _ => assert_eq!(echoed, input, "{e:?}"),
    }
    assert!(!e.reason().is_empty(), "{e:?}");
}
