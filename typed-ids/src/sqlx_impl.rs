//! sqlx for ID types: each is stored as the SQL type of its raw value.
//!
//! Neither SQLite nor Postgres has unsigned 64-bit integers, so `u64` and `u32` IDs are
//! stored as `BIGINT`/`INTEGER` (`i64`); a `u64` above `i64::MAX` fails to encode with
//! [`Error::Overflow`] instead of wrapping, and a negative or too large stored value fails
//! to decode the same way. UUIDs use sqlx's `Uuid` mapping (`UUID` in Postgres, a 16-byte
//! `BLOB` in SQLite); [`ShortStr`] IDs are `TEXT`.

use sqlx::error::BoxDynError;
use uuid::Uuid;

use crate::error::{Error, Format, Range, Reason};
use crate::short_str::ShortStr;

/// The SQL value of a representation.
pub trait SqlRepr: Sized {
    /// The Rust type that sqlx encodes and decodes.
    type Sql;

    /// Converts for encoding.
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] when the value has no SQL counterpart.
    fn to_sql(&self, id_type: &'static str) -> Result<Self::Sql, BoxDynError>;

    /// Converts after decoding.
    ///
    /// # Errors
    ///
    /// [`Error`] when the stored value is not a valid ID.
    fn from_sql(sql: Self::Sql, id_type: &'static str) -> Result<Self, BoxDynError>;
}

/// [`Error::Overflow`] for a value outside `range`, what both the ID and the column hold.
fn overflow(id_type: &'static str, range: Range, value: impl ToString) -> BoxDynError {
    Box::new(Error::new(Reason::Overflow, id_type, Format::integer(range), &value.to_string()))
}

/// `$range`: the values both the ID and an `i64` column hold.
macro_rules! int_sql {
    ($ty:ty, $range:expr) => {
        impl SqlRepr for $ty {
            type Sql = i64;

            fn to_sql(&self, id_type: &'static str) -> Result<i64, BoxDynError> {
                i64::try_from(*self).map_err(|_| overflow(id_type, $range, self))
            }

            fn from_sql(sql: i64, id_type: &'static str) -> Result<Self, BoxDynError> {
                <$ty>::try_from(sql).map_err(|_| overflow(id_type, $range, sql))
            }
        }
    };
}

int_sql!(u64, Range::Column);
int_sql!(u32, Range::U32);

impl SqlRepr for i64 {
    type Sql = i64;

    fn to_sql(&self, _id_type: &'static str) -> Result<i64, BoxDynError> {
        Ok(*self)
    }

    fn from_sql(sql: i64, _id_type: &'static str) -> Result<Self, BoxDynError> {
        Ok(sql)
    }
}

impl SqlRepr for Uuid {
    type Sql = Uuid;

    fn to_sql(&self, _id_type: &'static str) -> Result<Uuid, BoxDynError> {
        Ok(*self)
    }

    fn from_sql(sql: Uuid, _id_type: &'static str) -> Result<Self, BoxDynError> {
        Ok(sql)
    }
}

impl<const N: usize> SqlRepr for ShortStr<N> {
    type Sql = String;

    fn to_sql(&self, _id_type: &'static str) -> Result<String, BoxDynError> {
        Ok(self.as_str().to_owned())
    }

    fn from_sql(sql: String, id_type: &'static str) -> Result<Self, BoxDynError> {
        let format = Format::raw(crate::__private::ReprKind::Str { capacity: N });
        ShortStr::try_from_str(&sql)
            .map_err(|reason| Box::new(Error::new(reason, id_type, format, &sql)) as BoxDynError)
    }
}
