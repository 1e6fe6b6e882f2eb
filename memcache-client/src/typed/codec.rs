//! Serialisation formats for typed values, behind one trait. The envelope records which codec wrote a value, so
//! data written with one is never decoded with another.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A serialisation format for typed values.
///
/// Implementations must be deterministic for a given type and bounded when decoding: no input may make `decode`
/// hold more than a small multiple of its own length (bincode: 32 times), plus what serde itself may reserve on
/// trust: serde's `size_hint::cautious` caps a claimed length at 1 MiB worth of elements per collection being
/// filled (a hash map's table for that many takes up to about 2.5 MiB). So a few bytes claiming a long `Vec` or
/// `HashMap` cost that much while they are read, and are rejected when the elements are not there; how many
/// collections can be open at once is fixed by `T`'s nesting, not by the input. Found by the `envelope` fuzz
/// target (`fuzz/`), which checks this bound.
pub trait Codec: Send + Sync + 'static {
    /// The id stored in the envelope. 1 and 2 are taken by [`Bincode`] and `Postcard` (feature `postcard`).
    const ID: u8;
    /// A human-readable name for errors.
    const NAME: &'static str;

    /// Appends the encoding of `value` to `out`.
    ///
    /// # Errors
    /// The codec's message, if serde reports an error (for example a map with non-string keys).
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String>;

    /// Decodes a whole `T` from `bytes`; trailing bytes are an error.
    ///
    /// # Errors
    /// The codec's message.
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String>;
}

/// bincode 2 in serde mode with its standard (varint) configuration: the default codec (feature `bincode`, on by
/// default; without it this type exists, so [`TypedClient`](super::TypedClient)'s default codec parameter keeps its
/// meaning, but it is not a [`Codec`]).
///
/// bincode's maintainers stopped in 2025 and 3.0 is a deliberate compile error, so this crate pins `bincode = "2"`.
/// It is compact and fast; `Postcard` (feature `postcard`) is the maintained alternative with a stable,
/// documented wire format. Switching codecs is safe at any time: values written with the other codec are
/// rejected ([`Rejection::UnexpectedCodec`](super::Rejection::UnexpectedCodec)), never misread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bincode;

/// Decodes with a bincode byte limit chosen from the payload length.
///
/// bincode allocates a string or byte buffer at the length the input claims before reading it, so without a limit
/// nine bytes of garbage could ask for an exabyte. The limit counts in-memory sizes: a varint `u128` is one byte on
/// the wire and claims 16, and nothing claims more per byte. So 16 times the payload length, rounded up to a power
/// of two, never refuses valid data, and caps what any input can make it allocate at 32 times its own length. The
/// limit does not cover serde's preallocation for a sequence or map, which bincode's serde mode reports at the
/// claimed length: serde caps that at 1 MiB per collection (see [`Codec`]).
#[cfg(feature = "bincode")]
macro_rules! bincode_decode_bounded {
    ($bytes:expr, $($shift:literal)*) => {{
        let bytes: &[u8] = $bytes;
        let need = bytes.len().max(1).next_power_of_two().saturating_mul(16);
        $(
            if need <= 1usize << $shift {
                let config = bincode::config::standard().with_limit::<{ 1usize << $shift }>();
                return finish(bincode::serde::decode_from_slice::<T, _>(bytes, config), bytes.len());
            }
        )*
        Err(format!("payload of {} bytes exceeds the largest supported value", bytes.len()))
    }};
}

/// A bincode writer that only counts.
#[cfg(feature = "bincode")]
struct Counter<'a>(&'a mut usize);

#[cfg(feature = "bincode")]
impl bincode::enc::write::Writer for Counter<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
        *self.0 += bytes.len();
        Ok(())
    }
}

/// A bincode writer that appends to a `Vec` (without `std::io::Write`'s indirection).
#[cfg(feature = "bincode")]
struct Appender<'a>(&'a mut Vec<u8>);

#[cfg(feature = "bincode")]
impl bincode::enc::write::Writer for Appender<'_> {
    fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(feature = "bincode")]
fn finish<T>(result: Result<(T, usize), bincode::error::DecodeError>, len: usize) -> Result<T, String> {
    match result {
        Ok((value, used)) if used == len => Ok(value),
        Ok((_, used)) => Err(format!("{} trailing bytes after the value", len - used)),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(feature = "bincode")]
impl Codec for Bincode {
    const ID: u8 = 1;
    const NAME: &'static str = "bincode2";

    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        // A counting pass first (no memory is written), so the buffer grows once, to the exact size: cheaper than
        // the doublings and copies of growing it as bytes arrive, which dominate for large values.
        let mut len = 0;
        bincode::serde::encode_into_writer(value, Counter(&mut len), bincode::config::standard())
            .map_err(|e| e.to_string())?;
        out.reserve_exact(len);
        bincode::serde::encode_into_writer(value, Appender(out), bincode::config::standard()).map_err(|e| e.to_string())
    }

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
        bincode_decode_bounded!(bytes, 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35)
    }
}

/// postcard: a maintained, documented, stable wire format (feature `postcard`).
#[cfg(feature = "postcard")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Postcard;

#[cfg(feature = "postcard")]
impl Codec for Postcard {
    const ID: u8 = 2;
    const NAME: &'static str = "postcard";

    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        let taken = std::mem::take(out);
        *out = postcard::to_extend(value, taken).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
        // postcard reads strings and byte buffers out of the input slice, so what it allocates is bounded by it.
        match postcard::take_from_bytes::<T>(bytes) {
            Ok((value, [])) => Ok(value),
            Ok((_, rest)) => Err(format!("{} trailing bytes after the value", rest.len())),
            Err(e) => Err(e.to_string()),
        }
    }
}
