//! Text form: Display, FromStr and the typed errors.

use typed_ids::uuid::Uuid;
use typed_ids::{Error, ShortStr};

use crate::ids::*;

#[test]
fn display_puts_the_prefix_in_front() {
    assert_eq!(CustomerId::new(123).to_string(), "cus_123");
    assert_eq!(LedgerEntryId::new(-4).to_string(), "ledger_entry_-4");
    assert_eq!(SeatId::new(9).to_string(), "9");
    assert_eq!(OrderId::new(SPEC_UUID).to_string(), format!("ord_{SPEC_SUFFIX}"));
    assert_eq!(EventId::new(SPEC_UUID).to_string(), "01890a5d-ac96-774b-bcce-b302099a8057");
    assert_eq!(Sku::new(ShortStr::from_static("MUG_12")).to_string(), "sku_MUG_12");
    assert_eq!(ExternalRef::new(ShortStr::from_static("x.y")).to_string(), "x.y");
}

#[test]
fn from_str_reads_what_display_writes() {
    assert_eq!("cus_123".parse(), Ok(CustomerId::new(123)));
    assert_eq!("cus_18446744073709551615".parse(), Ok(CustomerId::new(u64::MAX)));
    assert_eq!("ledger_entry_-9223372036854775808".parse(), Ok(LedgerEntryId::new(i64::MIN)));
    assert_eq!("4294967295".parse(), Ok(SeatId::new(u32::MAX)));
    assert_eq!(format!("ord_{SPEC_SUFFIX}").parse(), Ok(OrderId::new(SPEC_UUID)));
    assert_eq!("01890a5d-ac96-774b-bcce-b302099a8057".parse(), Ok(EventId::new(SPEC_UUID)));
    assert_eq!("sku_MUG_12".parse(), Ok(Sku::new(ShortStr::from_static("MUG_12"))));
    // Leading zeros are the one non-canonical form accepted.
    assert_eq!("cus_007".parse(), Ok(CustomerId::new(7)));
}

fn wrong_prefix<T: core::str::FromStr<Err = Error> + core::fmt::Debug>(input: &str) -> (String, &'static str) {
    match input.parse::<T>() {
        Err(Error::WrongPrefix { found, expected, .. }) => (found, expected),
        other => panic!("{input:?}: expected WrongPrefix, got {other:?}"),
    }
}

#[test]
fn another_types_prefix_is_wrong_prefix() {
    let err = "prd_123".parse::<CustomerId>().unwrap_err();
    assert_eq!(
        err,
        Error::WrongPrefix {
            id_type: "CustomerId",
            expected: "cus",
            found: "prd".to_owned(),
            input: "prd_123".to_owned(),
            format: typed_ids::Format::of::<CustomerId>(),
        }
    );
    assert_eq!(err.reason(), "wrong_prefix");
    assert_eq!(err.id_type(), "CustomerId");
    assert_eq!(err.input(), "prd_123");
    assert_eq!(
        err.to_string(),
        "invalid CustomerId \"prd_123\": expected cus_ followed by a whole number from 0 to 18446744073709551615, \
         found the prefix prd_"
    );

    // The product's own text form, produced by Display, is refused as a customer.
    let product = ProductId::new(123).to_string();
    assert_eq!(wrong_prefix::<CustomerId>(&product), ("prd".to_owned(), "cus"));
    assert_eq!(wrong_prefix::<OrderId>(&format!("cus_{SPEC_SUFFIX}")), ("cus".to_owned(), "ord"));
    assert_eq!(wrong_prefix::<Sku>("skux_A"), ("skux".to_owned(), "sku"));
}

#[test]
fn missing_or_mangled_prefix_is_wrong_prefix() {
    assert_eq!(wrong_prefix::<CustomerId>("123"), (String::new(), "cus"));
    assert_eq!(wrong_prefix::<CustomerId>("CUS_123"), ("CUS".to_owned(), "cus"));
    assert_eq!(wrong_prefix::<CustomerId>("cus__123"), ("cus_".to_owned(), "cus"));
    assert_eq!(wrong_prefix::<CustomerId>("_123"), (String::new(), "cus"));
    // The prefix contains `_`: a shorter or longer one is still wrong.
    assert_eq!(wrong_prefix::<LedgerEntryId>("ledger_5"), ("ledger".to_owned(), "ledger_entry"));
    assert_eq!(wrong_prefix::<LedgerEntryId>("ledger_entry_x_5"), ("ledger_entry_x".to_owned(), "ledger_entry"));
    assert_eq!(wrong_prefix::<Sku>("A-1"), (String::new(), "sku"));
    assert_eq!(wrong_prefix::<OrderId>(SPEC_SUFFIX), (String::new(), "ord"));
}

