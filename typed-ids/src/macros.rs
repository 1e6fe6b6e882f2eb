//! The [`id!`] macro and the per-feature pieces it expands to.

/// Declares one or more ID types.
///
/// ```
/// typed_ids::id! {
///     /// A customer of the shop.
///     #[derive(Default)]
///     pub CustomerId: u64, prefix = "cus";
///
///     /// An order; its JSON form is the prefixed string.
///     pub OrderId: uuid::Uuid, prefix = "ord", serde = prefixed;
///
///     /// A warehouse bin, cached under `bin:`.
///     pub(crate) BinId: u32, cache = "bin"
/// }
///
/// let c = CustomerId::new(123);
/// assert_eq!(c.get(), 123);
/// assert_eq!(c.to_string(), "cus_123");
/// assert_eq!(format!("{c:?}"), "CustomerId(123)");
/// assert_eq!(c.cache_key().as_str(), "customer:123");
/// assert_eq!(BinId::new(4).cache_key().as_str(), "bin:4");
/// ```
///
/// Each declaration is `attributes visibility Name: Repr` followed by options:
///
/// - attributes (doc comments, `#[derive(..)]`, `#[allow(..)]`...) go onto the struct
///   (put a `#[cfg]` on a module around the declaration instead: the impls would stay
///   behind). The macro already derives `Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash` and
///   implements `Debug`, `Display` and `FromStr` (and serde/sqlx/utoipa traits with those
///   features), so don't derive those again.
/// - `Repr` is `u64`, `i64`, `u32`, `uuid::Uuid` or [`ShortStr<N>`](crate::ShortStr).
/// - `prefix = "cus"`: the text form becomes `cus_123` (UUIDs: `cus_` + TypeID base32) and
///   parsing requires that prefix. Checked when the program compiles: 1 to 63 of
///   `a`-`z` and `_`, starting and ending with a letter (the TypeID rule).
/// - `serde = transparent` (default) or `serde = prefixed`, see [`SerdeForm`](crate::SerdeForm).
/// - `cache = "ns"`: the cache-key namespace; by default the type name in snake_case
///   without a trailing `Id` (`LineItemId` -> `line_item`).
///
/// A prefix that breaks the TypeID rule does not compile:
///
/// ```compile_fail
/// typed_ids::id!(pub CustomerId: u64, prefix = "Cus");
/// ```
///
/// The generated type is `#[repr(transparent)]` over the repr, has inherent `const fn
/// new(raw)`, `const fn get(self)` and `fn cache_key(&self)`, implements [`Id`](crate::Id),
/// and nothing else: no `From`, no `Deref`, no arithmetic, no comparison with other types.
#[macro_export]
macro_rules! id {
    () => {};
    (
        $(#[$attr:meta])*
        $vis:vis $name:ident : $repr:ty
        $(, $key:ident = $value:tt)* $(,)?
        $(; $($rest:tt)*)?
    ) => {
        $crate::__id_options! {
            [$(#[$attr])*] [$vis] [$name] [$repr]
            [prefix: none] [serde: none] [cache: none]
            $($key = $value,)*
        }
        $($crate::id! { $($rest)* })?
    };
}

/// Collects the options of one declaration, then expands it.
#[doc(hidden)]
#[macro_export]
macro_rules! __id_options {
    ($decl:tt $vis:tt $name:tt $repr:tt [prefix: none] $serde:tt $cache:tt prefix = $value:literal, $($rest:tt)*) => {
        $crate::__id_options! { $decl $vis $name $repr [prefix: $value] $serde $cache $($rest)* }
    };
    ($decl:tt $vis:tt $name:tt $repr:tt $prefix:tt [serde: none] $cache:tt serde = transparent, $($rest:tt)*) => {
        $crate::__id_options! { $decl $vis $name $repr $prefix [serde: Transparent] $cache $($rest)* }
    };
    ($decl:tt $vis:tt $name:tt $repr:tt $prefix:tt [serde: none] $cache:tt serde = prefixed, $($rest:tt)*) => {
        $crate::__id_options! { $decl $vis $name $repr $prefix [serde: Prefixed] $cache $($rest)* }
    };
    ($decl:tt $vis:tt $name:tt $repr:tt $prefix:tt [serde: none] $cache:tt serde = $other:tt, $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "typed_ids::id!: `serde = ", ::core::stringify!($other),
            "` is not a serde form; use `transparent` or `prefixed`"
        ));
    };
    ($decl:tt $vis:tt $name:tt $repr:tt $prefix:tt $serde:tt [cache: none] cache = $value:literal, $($rest:tt)*) => {
        $crate::__id_options! { $decl $vis $name $repr $prefix $serde [cache: $value] $($rest)* }
    };
    ($decl:tt $vis:tt $name:tt $repr:tt $prefix:tt $serde:tt $cache:tt $key:ident = $value:tt, $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "typed_ids::id!: unknown or repeated option `", ::core::stringify!($key),
            " = ", ::core::stringify!($value), "`; options are `prefix = \"..\"`, ",
            "`serde = transparent|prefixed` and `cache = \"..\"`, each at most once"
        ));
    };
    ($decl:tt $vis:tt $name:tt $repr:tt $prefix:tt [serde: none] $cache:tt) => {
        $crate::__id_options! { $decl $vis $name $repr $prefix [serde: Transparent] $cache }
    };
    (
        [$(#[$attr:meta])*] [$vis:vis] [$name:ident] [$repr:ty]
        [prefix: $prefix:tt] [serde: $serde:ident] [cache: $cache:tt]
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        $vis struct $name($repr);

        impl $name {
            /// Wraps a raw value. The only way in: there is no `From` conversion.
            #[inline]
            #[must_use]
            $vis const fn new(raw: $repr) -> Self {
                Self(raw)
            }

            /// Returns the raw value.
            #[inline]
            #[must_use]
            $vis const fn get(self) -> $repr {
                self.0
            }

            /// The memcached-safe cache key for this ID, e.g. `customer:123`.
            #[must_use]
            $vis fn cache_key(&self) -> $crate::CacheKey {
                $crate::CacheKey::of(self)
            }
        }

        impl $crate::Id for $name {
            type Repr = $repr;
            const TYPE_NAME: &'static str = ::core::stringify!($name);
            const PREFIX: ::core::option::Option<&'static str> = $crate::__id_prefix!($prefix);
            const CACHE_NAMESPACE: &'static str = $crate::__id_namespace!($name, $cache);
            const SERDE_FORM: $crate::SerdeForm = $crate::SerdeForm::$serde;

            #[inline]
            fn new(raw: $repr) -> Self {
                Self(raw)
            }

            #[inline]
            fn get(self) -> $repr {
                self.0
            }
        }

        const _: () = {
            $crate::__private::check_prefix(<$name as $crate::Id>::PREFIX);
            $crate::__private::check_namespace::<$repr>(<$name as $crate::Id>::CACHE_NAMESPACE);
        };

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(::core::stringify!($name)).field(&self.0).finish()
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                $crate::__private::fmt_id(self, f)
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::Error;

            fn from_str(s: &str) -> ::core::result::Result<Self, $crate::Error> {
                $crate::__private::parse_id(s)
            }
        }

        $crate::__id_serde!($name);
        $crate::__id_sqlx!($name, $repr);
        $crate::__id_utoipa!($name);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __id_prefix {
    (none) => {
        ::core::option::Option::None
    };
    ($prefix:literal) => {
        ::core::option::Option::Some($prefix)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __id_namespace {
    ($name:ident, none) => {{
        const LEN: usize = $crate::__private::snake_len(::core::stringify!($name));
        const BYTES: [u8; LEN] = $crate::__private::snake_bytes::<LEN>(::core::stringify!($name));
        $crate::__private::const_str(&BYTES)
    }};
    ($name:ident, $cache:literal) => {
        $cache
    };
}

#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __id_serde {
    ($name:ident) => {
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                $crate::__private::serialize_id(self, serializer)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                $crate::__private::deserialize_id(deserializer)
            }
        }
    };
}

#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __id_serde {
    ($name:ident) => {};
}

