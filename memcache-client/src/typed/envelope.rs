//! The envelope around every typed value, sans-IO: who wrote it (type, schema version, schema fingerprint, codec)
//! travels with the bytes, so a reader can refuse what it must not decode.
//!
//! Layout (integers little-endian), 21 bytes plus the type name before the payload:
//!
//! | bytes | field |
//! |---|---|
//! | 0..2 | magic `MK` |
//! | 2 | envelope format version (1) |
//! | 3 | codec id ([`Codec::ID`]) |
//! | 4..8 | schema version (`u32`) |
//! | 8..16 | schema fingerprint (`u64`; 0 when the type cannot be traced) |
//! | 16..20 | payload length (`u32`) |
//! | 20 | type name length `n` (1..=255) |
//! | 21..21+n | type name (UTF-8) |
//! | 21+n.. | payload, exactly `payload length` bytes |
//!
//! The item's 32-bit client flags are set to [`ENVELOPE_FLAGS`], so a value stored by any other client is
//! recognised from its flags without parsing it. There is no checksum: the payload length catches truncation, and
//! a CRC of a 10 KiB value costs more than the whole envelope budget (see BENCHMARKS.md).

use bytes::Bytes;
pub use cache_schema::Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Codec;
use super::fingerprint::UNTRACEABLE;
use crate::Error;

/// The client flags of every enveloped value: `MK` and the envelope format version.
pub const ENVELOPE_FLAGS: u32 = 0x4d4b_0001;

const MAGIC: &[u8; 2] = b"MK";
const FORMAT: u8 = 1;
const FIXED: usize = 21;

/// Wraps `value` in an envelope, encoded with `C`.
///
/// # Errors
/// [`Error::Encode`] if serialisation fails or the payload is larger than 4 GiB.
pub fn encode<T: Serialize + ?Sized, C: Codec>(schema: &Schema, key: &[u8], value: &T) -> Result<Vec<u8>, Error> {
    let name = schema.type_name.as_bytes();
    let encode_error =
        |message: String| Error::Encode { key: Bytes::copy_from_slice(key), type_name: schema.type_name, message };
    let name_len = u8::try_from(name.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| encode_error("type name must be 1 to 255 bytes".into()))?;
    // The codec reserves what its payload needs; the header is small.
    let mut out = Vec::with_capacity(FIXED + name.len());
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.push(C::ID);
    out.extend_from_slice(&schema.version.to_le_bytes());
    out.extend_from_slice(&schema.fingerprint.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // payload length, patched below
    out.push(name_len);
    out.extend_from_slice(name);
    let start = out.len();
    C::encode(value, &mut out).map_err(encode_error)?;
    let payload_len = u32::try_from(out.len() - start).map_err(|_| encode_error("payload larger than 4 GiB".into()))?;
    out[16..20].copy_from_slice(&payload_len.to_le_bytes());
    Ok(out)
}

/// Checks the envelope of a value read under `key` (stored with client flags `flags`) against `expected`, then
/// decodes its payload with `C`.
///
/// Checks run cheapest and most telling first: flags, magic and lengths, type name, codec, version, fingerprint.
/// Nothing is decoded unless all pass.
///
/// # Errors
/// [`Error::NotEnveloped`], [`Error::Corrupt`], [`Error::UnexpectedType`], [`Error::UnexpectedCodec`],
/// [`Error::UnexpectedVersion`], [`Error::SchemaMismatch`] or [`Error::Decode`], each carrying the key.
pub fn decode<T: DeserializeOwned, C: Codec>(
    expected: &Schema,
    key: &[u8],
    flags: u32,
    bytes: &[u8],
) -> Result<T, Error> {
    let key = || Bytes::copy_from_slice(key);
    if flags != ENVELOPE_FLAGS {
        return Err(Error::NotEnveloped { key: key(), flags });
    }
    let corrupt = |reason| Error::Corrupt { key: key(), reason };
    if bytes.len() < FIXED {
        return Err(corrupt("shorter than an envelope header"));
    }
    if &bytes[0..2] != MAGIC {
        return Err(corrupt("bad magic bytes"));
    }
    if bytes[2] != FORMAT {
        return Err(corrupt("unknown envelope format version"));
    }
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let codec = bytes[3];
    let version = u32_at(4);
    let mut fingerprint = [0u8; 8];
    fingerprint.copy_from_slice(&bytes[8..16]);
    let fingerprint = u64::from_le_bytes(fingerprint);
    let payload_len = u32_at(16) as usize;
    let name_len = bytes[20] as usize;
    let name_end = FIXED + name_len;
    if name_len == 0 || bytes.len() < name_end {
        return Err(corrupt("truncated in the type name"));
    }
    if bytes.len() - name_end != payload_len {
        return Err(corrupt(if bytes.len() - name_end < payload_len {
            "truncated payload"
        } else {
            "bytes after the payload"
        }));
    }
    let name = &bytes[FIXED..name_end];
    if name != expected.type_name.as_bytes() {
        return Err(Error::UnexpectedType {
            key: key(),
            expected: expected.type_name,
            found: String::from_utf8_lossy(name).into_owned(),
        });
    }
    if codec != C::ID {
        return Err(Error::UnexpectedCodec { key: key(), expected: C::NAME, found: codec });
    }
    if version != expected.version {
        return Err(Error::UnexpectedVersion {
            key: key(),
            type_name: expected.type_name,
            expected: expected.version,
            found: version,
        });
    }
    if fingerprint != expected.fingerprint && fingerprint != UNTRACEABLE && expected.fingerprint != UNTRACEABLE {
        return Err(Error::SchemaMismatch {
            key: key(),
            type_name: expected.type_name,
            version,
            expected: expected.fingerprint,
            found: fingerprint,
        });
    }
    C::decode(&bytes[name_end..]).map_err(|message| Error::Decode {
        key: key(),
        type_name: expected.type_name,
        message,
    })
}
