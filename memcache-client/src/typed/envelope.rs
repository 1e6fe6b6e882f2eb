//! The envelope around every typed value, sans-IO: who wrote it (type, schema version, schema fingerprint, codec)
//! travels with the bytes, so a reader can refuse what it must not decode.
//!
//! Layout (integers little-endian), 21 bytes plus the type name before the payload:
//!
//! | bytes | field |
//! |---|---|
//! | 0..2 | magic `MK` |
//! | 2 | envelope format version: 1 (no checksum) or 2 (checksummed) |
//! | 3 | codec id ([`Codec::ID`]) |
//! | 4..8 | schema version (`u32`) |
//! | 8..16 | schema fingerprint (`u64`; [`UNCHECKED`](super::fingerprint::UNCHECKED) for a type declared `unchecked`) |
//! | 16..20 | payload length (`u32`) |
//! | 20 | type name length `n` (1..=255) |
//! | 21..29 | format 2 only: XXH3-64 checksum of every other byte (the next rows then start 8 bytes later) |
//! | 21..21+n | type name (UTF-8) |
//! | 21+n.. | payload, exactly `payload length` bytes |
//!
//! The checksum is `xxh3_64_with_seed(bytes after it, xxh3_64(bytes 0..21))`. It sits in the header, not after the
//! payload, so writing it never grows (and copies) the exactly-sized buffer the codec filled.
//!
//! The item's 32-bit client flags are set to [`ENVELOPE_FLAGS`], so a value stored by any other client is
//! recognised from its flags without parsing it. The payload length catches truncation. Format 2 adds a checksum
//! ([`Integrity::Xxh3`], the typed client's default): any flipped bit is then [`Rejection::Corrupt`] instead of an
//! altered value; its cost, against CRC32, is in BENCHMARKS.md. Readers accept both formats and verify every
//! checksum they find; a reader from before format 2 rejects a format 2 envelope as `Corrupt` (unknown format
//! version), so no reader ever decodes a format it does not know.

use bytes::Bytes;
pub use cache_schema::Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Codec, Rejection};
use crate::Error;

/// The client flags of every enveloped value: `MK` and the envelope format family (1).
pub const ENVELOPE_FLAGS: u32 = 0x4d4b_0001;

const MAGIC: &[u8; 2] = b"MK";
/// The format without a checksum.
const PLAIN: u8 = 1;
/// The format with an XXH3-64 checksum after the payload.
const CHECKED: u8 = 2;
const FIXED: usize = 21;
const CHECKSUM: usize = 8;

/// Whether an envelope carries a checksum of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Integrity {
    /// No checksum (envelope format 1): a flipped bit in the payload may decode as an altered value.
    None,
    /// An XXH3-64 of the whole envelope after it (format 2): corruption is [`Rejection::Corrupt`]. The default.
    #[default]
    Xxh3,
}

/// Wraps `value` in an envelope without a checksum (format 1), encoded with `C`.
///
/// # Errors
/// [`Error::Encode`] if serialisation fails or the payload is larger than 4 GiB.
pub fn encode<T: Serialize + ?Sized, C: Codec>(schema: &Schema, key: &[u8], value: &T) -> Result<Vec<u8>, Error> {
    encode_with::<T, C>(schema, key, value, Integrity::None)
}

/// Wraps `value` in an envelope, encoded with `C`, with a checksum if `integrity` asks for one.
///
/// # Errors
/// [`Error::Encode`] if serialisation fails or the payload is larger than 4 GiB.
pub fn encode_with<T: Serialize + ?Sized, C: Codec>(
    schema: &Schema,
    key: &[u8],
    value: &T,
    integrity: Integrity,
) -> Result<Vec<u8>, Error> {
    let name = schema.type_name.as_bytes();
    let encode_error =
        |message: String| Error::Encode { key: Bytes::copy_from_slice(key), type_name: schema.type_name, message };
    let name_len = u8::try_from(name.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| encode_error("type name must be 1 to 255 bytes".into()))?;
    // The codec reserves what its payload needs; the header is small.
    let checked = integrity == Integrity::Xxh3;
    let mut out = Vec::with_capacity(FIXED + CHECKSUM + name.len());
    out.extend_from_slice(MAGIC);
    out.push(if checked { CHECKED } else { PLAIN });
    out.push(C::ID);
    out.extend_from_slice(&schema.version.to_le_bytes());
    out.extend_from_slice(&schema.fingerprint.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // payload length, patched below
    out.push(name_len);
    if checked {
        out.extend_from_slice(&[0; CHECKSUM]); // patched below
    }
    out.extend_from_slice(name);
    let start = out.len();
    C::encode(value, &mut out).map_err(encode_error)?;
    let payload_len = u32::try_from(out.len() - start).map_err(|_| encode_error("payload larger than 4 GiB".into()))?;
    out[16..20].copy_from_slice(&payload_len.to_le_bytes());
    if checked {
        let sum = checksum(&out);
        out[FIXED..FIXED + CHECKSUM].copy_from_slice(&sum.to_le_bytes());
    }
    Ok(out)
}

/// The XXH3-64 of a format 2 envelope, every byte but the checksum's own: the fixed header seeds the hash of the
/// rest.
fn checksum(envelope: &[u8]) -> u64 {
    use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};
    xxh3_64_with_seed(&envelope[FIXED + CHECKSUM..], xxh3_64(&envelope[..FIXED]))
}

