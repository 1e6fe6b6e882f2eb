//! Fuzz harness on stable Rust for ID parsing: proptest at high case counts against `FromStr` of every repr
//! (`u64`, `i64`, `u32`, UUID as TypeID and hyphenated, `ShortStr`), prefixed and bare.
//!
//! Inputs are arbitrary strings and near misses: the text form of a real ID with characters changed, inserted,
//! deleted, re-cased, or its prefix swapped. Nothing may panic; whatever parses must print back to text that
//! parses to the same ID; whatever fails must be a typed [`Error`] naming the type and carrying the input.
//!
//! ```text
//! # CI (default): 4,000 cases per target, fixed seed
//! cargo test -p typed-ids --test fuzz
//! # a long run, in release, with a fresh seed (the seed is printed when a target fails)
//! MEMKIT_FUZZ_CASES=5000000 MEMKIT_FUZZ_SEED=$RANDOM$RANDOM cargo test -p typed-ids --release --test fuzz
//! ```
//!
//! A crash found this way becomes a regression test at the bottom of this file, named for what it caught.

use core::fmt::{Debug, Display};
use core::str::FromStr;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use typed_ids::Error;
use typed_ids::uuid::Uuid;

mod fuzz_fixtures;

use fuzz_fixtures::*;

/// Per target (each case parses as all nine types), a few seconds in a debug build.
const DEFAULT_CASES: u32 = 4_000;
const DEFAULT_SEED: u64 = 0x0069_6473_7a7a;

fn fuzz_config() -> Config {
    memkit_testkit::fuzz_config(DEFAULT_CASES, DEFAULT_SEED)
}

/// The promises of one type's `FromStr` for one input.
fn check<T>(type_name: &str, input: &str) -> Result<(), TestCaseError>
where
    T: FromStr<Err = Error> + Display + Debug + PartialEq,
{
    match input.parse::<T>() {
        Ok(id) => {
            let text = id.to_string();
            let back = text.parse::<T>();
            prop_assert_eq!(back.as_ref(), Ok(&id), "{} {:?} printed as {:?}", type_name, input, text);
        }
        Err(e) => {
            prop_assert_eq!(e.id_type(), type_name);
            // The error echoes the input, shortened (with `…`) past 64 bytes.
            let echoed = e.input();
            match echoed.strip_suffix('…') {
                Some(start) if input.len() > 64 => {
                    prop_assert!(input.starts_with(start) && start.len() <= 64, "{:?} echoed as {:?}", input, echoed);
                }
                _ => prop_assert_eq!(echoed, input),
            }
            prop_assert!(!e.reason().is_empty());
        }
    }
    Ok(())
}

fn check_all(input: &str) -> Result<(), TestCaseError> {
    check::<CustomerId>("CustomerId", input)?;
    check::<LedgerEntryId>("LedgerEntryId", input)?;
    check::<SeatId>("SeatId", input)?;
    check::<OrderId>("OrderId", input)?;
    check::<EventId>("EventId", input)?;
    check::<Sku>("Sku", input)?;
    check::<ExternalRef>("ExternalRef", input)?;
    check::<Flag>("Flag", input)?;
    check::<Blob>("Blob", input)?;
    Ok(())
}

/// The text form of a real ID of some type.
fn valid_text() -> impl Strategy<Value = String> {
    let short = "[A-Za-z0-9._-]{1,12}";
    prop_oneof![
        any::<u64>().prop_map(|n| CustomerId::new(n).to_string()),
        any::<i64>().prop_map(|n| LedgerEntryId::new(n).to_string()),
        any::<u32>().prop_map(|n| SeatId::new(n).to_string()),
        any::<u128>().prop_map(|n| OrderId::new(Uuid::from_u128(n)).to_string()),
        any::<u128>().prop_map(|n| EventId::new(Uuid::from_u128(n)).to_string()),
        short.prop_map(|s| format!("sku_{s}")),
        "[A-Za-z0-9._-]{1,8}",
        "f_[A-Za-z0-9._-]",
        "[A-Za-z0-9._-]{1,128}",
        // Edges: the largest values, the TypeID maximum, zero.
        Just(format!("cus_{}", u64::MAX)),
        Just(format!("ledger_entry_{}", i64::MIN)),
        Just(OrderId::new(Uuid::max()).to_string()),
        Just("ord_7zzzzzzzzzzzzzzzzzzzzzzzzz".to_owned()),
        Just("0".to_owned()),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Upper,
    Prefix(&'static str),
}

/// Characters that matter to the parsers: separators, signs, digits at the edges, base32 lookalikes, multi-byte.
const CHARS: &[char] = &[
    '_', '-', '+', '.', ' ', '0', '9', '7', '8', 'z', 'Z', 'u', 'i', 'l', 'o', 'O', 'a', 'f', 'g', '{', '}', '\0', 'é',
    '٣', '🦀',
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), prop_oneof![select(CHARS), any::<char>()]).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), select(CHARS)).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        Just(Edit::Upper),
        select(&["cus_", "prd_", "ledger_", "ledger_entry_", "ord_", "sku_", "", "_", "cus", "CUS_"][..])
            .prop_map(Edit::Prefix),
    ]
}

fn apply(text: String, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let len = chars.len();
        match *e {
            Edit::Replace(i, c) if len > 0 => chars[i % len] = c,
            Edit::Insert(i, c) => chars.insert(i % (len + 1), c),
            Edit::Delete(i) if len > 0 => {
                chars.remove(i % len);
            }
            Edit::Upper => chars = chars.iter().flat_map(|c| c.to_uppercase()).collect(),
            Edit::Prefix(p) => {
                // Swap whatever precedes the last `_` for another type's prefix.
                let text: String = chars.iter().collect();
                let body = text.rsplit_once('_').map_or(text.as_str(), |(_, b)| b);
                chars = format!("{p}{body}").chars().collect();
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_ids_arbitrary_strings(input in any::<String>()) {
        check_all(&input)?;
    }

    #[test]
    fn fuzz_ids_id_alphabet_strings(input in "[a-z_0-9A-Z+-]{0,40}") {
        check_all(&input)?;
    }

    #[test]
    fn fuzz_ids_near_misses(text in valid_text(), edits in vec(edit(), 1..=3)) {
        check_all(&apply(text, &edits))?;
    }

    #[test]
    fn fuzz_ids_valid_text_parses_back(text in valid_text()) {
        // Unedited text of a real ID parses (as at least the type that printed it) and round-trips.
        check_all(&text)?;
    }
}
