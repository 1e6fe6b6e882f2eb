//! The memcached wire protocol, sans-IO.
//!
//! Nothing in this module touches a socket, a clock or a runtime: requests encode into any
//! [`BufMut`](bytes::BufMut) and replies decode from a [`BytesMut`](bytes::BytesMut) that the caller fills. A reply
//! that has not fully arrived is `Ok(None)`, a normal state; only malformed input is an error. That keeps the codec
//! testable with byte slices alone (see the property tests) and lets the connection layer own all IO.
//!
//! The text protocol (`get`, `set`, `incr`, ...) and the meta protocol (`mg`, `ms`, `md`, `ma`, `mn`, `me`) are
//! both covered; memcached's `doc/protocol.txt` is the authority for the formats.
//!
//! ```
//! use bytes::BytesMut;
//! use memcache_client::proto::{MetaFlag, ReplyDecoder, ReplyKind, Request, Response};
//!
//! let mut out = BytesMut::new();
//! Request::MetaGet { key: b"greeting", flags: [MetaFlag::ReturnValue, MetaFlag::ReturnClientFlags][..].into() }
//!     .encode(&mut out);
//! assert_eq!(&out[..], b"mg greeting v f\r\n");
//!
//! let decoder = ReplyDecoder::default();
//! let mut input = BytesMut::from(&b"VA 5 f7\r\nhel"[..]);
//! assert!(decoder.decode(ReplyKind::Meta, &mut input)?.is_none()); // partial: wait for more bytes
//! input.extend_from_slice(b"lo\r\n");
//! let Some(Response::Meta(reply)) = decoder.decode(ReplyKind::Meta, &mut input)? else { unreachable!() };
//! assert_eq!(reply.value.as_deref(), Some(&b"hello"[..]));
//! assert_eq!(reply.flags.client_flags, Some(7));
//! # Ok::<(), memcache_client::proto::ProtocolError>(())
//! ```

mod decode;
mod error;
mod meta;
mod request;
mod response;
mod server;
#[cfg(test)]
mod tests;

pub(crate) use decode::Assembler;
pub use decode::{DEFAULT_MAX_LINE, ReplyDecoder};
pub use error::ProtocolError;
pub(crate) use meta::parse_num;
pub use meta::{MetaFlag, MetaMode, MetaReplyFlags};
pub use request::{Request, StoreMode};
pub use response::{ErrorReply, MetaCode, MetaResponse, ReplyKind, Response, Value};