/// Checks the envelope of a value read under `key` (stored with client flags `flags`) against `expected`, then
/// decodes its payload with `C`.
///
/// Checks run cheapest and most telling first: flags, magic, format and checksum, lengths, type name, codec,
/// version, fingerprint (exactly equal: a checked reader never accepts an unchecked writer's value, nor the other
/// way round). Nothing is decoded unless all pass.
///
/// # Errors
/// [`Error::Rejected`] carrying the key and, as the checks run, [`Rejection::NotEnveloped`],
/// [`Rejection::Corrupt`], [`Rejection::UnexpectedType`], [`Rejection::UnexpectedCodec`],
/// [`Rejection::UnexpectedVersion`], [`Rejection::SchemaMismatch`] or [`Rejection::Decode`].
pub fn decode<T: DeserializeOwned, C: Codec>(
    expected: &Schema,
    key: &[u8],
    flags: u32,
    bytes: &[u8],
) -> Result<T, Error> {
    let reject = |reason| Error::Rejected { key: Bytes::copy_from_slice(key), reason };
    if flags != ENVELOPE_FLAGS {
        return Err(reject(Rejection::NotEnveloped { flags }));
    }
    let corrupt = |reason| reject(Rejection::Corrupt { reason });
    if bytes.len() < FIXED {
        return Err(corrupt("shorter than an envelope header"));
    }
    if &bytes[0..2] != MAGIC {
        return Err(corrupt("bad magic bytes"));
    }
    let header = match bytes[2] {
        PLAIN => FIXED,
        CHECKED => {
            if bytes.len() < FIXED + CHECKSUM {
                return Err(corrupt("shorter than an envelope header"));
            }
            let mut stored = [0u8; CHECKSUM];
            stored.copy_from_slice(&bytes[FIXED..FIXED + CHECKSUM]);
            if checksum(bytes) != u64::from_le_bytes(stored) {
                return Err(corrupt("checksum mismatch"));
            }
            FIXED + CHECKSUM
        }
        _ => return Err(corrupt("unknown envelope format version")),
    };
    let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let codec = bytes[3];
    let version = u32_at(4);
    let mut fingerprint = [0u8; 8];
    fingerprint.copy_from_slice(&bytes[8..16]);
    let fingerprint = u64::from_le_bytes(fingerprint);
    let payload_len = u32_at(16) as usize;
    let name_len = bytes[20] as usize;
    let name_end = header + name_len;
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
    let name = &bytes[header..name_end];
    if name != expected.type_name.as_bytes() {
        return Err(reject(Rejection::UnexpectedType {
            expected: expected.type_name,
            found: String::from_utf8_lossy(name).into_owned(),
        }));
    }
    if codec != C::ID {
        return Err(reject(Rejection::UnexpectedCodec { expected: C::NAME, found: codec }));
    }
    if version != expected.version {
        return Err(reject(Rejection::UnexpectedVersion {
            type_name: expected.type_name,
            expected: expected.version,
            found: version,
        }));
    }
    if fingerprint != expected.fingerprint {
        return Err(reject(Rejection::SchemaMismatch {
            type_name: expected.type_name,
            version,
            expected: expected.fingerprint,
            found: fingerprint,
        }));
    }
    C::decode(&bytes[name_end..])
        .map_err(|message| reject(Rejection::Decode { type_name: expected.type_name, message }))
}
