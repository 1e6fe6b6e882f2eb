//! Key validation and the binary-key wrapper.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;

use crate::Error;

/// The longest key memcached accepts, in bytes.
pub const MAX_KEY_LEN: usize = 250;

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidKeyReason {
    /// The key is empty.
    Empty,
    /// The key is longer than [`MAX_KEY_LEN`] bytes (for a [`BinaryKey`], once base64-encoded).
    TooLong {
        /// Its length in bytes as it would go on the wire.
        len: usize,
    },
    /// The key holds a space, tab, line break, NUL or other control byte, which the text protocol would read as
    /// the end of the key.
    ForbiddenByte {
        /// The offending byte.
        byte: u8,
        /// Its position in the key.
        position: usize,
    },
    /// A binary key was used with the text protocol, which cannot carry it.
    BinaryNeedsMeta,
}

impl fmt::Display for InvalidKeyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidKeyReason::Empty => f.write_str("key is empty"),
            InvalidKeyReason::TooLong { len } => write!(f, "key is {len} bytes, over the {MAX_KEY_LEN}-byte limit"),
            InvalidKeyReason::ForbiddenByte { byte, position } => {
                write!(f, "byte {:?} at position {position} is whitespace or a control character", *byte as char)
            }
            InvalidKeyReason::BinaryNeedsMeta => f.write_str("binary keys need the meta protocol"),
        }
    }
}

/// Checks a text key: 1 to 250 bytes, none of them whitespace or control bytes.
pub(crate) fn check_text_key(key: &[u8]) -> Result<(), InvalidKeyReason> {
    if key.is_empty() {
        return Err(InvalidKeyReason::Empty);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(InvalidKeyReason::TooLong { len: key.len() });
    }
    match key.iter().position(|&b| b <= b' ' || b == 0x7f) {
        Some(position) => Err(InvalidKeyReason::ForbiddenByte { byte: key[position], position }),
        None => Ok(()),
    }
}

/// Something usable as a key: any byte string (`&str`, `String`, `&[u8]`, `Vec<u8>`, `Bytes`, ...), which must be
/// a valid text key, or a [`BinaryKey`], which may hold any bytes.
pub trait AsKey {
    /// The key's bytes as the caller gave them.
    fn key_bytes(&self) -> &[u8];

    /// Whether the key is binary and must travel base64-encoded.
    fn is_binary(&self) -> bool {
        false
    }
}

impl<T: AsRef<[u8]> + ?Sized> AsKey for T {
    fn key_bytes(&self) -> &[u8] {
        self.as_ref()
    }
}

/// A key made of arbitrary bytes (spaces, NULs, line breaks included), sent base64-encoded through the meta
/// protocol's `b` flag. Up to 187 bytes, which encode to memcached's 250-byte limit.
///
/// ```
/// use memcache_client::BinaryKey;
/// let key = BinaryKey(&b"\x00 binary\r\nkey"[..]);
/// # let _ = key;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BinaryKey<T>(pub T);

impl<T: AsRef<[u8]>> AsKey for BinaryKey<T> {
    fn key_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    fn is_binary(&self) -> bool {
        true
    }
}

/// A key checked and ready for the wire: the text key itself, or the base64 form of a binary key.
#[derive(Debug)]
pub(crate) struct WireKey<'a> {
    pub(crate) wire: std::borrow::Cow<'a, [u8]>,
    pub(crate) binary: bool,
}

impl<'a> WireKey<'a> {
    /// Validates `key` for the protocol in use (binary keys only over meta).
    pub(crate) fn new<K: AsKey + ?Sized>(key: &'a K, meta: bool) -> Result<Self, Error> {
        let raw = key.key_bytes();
        let invalid = |reason| Error::InvalidKey { key: Bytes::copy_from_slice(raw), reason };
        if !key.is_binary() {
            check_text_key(raw).map_err(invalid)?;
            return Ok(WireKey { wire: raw.into(), binary: false });
        }
        if !meta {
            return Err(invalid(InvalidKeyReason::BinaryNeedsMeta));
        }
        if raw.is_empty() {
            return Err(invalid(InvalidKeyReason::Empty));
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        if encoded.len() > MAX_KEY_LEN {
            return Err(invalid(InvalidKeyReason::TooLong { len: encoded.len() }));
        }
        Ok(WireKey { wire: encoded.into_bytes().into(), binary: true })
    }
}