#[test]
fn empty_input_or_body_is_empty() {
    assert!(matches!("".parse::<CustomerId>(), Err(Error::Empty { id_type: "CustomerId", .. })));
    assert!(matches!("cus_".parse::<CustomerId>(), Err(Error::Empty { .. })));
    assert!(matches!("".parse::<SeatId>(), Err(Error::Empty { id_type: "SeatId", .. })));
    assert!(matches!("ord_".parse::<OrderId>(), Err(Error::Empty { .. })));
    assert!(matches!("".parse::<EventId>(), Err(Error::Empty { .. })));
    assert!(matches!("sku_".parse::<Sku>(), Err(Error::Empty { .. })));
    assert!(matches!("".parse::<ExternalRef>(), Err(Error::Empty { .. })));
}

#[test]
fn non_digits_are_invalid_digit() {
    for input in ["cus_12a", "cus_+1", "cus_-1", "cus_1 ", "cus_١٢", "cus_0x10", "cus_1.0"] {
        assert!(
            matches!(input.parse::<CustomerId>(), Err(Error::InvalidDigit { id_type: "CustomerId", .. })),
            "{input:?}"
        );
    }
    assert!(matches!("-".parse::<SeatId>(), Err(Error::InvalidDigit { .. })));
    assert!(matches!("ledger_entry_--1".parse::<LedgerEntryId>(), Err(Error::InvalidDigit { .. })));
    assert!(matches!("sku_A B".parse::<Sku>(), Err(Error::InvalidDigit { id_type: "Sku", .. })));
    assert!(matches!("sku_ü".parse::<Sku>(), Err(Error::InvalidDigit { .. })));
    assert!(matches!("a/b".parse::<ExternalRef>(), Err(Error::InvalidDigit { .. })));
}

#[test]
fn out_of_range_is_overflow() {
    let err = "cus_18446744073709551616".parse::<CustomerId>().unwrap_err();
    let format = typed_ids::Format::of::<CustomerId>();
    assert_eq!(err, Error::Overflow { id_type: "CustomerId", input: "cus_18446744073709551616".to_owned(), format });
    assert_eq!(err.reason(), "overflow");
    assert!(matches!("4294967296".parse::<SeatId>(), Err(Error::Overflow { id_type: "SeatId", .. })));
    assert!(matches!("ledger_entry_-9223372036854775809".parse::<LedgerEntryId>(), Err(Error::Overflow { .. })));
    assert!(matches!("ledger_entry_9223372036854775808".parse::<LedgerEntryId>(), Err(Error::Overflow { .. })));
    // A string ID longer than its capacity.
    assert!(matches!("sku_ABCDEFGHIJKLM".parse::<Sku>(), Err(Error::Overflow { id_type: "Sku", .. })));
}

#[test]
fn bad_uuid_text_is_invalid_uuid() {
    let cases = [
        // Uppercase is not the canonical TypeID form.
        "ord_01H455VB4PEX5VSKNK084SN02Q",
        // Above 128 bits: the first character must be 0-7.
        "ord_81h455vb4pex5vsknk084sn02q",
        // `u` is not in the alphabet.
        "ord_01h455vb4pex5vsknk084sn02u",
        "ord_01h455vb4pex5vsknk084sn02",
        "ord_01h455vb4pex5vsknk084sn02qq",
        // The hyphenated form is not the text form of a prefixed UUID ID.
        "ord_01890a5d-ac96-774b-bcce-b302099a8057",
    ];
    for input in cases {
        assert!(matches!(input.parse::<OrderId>(), Err(Error::InvalidUuid { id_type: "OrderId", .. })), "{input:?}");
    }
    assert!(matches!("not-a-uuid".parse::<EventId>(), Err(Error::InvalidUuid { id_type: "EventId", .. })));
    assert!(matches!(SPEC_SUFFIX.parse::<EventId>(), Err(Error::InvalidUuid { .. })));
    assert_eq!("ord_zz".parse::<OrderId>().unwrap_err().reason(), "invalid_uuid");
}

#[test]
fn unprefixed_uuid_ids_accept_the_usual_uuid_forms() {
    let expected = Ok(EventId::new(SPEC_UUID));
    assert_eq!("01890a5dac96774bbcceb302099a8057".parse(), expected);
    assert_eq!("01890A5D-AC96-774B-BCCE-B302099A8057".parse(), expected);
    assert_eq!(EventId::new(Uuid::max()).to_string().parse(), Ok(EventId::new(Uuid::max())));
}

#[test]
fn errors_shorten_huge_inputs() {
    let input = format!("cus_{}", "9".repeat(10_000));
    let err = input.parse::<CustomerId>().unwrap_err();
    assert!(matches!(err, Error::Overflow { .. }));
    assert!(err.input().len() < 100, "{}", err.input().len());
    assert!(err.input().ends_with('…'));

    let multibyte = "é".repeat(100);
    let err = multibyte.parse::<CustomerId>().unwrap_err();
    assert!(matches!(err, Error::WrongPrefix { .. }));
    assert!(err.input().starts_with("éé"));
}