#[cfg(feature = "sqlx")]
#[doc(hidden)]
#[macro_export]
macro_rules! __id_sqlx {
    ($name:ident, $repr:ty) => {
        impl<DB> $crate::__private::sqlx::Type<DB> for $name
        where
            DB: $crate::__private::sqlx::Database,
            <$repr as $crate::__private::SqlRepr>::Sql: $crate::__private::sqlx::Type<DB>,
        {
            fn type_info() -> <DB as $crate::__private::sqlx::Database>::TypeInfo {
                <<$repr as $crate::__private::SqlRepr>::Sql as $crate::__private::sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &<DB as $crate::__private::sqlx::Database>::TypeInfo) -> bool {
                <<$repr as $crate::__private::SqlRepr>::Sql as $crate::__private::sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB> $crate::__private::sqlx::Encode<'q, DB> for $name
        where
            DB: $crate::__private::sqlx::Database,
            <$repr as $crate::__private::SqlRepr>::Sql: $crate::__private::sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as $crate::__private::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> ::core::result::Result<
                $crate::__private::sqlx::encode::IsNull,
                $crate::__private::sqlx::error::BoxDynError,
            > {
                let sql = $crate::__private::SqlRepr::to_sql(&self.0, ::core::stringify!($name))?;
                $crate::__private::sqlx::Encode::<'q, DB>::encode(sql, buf)
            }
        }

        impl<'r, DB> $crate::__private::sqlx::Decode<'r, DB> for $name
        where
            DB: $crate::__private::sqlx::Database,
            <$repr as $crate::__private::SqlRepr>::Sql: $crate::__private::sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as $crate::__private::sqlx::Database>::ValueRef<'r>,
            ) -> ::core::result::Result<Self, $crate::__private::sqlx::error::BoxDynError> {
                let sql =
                    <<$repr as $crate::__private::SqlRepr>::Sql as $crate::__private::sqlx::Decode<'r, DB>>::decode(
                        value,
                    )?;
                let raw = <$repr as $crate::__private::SqlRepr>::from_sql(sql, ::core::stringify!($name))?;
                ::core::result::Result::Ok(Self(raw))
            }
        }
    };
}

#[cfg(not(feature = "sqlx"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __id_sqlx {
    ($name:ident, $repr:ty) => {};
}

#[cfg(feature = "utoipa")]
#[doc(hidden)]
#[macro_export]
macro_rules! __id_utoipa {
    ($name:ident) => {
        impl $crate::__private::utoipa::PartialSchema for $name {
            fn schema() -> $crate::__private::utoipa::openapi::RefOr<$crate::__private::utoipa::openapi::schema::Schema>
            {
                $crate::__private::schema::<Self>()
            }
        }

        impl $crate::__private::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(::core::stringify!($name))
            }
        }
    };
}

#[cfg(not(feature = "utoipa"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __id_utoipa {
    ($name:ident) => {};
}
