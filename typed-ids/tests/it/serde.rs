//! serde: transparent by default, prefixed per type, the typed errors' messages.

use serde_json::json;
use typed_ids::ShortStr;

use crate::ids::*;

/// The message that serde_json reports, without its " at line 1 column N" suffix.
fn json_error<T: serde::de::DeserializeOwned + core::fmt::Debug>(json: &str) -> String {
    let err = serde_json::from_str::<T>(json).unwrap_err();
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap()
}

#[test]
fn transparent_ids_serialize_as_the_bare_value() {
    assert_eq!(serde_json::to_value(CustomerId::new(123)).unwrap(), json!(123));
    assert_eq!(serde_json::to_value(SeatId::new(7)).unwrap(), json!(7));
    assert_eq!(serde_json::to_value(SessionId::new(SPEC_UUID)).unwrap(), json!("01890a5d-ac96-774b-bcce-b302099a8057"));
    assert_eq!(serde_json::to_value(Sku::new(ShortStr::from_static("MUG"))).unwrap(), json!("MUG"));
}

#[test]
fn prefixed_ids_serialize_as_their_text() {
    assert_eq!(serde_json::to_value(LedgerEntryId::new(-3)).unwrap(), json!("ledger_entry_-3"));
    assert_eq!(serde_json::to_value(OrderId::new(SPEC_UUID)).unwrap(), json!(format!("ord_{SPEC_SUFFIX}")));
    assert_eq!(serde_json::to_value(ExternalRef::new(ShortStr::from_static("r-1"))).unwrap(), json!("r-1"));
}

#[test]
fn both_forms_round_trip_in_a_struct() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Invoice {
        customer: CustomerId,
        order: OrderId,
        entries: Vec<LedgerEntryId>,
        sku: Option<Sku>,
    }
    let invoice = Invoice {
        customer: CustomerId::new(1),
        order: OrderId::new(SPEC_UUID),
        entries: vec![LedgerEntryId::new(5), LedgerEntryId::new(-5)],
        sku: Some(Sku::new(ShortStr::from_static("A.1"))),
    };
    let text = serde_json::to_string(&invoice).unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"customer":1,"order":"ord_{SPEC_SUFFIX}","entries":["ledger_entry_5","ledger_entry_-5"],"sku":"A.1"}}"#
        )
    );
    assert_eq!(serde_json::from_str::<Invoice>(&text).unwrap(), invoice);
}

#[test]
fn transparent_ids_also_accept_their_display_text() {
    assert_eq!(from_json::<CustomerId>("123"), CustomerId::new(123));
    assert_eq!(from_json::<CustomerId>(r#""cus_123""#), CustomerId::new(123));
    assert_eq!(from_json::<SeatId>(r#""4""#), SeatId::new(4));
    // A UUID ID in transparent form takes the UUID's text or the TypeID text.
    assert_eq!(from_json::<SessionId>(r#""01890a5d-ac96-774b-bcce-b302099a8057""#), SessionId::new(SPEC_UUID));
    assert_eq!(from_json::<SessionId>(&format!(r#""sess_{SPEC_SUFFIX}""#)), SessionId::new(SPEC_UUID));
}

#[test]
fn deserialisation_reports_the_typed_errors() {
    const U64: &str = "a whole number from 0 to 18446744073709551615";
    const TYPEID: &str = "26 base32 characters (0-9 and a-z except i, l, o, u; the first one 0-7)";
    let cases = [
        (json_error::<CustomerId>(r#""prd_1""#), format!("invalid CustomerId \"prd_1\": expected cus_ followed by {U64}, found the prefix prd_")),
        // A number is the transparent form: its range is the raw value's.
        (json_error::<SeatId>("4294967296"), "invalid SeatId \"4294967296\": expected a whole number from 0 to 4294967295, found a number out of that range".to_owned()),
        (json_error::<CustomerId>("-1"), format!("invalid CustomerId \"-1\": expected {U64}, found a number out of that range")),
        // Text without the prefix is not a CustomerId's text.
        (json_error::<CustomerId>(r#""123""#), format!("invalid CustomerId \"123\": expected cus_ followed by {U64}, found no prefix")),
        (json_error::<CustomerId>(r#""cus_x""#), format!("invalid CustomerId \"cus_x\": expected cus_ followed by {U64}, found a character that is not a digit")),
        (json_error::<LedgerEntryId>(r#""""#), "invalid LedgerEntryId \"\": expected ledger_entry_ followed by a whole number from -9223372036854775808 to 9223372036854775807, found an empty string".to_owned()),
        (json_error::<OrderId>(r#""ord_nope""#), format!("invalid OrderId \"ord_nope\": expected ord_ followed by {TYPEID}")),
        (json_error::<SessionId>(r#""garbage""#), "invalid SessionId \"garbage\": expected a UUID (32 hexadecimal digits, optionally hyphenated 8-4-4-4-12)".to_owned()),
        (json_error::<Sku>(r#""ABCDEFGHIJKLM""#), "invalid Sku \"ABCDEFGHIJKLM\": expected 1 to 12 characters from A-Z, a-z, 0-9, '.', '_' and '-', found more than 12 characters".to_owned()),
        (json_error::<ExternalRef>(r#""a b""#), "invalid ExternalRef \"a b\": expected 1 to 8 characters from A-Z, a-z, 0-9, '.', '_' and '-', found a character that is not allowed".to_owned()),
    ];
    for (found, expected) in cases {
        assert_eq!(found, expected);
    }
}

#[test]
fn prefixed_ids_refuse_bare_numbers_and_other_types() {
    assert_eq!(
        json_error::<LedgerEntryId>("5"),
        "invalid type: integer `5`, expected LedgerEntryId: ledger_entry_ followed by a whole number from \
         -9223372036854775808 to 9223372036854775807"
    );
    assert_eq!(
        json_error::<CustomerId>("1.5"),
        "invalid type: floating point `1.5`, expected CustomerId: a whole number from 0 to 18446744073709551615"
    );
    assert_eq!(
        json_error::<OrderId>(r#""01890a5d-ac96-774b-bcce-b302099a8057""#),
        "invalid OrderId \"01890a5d-ac96-774b-bcce-b302099a8057\": expected ord_ followed by 26 base32 characters \
         (0-9 and a-z except i, l, o, u; the first one 0-7), found no prefix"
    );
    assert_eq!(
        json_error::<EventId>("5"),
        "invalid type: integer `5`, expected EventId: a UUID (32 hexadecimal digits, optionally hyphenated 8-4-4-4-12)"
    );
    assert_eq!(
        json_error::<Sku>("5"),
        "invalid type: integer `5`, expected Sku: 1 to 12 characters from A-Z, a-z, 0-9, '.', '_' and '-'"
    );
}

#[test]
fn json_map_keys_round_trip_for_unprefixed_and_prefixed_forms() {
    use std::collections::BTreeMap;
    let seats: BTreeMap<SeatId, u8> = [(SeatId::new(2), 1)].into_iter().collect();
    let text = serde_json::to_string(&seats).unwrap();
    assert_eq!(text, r#"{"2":1}"#);
    assert_eq!(serde_json::from_str::<BTreeMap<SeatId, u8>>(&text).unwrap(), seats);

    let entries: BTreeMap<LedgerEntryId, u8> = [(LedgerEntryId::new(2), 1)].into_iter().collect();
    let text = serde_json::to_string(&entries).unwrap();
    assert_eq!(text, r#"{"ledger_entry_2":1}"#);
    assert_eq!(serde_json::from_str::<BTreeMap<LedgerEntryId, u8>>(&text).unwrap(), entries);
}
