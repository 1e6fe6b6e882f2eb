//! The text form: `prefix_value`, parsed and written the same way for every representation.

use core::fmt;

use crate::__private::ReprKind;
use crate::error::{Error, Format};
use crate::id::Id;
use crate::repr::Repr;

/// Parses the `Display` form of `T`.
pub(crate) fn parse_id<T: Id>(input: &str) -> Result<T, Error> {
    parse_repr::<T::Repr>(T::TYPE_NAME, T::PREFIX, input).map(T::new)
}

/// Parses `input` as a value of `R` behind `prefix`, attributing errors to `id_type`.
pub(crate) fn parse_repr<R: Repr>(
    id_type: &'static str,
    prefix: Option<&'static str>,
    input: &str,
) -> Result<R, Error> {
    let format = Format::text(prefix, R::__KIND);
    if input.is_empty() {
        return Err(Error::new(crate::error::Reason::Empty, id_type, format, input));
    }
    let body = match prefix {
        None => input,
        Some(expected) => split_prefix(R::__KIND, expected, input)
            .map_err(|found| Error::wrong_prefix(id_type, expected, format, found, input))?,
    };
    R::__parse(body, prefix.is_some()).map_err(|reason| Error::new(reason, id_type, format, input))
}

/// Returns the text after `expected_`, or the prefix that was found instead.
fn split_prefix<'a>(kind: ReprKind, expected: &str, input: &'a str) -> Result<&'a str, &'a str> {
    if let ReprKind::Str { .. } = kind {
        // String values may contain `_`, so the prefix ends at the first one.
        match input.strip_prefix(expected).and_then(|rest| rest.strip_prefix('_')) {
            Some(body) => Ok(body),
            None => Err(input.split_once('_').map_or("", |(found, _)| found)),
        }
    } else {
        // Numbers and TypeID suffixes never contain `_`, and prefixes may, so the prefix
        // ends at the last one.
        match input.rsplit_once('_') {
            Some((found, body)) if found == expected => Ok(body),
            Some((found, _)) => Err(found),
            None => Err(""),
        }
    }
}

/// Writes the `Display` form of `id`.
pub(crate) fn fmt_id<T: Id>(id: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if let Some(prefix) = T::PREFIX {
        f.write_str(prefix)?;
        f.write_str("_")?;
    }
    id.get().__fmt(T::PREFIX.is_some(), f)
}

/// Writes the raw value without prefix (decimal, hyphenated UUID, or the string).
pub(crate) struct Plain<R>(pub(crate) R);

impl<R: Repr> fmt::Display for Plain<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.__fmt(false, f)
    }
}

/// Parses a string met while deserialising the transparent form.
///
/// Integer IDs take their `Display` text only: a bare `"42"` is refused for a prefixed
/// type, since text without the prefix is how a product ID ends up in a customer URL.
/// UUID IDs also take the UUID's own text (their transparent serde form); string IDs
/// take the raw string (their transparent serde form).
#[cfg(feature = "serde")]
pub(crate) fn parse_transparent<T: Id>(input: &str) -> Result<T, Error> {
    let raw = match <T::Repr as Repr>::__KIND {
        ReprKind::Str { .. } => true,
        ReprKind::Uuid => !input.contains('_'),
        ReprKind::U64 | ReprKind::I64 | ReprKind::U32 => false,
    };
    if raw { parse_repr::<T::Repr>(T::TYPE_NAME, None, input).map(T::new) } else { parse_id::<T>(input) }
}

