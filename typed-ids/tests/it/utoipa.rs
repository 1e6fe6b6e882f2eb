//! OpenAPI schemas follow the serde form.

use serde_json::{Value, json};
use utoipa::{PartialSchema, ToSchema};

use crate::ids::*;

fn schema_of<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap()
}

#[test]
fn transparent_integers_are_integers() {
    let schema = schema_of::<CustomerId>();
    assert_eq!(schema["type"], "integer");
    assert_eq!(schema["minimum"], 0);
    assert_eq!(schema["description"], "CustomerId (text form `cus_...`)");
    assert_eq!(schema_of::<SeatId>()["maximum"], json!(u32::MAX));
}

#[test]
fn prefixed_forms_are_patterned_strings() {
    let order = schema_of::<OrderId>();
    assert_eq!(order["type"], "string");
    assert_eq!(order["pattern"], "^ord_[0-7][0-9a-hjkmnp-tv-z]{25}$");
    let ledger = schema_of::<LedgerEntryId>();
    assert_eq!(ledger["pattern"], "^ledger_entry_-?[0-9]+$");
}

#[test]
fn transparent_uuids_and_strings() {
    let session = schema_of::<SessionId>();
    assert_eq!(session["type"], "string");
    assert_eq!(session["format"], "uuid");
    let sku = schema_of::<Sku>();
    assert_eq!(sku["maxLength"], 12);
    assert_eq!(sku["pattern"], "^[A-Za-z0-9._-]{1,12}$");
}

#[test]
fn schema_names_are_the_type_names() {
    assert_eq!(CustomerId::name(), "CustomerId");
    assert_eq!(OrderId::name(), "OrderId");
}
