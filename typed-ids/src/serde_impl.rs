//! serde for ID types: transparent by default, or the prefixed string.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::__private::ReprKind;
use crate::error::{Error, Format};
use crate::id::{Id, SerdeForm};
use crate::repr::Repr;
use crate::short_str::ShortStr;
use crate::text;

/// `Serialize` for generated types.
///
/// # Errors
///
/// Only those of the serializer.
pub fn serialize_id<T: Id, S: Serializer>(id: &T, serializer: S) -> Result<S::Ok, S::Error> {
    match T::SERDE_FORM {
        SerdeForm::Prefixed => serializer.collect_str(id),
        SerdeForm::Transparent => id.get().__serialize(serializer),
    }
}

/// `Deserialize` for generated types. Failures carry the message of the typed [`Error`].
///
/// In human-readable formats a transparent integer ID also accepts its `Display` text
/// (`"cus_123"`), because query strings and path segments are text.
///
/// # Errors
///
/// Those of the deserializer, and an error whose message is that of [`Error`] when the
/// value is not a valid ID.
pub fn deserialize_id<'de, T: Id, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    let visitor = IdVisitor::<T>(PhantomData);
    match (T::SERDE_FORM, <T::Repr as Repr>::__KIND) {
        (SerdeForm::Prefixed, _) | (SerdeForm::Transparent, ReprKind::Str { .. }) => {
            deserializer.deserialize_str(visitor)
        }
        (SerdeForm::Transparent, _) if deserializer.is_human_readable() => deserializer.deserialize_any(visitor),
        (SerdeForm::Transparent, _) => T::Repr::__deserialize(deserializer, T::TYPE_NAME).map(T::new),
    }
}

/// Turns a typed error into the deserializer's error, keeping a copy for the axum
/// extractors (see `crate::axum::capture`).
fn fail<E: de::Error>(err: Error) -> E {
    #[cfg(feature = "axum")]
    crate::axum::capture::record(&err);
    E::custom(err)
}

struct IdVisitor<T>(PhantomData<T>);

impl<T: Id> IdVisitor<T> {
    fn number<E: de::Error>(
        self,
        converted: Option<Result<T::Repr, crate::error::Reason>>,
        unexpected: Unexpected<'_>,
        input: impl fmt::Display,
    ) -> Result<T, E> {
        match (T::SERDE_FORM, converted) {
            (SerdeForm::Transparent, Some(Ok(raw))) => Ok(T::new(raw)),
            (SerdeForm::Transparent, Some(Err(reason))) => {
                let format = Format::raw(<T::Repr as Repr>::__KIND);
                Err(fail(Error::new(reason, T::TYPE_NAME, format, &input.to_string())))
            }
            _ => Err(E::invalid_type(unexpected, &self)),
        }
    }
}

impl<T: Id> Visitor<'_> for IdVisitor<T> {
    type Value = T;

    /// `CustomerId: a whole number from 0 to 18446744073709551615`: the type and what its serde form looks like.
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = match T::SERDE_FORM {
            SerdeForm::Prefixed => Format::of::<T>(),
            SerdeForm::Transparent => Format::raw(<T::Repr as Repr>::__KIND),
        };
        write!(f, "{}: {format}", T::TYPE_NAME)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.number(T::Repr::__from_u64(v), Unexpected::Unsigned(v), v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.number(T::Repr::__from_i64(v), Unexpected::Signed(v), v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        let parsed = match T::SERDE_FORM {
            SerdeForm::Prefixed => text::parse_id::<T>(v),
            SerdeForm::Transparent => text::parse_transparent::<T>(v),
        };
        parsed.map_err(fail)
    }
}

/// The transparent serde form of each representation (a supertrait of [`Repr`]).
pub trait SerdeRepr: Sized {
    /// Serialises the raw value.
    fn __serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Deserialises the raw value from a non-human-readable format.
    fn __deserialize<'de, D: Deserializer<'de>>(deserializer: D, id_type: &'static str) -> Result<Self, D::Error>;
}

macro_rules! int_serde {
    ($ty:ty) => {
        impl SerdeRepr for $ty {
            fn __serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.serialize(serializer)
            }

            fn __deserialize<'de, D: Deserializer<'de>>(
                deserializer: D,
                _id_type: &'static str,
            ) -> Result<Self, D::Error> {
                <$ty>::deserialize(deserializer)
            }
        }
    };
}

int_serde!(u64);
int_serde!(i64);
int_serde!(u32);

impl SerdeRepr for uuid::Uuid {
    fn __serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }

    fn __deserialize<'de, D: Deserializer<'de>>(deserializer: D, _id_type: &'static str) -> Result<Self, D::Error> {
        uuid::Uuid::deserialize(deserializer)
    }
}

impl<const N: usize> SerdeRepr for ShortStr<N> {
    fn __serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }

    fn __deserialize<'de, D: Deserializer<'de>>(deserializer: D, id_type: &'static str) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ShortStrVisitor::<N>(id_type))
    }
}

struct ShortStrVisitor<const N: usize>(&'static str);

impl<const N: usize> Visitor<'_> for ShortStrVisitor<N> {
    type Value = ShortStr<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0, Format::raw(ReprKind::Str { capacity: N }))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ShortStr<N>, E> {
        let format = Format::raw(ReprKind::Str { capacity: N });
        ShortStr::try_from_str(v).map_err(|reason| fail(Error::new(reason, self.0, format, v)))
    }
}

impl<const N: usize> Serialize for ShortStr<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for ShortStr<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ShortStrVisitor::<N>("ShortStr"))
    }
}