/// Compile-time checks run by the generated code; a failure is a compile error.
pub(crate) mod checks {
    /// Checks a prefix against the TypeID rule `^[a-z]([a-z_]{0,61}[a-z])?$`.
    pub(crate) const fn prefix(prefix: &str) {
        let b = prefix.as_bytes();
        if b.is_empty() || b.len() > 63 {
            panic!("typed_ids::id!: a prefix must have 1 to 63 characters");
        }
        if !b[0].is_ascii_lowercase() || !b[b.len() - 1].is_ascii_lowercase() {
            panic!("typed_ids::id!: a prefix must start and end with a lowercase letter (TypeID)");
        }
        let mut i = 0;
        while i < b.len() {
            if !(b[i].is_ascii_lowercase() || b[i] == b'_') {
                panic!("typed_ids::id!: a prefix may only contain `a`-`z` and `_` (TypeID)");
            }
            i += 1;
        }
    }

    /// Checks a cache namespace: 1 to 64 printable ASCII characters, nothing that
    /// memcached treats as a separator.
    pub(crate) const fn namespace(ns: &str) {
        let b = ns.as_bytes();
        if b.is_empty() || b.len() > 64 {
            panic!("typed_ids::id!: a cache namespace must have 1 to 64 characters");
        }
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_graphic() {
                panic!("typed_ids::id!: a cache namespace may only contain printable ASCII without spaces");
            }
            i += 1;
        }
    }
}

/// The snake_case cache namespace derived from a type name: `CustomerId` -> `customer`,
/// `HTTPRequestId` -> `http_request`. Computed in `const` so it costs nothing at run time.
pub(crate) mod snake {
    /// The name without a trailing `Id` (unless that is all there is).
    const fn stem(name: &[u8]) -> usize {
        let n = name.len();
        if n > 2 && name[n - 2] == b'I' && name[n - 1] == b'd' { n - 2 } else { n }
    }

    /// Whether an `_` goes before position `i` of `name[..end]`.
    const fn boundary(name: &[u8], i: usize, end: usize) -> bool {
        if i == 0 || !name[i].is_ascii_uppercase() {
            return false;
        }
        let prev = name[i - 1];
        if prev.is_ascii_lowercase() || prev.is_ascii_digit() {
            return true;
        }
        // The end of an acronym: `HTTPRequest` -> `http_request`.
        prev.is_ascii_uppercase() && i + 1 < end && name[i + 1].is_ascii_lowercase()
    }

    /// Length of the snake_case form of `name`.
    pub(crate) const fn len(name: &str) -> usize {
        let b = name.as_bytes();
        let end = stem(b);
        let mut n = 0;
        let mut i = 0;
        while i < end {
            if boundary(b, i, end) {
                n += 1;
            }
            n += 1;
            i += 1;
        }
        n
    }

    /// The snake_case form of `name`; `N` must be `len(name)`.
    pub(crate) const fn bytes<const N: usize>(name: &str) -> [u8; N] {
        let b = name.as_bytes();
        let end = stem(b);
        let mut out = [0u8; N];
        let mut n = 0;
        let mut i = 0;
        while i < end {
            if boundary(b, i, end) {
                out[n] = b'_';
                n += 1;
            }
            out[n] = b[i].to_ascii_lowercase();
            n += 1;
            i += 1;
        }
        out
    }

    #[cfg(test)]
    mod tests {
        fn snake(name: &str) -> String {
            let mut out = vec![0u8; super::len(name)];
            let b = name.as_bytes();
            let end = super::stem(b);
            let mut n = 0;
            for i in 0..end {
                if super::boundary(b, i, end) {
                    out[n] = b'_';
                    n += 1;
                }
                out[n] = b[i].to_ascii_lowercase();
                n += 1;
            }
            String::from_utf8(out).unwrap()
        }

        #[test]
        fn derives_namespaces_from_type_names() {
            assert_eq!(snake("CustomerId"), "customer");
            assert_eq!(snake("LineItemId"), "line_item");
            assert_eq!(snake("HTTPRequestId"), "http_request");
            assert_eq!(snake("Sku"), "sku");
            assert_eq!(snake("Id"), "id");
            assert_eq!(snake("V2TokenId"), "v2_token");
            assert_eq!(super::bytes::<9>("LineItemId"), *b"line_item");
        }
    }
}
