//! Credit amounts as they arrive in JSON: any number, judged by the handler, so that a negative, fractional or
//! overflowing amount is `invalid_amount` rather than a generic body error.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::error::ShopError;

/// The largest amount accepted: 2^53 - 1, the largest integer every JSON client (JavaScript included) reads
/// exactly.
pub const MAX_AMOUNT: u64 = (1 << 53) - 1;

/// A credit amount from a request body: whatever number the client sent. [`Amount::get`] validates it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount(Raw);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Raw {
    Integer(u64),
    Negative,
    Other(f64),
}

impl Amount {
    /// A valid amount (for building requests in code and tests).
    #[must_use]
    pub const fn new(value: u64) -> Self {
        Self(Raw::Integer(value))
    }

    /// The amount, if it is a whole number from 0 to [`MAX_AMOUNT`].
    ///
    /// # Errors
    /// [`ShopError::InvalidAmount`] naming `field`.
    pub fn get(self, field: &'static str) -> Result<u64, ShopError> {
        let problem = match self.0 {
            Raw::Integer(v) if v <= MAX_AMOUNT => return Ok(v),
            Raw::Integer(_) => "is larger than 9007199254740991",
            Raw::Negative => "is negative",
            Raw::Other(v) if v < 0.0 => "is negative",
            // JSON has one number type: `1099.0` and `1e3` are whole numbers (JSON Schema's `integer` accepts
            // them too), and every whole f64 up to 2^53 - 1 converts exactly.
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "whole, 0..=2^53-1")]
            Raw::Other(v) if v.fract() == 0.0 && v <= MAX_AMOUNT as f64 => return Ok(v as u64),
            Raw::Other(v) if v.fract() == 0.0 => "is larger than 9007199254740991",
            Raw::Other(_) => "is not a whole number",
        };
        Err(ShopError::InvalidAmount { field, problem })
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;

        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number of credits")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(Raw::Integer(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                Ok(Amount(u64::try_from(v).map_or(Raw::Negative, Raw::Integer)))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                Ok(Amount(Raw::Other(v)))
            }
        }

        deserializer.deserialize_any(AmountVisitor)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Raw::Integer(v) => serializer.serialize_u64(v),
            Raw::Negative => serializer.serialize_i64(-1),
            Raw::Other(v) => serializer.serialize_f64(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(json: &str) -> Result<u64, &'static str> {
        let amount: Amount = serde_json::from_str(json).map_err(|_| "invalid_body")?;
        amount.get("credits").map_err(|e| e.code())
    }

    fn problem(json: &str) -> &'static str {
        let amount: Amount = serde_json::from_str(json).unwrap();
        match amount.get("credits") {
            Err(ShopError::InvalidAmount { field: "credits", problem }) => problem,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn whole_numbers_in_range_pass() {
        assert_eq!(code("0"), Ok(0));
        assert_eq!(code("9007199254740991"), Ok(MAX_AMOUNT));
    }

    #[test]
    fn whole_numbers_written_as_floats_pass() {
        // Found by schemathesis: `1099.0` was refused as "larger than 9007199254740991".
        assert_eq!(code("1099.0"), Ok(1099));
        assert_eq!(code("1e3"), Ok(1000));
        assert_eq!(code("-0.0"), Ok(0));
        assert_eq!(code("9007199254740991.0"), Ok(MAX_AMOUNT));
    }

    #[test]
    fn negative_fractional_and_overflowing_amounts_are_invalid_amount_with_the_reason() {
        for (json, reason) in [
            ("-1", "is negative"),
            ("-0.5", "is negative"),
            ("-9223372036854775809", "is negative"),
            ("1.5", "is not a whole number"),
            ("1099.25", "is not a whole number"),
            ("9007199254740992", "is larger than 9007199254740991"),
            ("9007199254740992.0", "is larger than 9007199254740991"),
            ("18446744073709551616", "is larger than 9007199254740991"),
            ("1e300", "is larger than 9007199254740991"),
        ] {
            assert_eq!(code(json), Err("invalid_amount"), "{json}");
            assert_eq!(problem(json), reason, "{json}");
        }
    }

    #[test]
    fn non_numbers_are_invalid_body() {
        for json in ["\"10\"", "null", "true", "[1]"] {
            assert_eq!(code(json), Err("invalid_body"), "{json}");
        }
    }
}
