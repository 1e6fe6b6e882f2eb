//! Request bodies: JSON whatever the `Content-Type` says, refused with a message that says what the body should
//! look like, in the API's words (a JSON object and its field names), never in Rust's (`struct NewCustomer`).

use serde::de::{self, DeserializeOwned, IgnoredAny, Visitor};
use serde_json::error::Category;

use crate::error::ShopError;

/// Decodes a request body (JSON, whatever the `Content-Type` says) into one of the `New*` bodies.
///
/// Messages say what was expected, then what is wrong: `expected a JSON object with fields name, credits: found
/// an array`, `expected ...: the body is not valid JSON (EOF while parsing an object at line 1 column 1)`,
/// `expected ...: missing field `credits` at line 1 column 14`.
///
/// # Errors
/// [`ShopError::InvalidBody`] for anything that is not the expected JSON object, [`ShopError::InvalidAmount`] for
/// a number beyond what JSON parsers represent.
pub fn decode_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ShopError> {
    let invalid =
        |problem: String| ShopError::InvalidBody { message: format!("expected {}: {problem}", expected::<T>()) };
    let Some(&first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(invalid("the body is empty".to_owned()));
    };
    if first != b'{' {
        // Checked before decoding: serde would also take a JSON array of the fields in order, and would describe
        // anything else in Rust's terms.
        return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => invalid(format!("found {}", json_kind(first))),
            Err(e) => invalid(format!("the body is not valid JSON ({e})")),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        if message.starts_with("number out of range") {
            // serde_json refuses numbers past f64's range before any visitor sees them.
            ShopError::InvalidAmount { field: "amount", problem: "is out of range" }
        } else if e.classify() == Category::Data {
            invalid(message)
        } else {
            invalid(format!("the body is not valid JSON ({message})"))
        }
    })
}

/// What a JSON value starting with `first` is, in JSON's words.
fn json_kind(first: u8) -> &'static str {
    match first {
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

/// `a JSON object with fields name, credits` (or `with the field product_id`) for a struct deriving
/// `Deserialize`; `a JSON object` otherwise.
fn expected<T: DeserializeOwned>() -> String {
    let mut fields: &'static [&'static str] = &[];
    // The derived impl asks for a struct and names its fields; that is all this deserializer answers.
    let _ = T::deserialize(FieldNames(&mut fields));
    match fields {
        [] => "a JSON object".to_owned(),
        [field] => format!("a JSON object with the field {field}"),
        fields => format!("a JSON object with fields {}", fields.join(", ")),
    }
}

/// A deserializer that only records the field names a `deserialize_struct` call passes, then fails.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}
