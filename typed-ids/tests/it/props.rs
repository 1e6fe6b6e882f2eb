//! Property tests: Display/FromStr round trips for every repr; garbage never panics.

use proptest::prelude::*;
use typed_ids::uuid::Uuid;
use typed_ids::{Error, ShortStr};

use crate::ids::*;

fn any_uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn any_short<const N: usize>() -> impl Strategy<Value = ShortStr<N>> {
    proptest::string::string_regex(&format!("[A-Za-z0-9._-]{{1,{N}}}"))
        .unwrap()
        .prop_map(|s| ShortStr::new(&s).unwrap())
}

fn round_trips<T>(id: T) -> Result<(), TestCaseError>
where
    T: core::str::FromStr<Err = Error> + core::fmt::Display + core::fmt::Debug + PartialEq,
{
    let text = id.to_string();
    prop_assert_eq!(text.parse::<T>(), Ok(id), "text {:?}", text);
    Ok(())
}

/// Parsing arbitrary text either succeeds or fails with one of the documented variants,
/// and a success prints back to an equivalent ID.
fn never_panics<T>(input: &str) -> Result<(), TestCaseError>
where
    T: core::str::FromStr<Err = Error> + core::fmt::Display + core::fmt::Debug + PartialEq,
{
    match input.parse::<T>() {
        Ok(id) => prop_assert_eq!(id.to_string().parse::<T>(), Ok(id)),
        Err(err) => {
            let documented = matches!(
                err,
                Error::WrongPrefix { .. }
                    | Error::Empty { .. }
                    | Error::InvalidDigit { .. }
                    | Error::Overflow { .. }
                    | Error::InvalidUuid { .. }
            );
            prop_assert!(documented, "undocumented error {:?}", err);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::fixed_seed())]

    #[test]
    fn u64_round_trips(raw: u64) {
        round_trips(CustomerId::new(raw))?;
        round_trips(CounterId::new(raw))?;
    }

    #[test]
    fn i64_round_trips(raw: i64) {
        round_trips(LedgerEntryId::new(raw))?;
    }

    #[test]
    fn u32_round_trips(raw: u32) {
        round_trips(SeatId::new(raw))?;
    }

    #[test]
    fn uuid_round_trips(raw in any_uuid()) {
        round_trips(OrderId::new(raw))?;
        round_trips(SessionId::new(raw))?;
        round_trips(EventId::new(raw))?;
    }

    #[test]
    fn short_str_round_trips(sku in any_short::<12>(), reference in any_short::<8>()) {
        round_trips(Sku::new(sku))?;
        round_trips(ExternalRef::new(reference))?;
    }

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        never_panics::<CustomerId>(&input)?;
        never_panics::<LedgerEntryId>(&input)?;
        never_panics::<SeatId>(&input)?;
        never_panics::<OrderId>(&input)?;
        never_panics::<EventId>(&input)?;
        never_panics::<Sku>(&input)?;
        never_panics::<ExternalRef>(&input)?;
    }

    #[test]
    fn near_miss_strings_never_panic(
        input in "(cus|prd|ord|sku|ledger_entry|ledger|)_?[-+0-9a-zA-Z_é]{0,40}"
    ) {
        never_panics::<CustomerId>(&input)?;
        never_panics::<LedgerEntryId>(&input)?;
        never_panics::<OrderId>(&input)?;
        never_panics::<Sku>(&input)?;
    }

    #[test]
    fn a_product_id_never_parses_as_a_customer(raw: u64) {
        let text = ProductId::new(raw).to_string();
        prop_assert!(
            matches!(text.parse::<CustomerId>(), Err(Error::WrongPrefix { ref found, .. }) if found == "prd"),
            "text {:?}", text
        );
    }
}
