//! serde: transparent by default, prefixed per type, the typed errors' messages.

use serde_json::json;
use typed_ids::{Error, ShortStr};

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
    let wrong = Error::WrongPrefix {
        id_type: "CustomerId",
        expected: "cus",
        found: "prd".to_owned(),
        input: "prd_1".to_owned(),
    };
    assert_eq!(json_error::<CustomerId>(r#""prd_1""#), wrong.to_string());

    let overflow = Error::Overflow { id_type: "SeatId", input: "4294967296".to_owned() };
    assert_eq!(json_error::<SeatId>("4294967296"), overflow.to_string());

    let negative = Error::Overflow { id_type: "CustomerId", input: "-1".to_owned() };
    assert_eq!(json_error::<CustomerId>("-1"), negative.to_string());

    // Text without the prefix is not a CustomerId's text.
    let bare =
        Error::WrongPrefix { id_type: "CustomerId", expected: "cus", found: String::new(), input: "123".to_owned() };
    assert_eq!(json_error::<CustomerId>(r#""123""#), bare.to_string());

    let digit = Error::InvalidDigit { id_type: "CustomerId", input: "cus_x".to_owned() };
    assert_eq!(json_error::<CustomerId>(r#""cus_x""#), digit.to_string());

    let empty = Error::Empty { id_type: "LedgerEntryId", input: String::new() };
    assert_eq!(json_error::<LedgerEntryId>(r#""""#), empty.to_string());

    let uuid = Error::InvalidUuid { id_type: "OrderId", input: "ord_nope".to_owned() };
    assert_eq!(json_error::<OrderId>(r#""ord_nope""#), uuid.to_string());

    let session = Error::InvalidUuid { id_type: "SessionId", input: "garbage".to_owned() };
    assert_eq!(json_error::<SessionId>(r#""garbage""#), session.to_string());

    let long = Error::Overflow { id_type: "Sku", input: "ABCDEFGHIJKLM".to_owned() };
    assert_eq!(json_error::<Sku>(r#""ABCDEFGHIJKLM""#), long.to_string());

    let prefixed_sku = Error::InvalidDigit { id_type: "ExternalRef", input: "a b".to_owned() };
    assert_eq!(json_error::<ExternalRef>(r#""a b""#), prefixed_sku.to_string());
}

#[test]
fn prefixed_ids_refuse_bare_numbers_and_other_types() {
    assert_eq!(
        json_error::<LedgerEntryId>("5"),
        "invalid type: integer `5`, expected a LedgerEntryId string like `ledger_entry_...`"
    );
    assert_eq!(json_error::<CustomerId>("1.5"), "invalid type: floating point `1.5`, expected a CustomerId number");
    assert_eq!(
        json_error::<OrderId>(r#""01890a5d-ac96-774b-bcce-b302099a8057""#),
        Error::WrongPrefix {
            id_type: "OrderId",
            expected: "ord",
            found: String::new(),
            input: "01890a5d-ac96-774b-bcce-b302099a8057".to_owned(),
        }
        .to_string()
    );
    assert_eq!(json_error::<EventId>("5"), "invalid type: integer `5`, expected a EventId string");
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
