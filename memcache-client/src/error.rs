//! The crate's error type.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::key::InvalidKeyReason;
use crate::proto::ProtocolError;
use crate::typed::Rejection;

mod kind;
#[cfg(test)]
mod tests;

pub use kind::ErrorKind;

/// Everything that can go wrong in a memcached request.
///
/// Outcomes that are part of normal operation — a miss, `NOT_STORED`, `EXISTS`, `NOT_FOUND` — are not errors:
/// they come back as values (`Option`, `bool`, [`StoreOutcome`](crate::StoreOutcome)). Use the predicates
/// ([`Error::is_timeout`], [`Error::is_retryable`], ...) rather than matching on messages.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key cannot be sent: it is empty, too long, or holds whitespace or control bytes. Nothing was sent.
    #[error("invalid key {}: {reason}", Escaped(key))]
    InvalidKey {
        /// The key as given.
        key: Bytes,
        /// Why it was refused.
        reason: InvalidKeyReason,
    },
    /// The value is larger than the configured item size. Nothing was sent.
    #[error("value for key {} is {size} bytes, over the {limit}-byte limit", Escaped(key))]
    ValueTooLarge {
        /// The key the value was for.
        key: Bytes,
        /// The value's length.
        size: usize,
        /// The configured limit ([`Config::max_value_size`](crate::Config)).
        limit: usize,
    },
    /// A server address in the configuration could not be parsed.
    #[error("invalid server address {input:?}: {reason}")]
    InvalidAddress {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Connecting to the server did not finish within the connect timeout.
    #[error("connecting to {server} timed out after {timeout:?}")]
    ConnectTimeout {
        /// The server.
        server: String,
        /// The configured connect timeout.
        timeout: Duration,
    },
    /// Connecting to the server failed.
    #[error("cannot connect to {server}: {source}")]
    Connect {
        /// The server.
        server: String,
        /// The underlying error.
        source: Arc<io::Error>,
    },
    /// No reply arrived within the request timeout. If the connection said nothing at all for that long, it is
    /// closed and replaced (every request pending on it gets this error), so a late reply reaches nobody; if other
    /// replies were arriving, the late one is read and discarded when it comes.
    #[error("request to {server} timed out after {timeout:?}")]
    Timeout {
        /// The server.
        server: String,
        /// The configured request timeout.
        timeout: Duration,
    },
    /// The server is marked down: it failed [`Config::failure_limit`](crate::Config) times in a row. Nothing was
    /// sent; requests for its keys fail at once like this until `retry_in` has passed (under
    /// [`FailurePolicy::FailFast`](crate::FailurePolicy); under `Eject` its keys go to other servers meanwhile).
    #[error("{server} is marked down after repeated failures; retrying in {retry_in:?}")]
    ServerDown {
        /// The server.
        server: String,
        /// How long until requests try it again.
        retry_in: Duration,
    },
    /// The TLS handshake with the server failed: its certificate is not trusted or does not name it, the two sides
    /// share no protocol version, or the server did not speak TLS. Nothing was sent. Retrying does not help until
    /// the configuration ([`Config::tls`](crate::Config)) or the server's certificate changes.
    #[error("TLS handshake with {server} failed: {reason}")]
    Tls {
        /// The server.
        server: String,
        /// Why, as rustls put it.
        reason: String,
    },
    /// The TLS settings could not be built: a PEM that does not parse, a key that does not suit its certificate.
    #[error("invalid TLS configuration: {reason}")]
    InvalidTlsConfig {
        /// What is wrong.
        reason: String,
    },
    /// The server refused the configured credentials ([`Config::auth`](crate::Config)) when the connection opened.
    /// Nothing else was sent on it.
    #[error("{server} refused authentication: {message}")]
    AuthFailed {
        /// The server.
        server: String,
        /// The server's reply.
        message: String,
    },
    /// The connection failed while the request was in flight (reset, closed by the server, write error).
    #[error("connection to {server} failed: {source}")]
    Io {
        /// The server.
        server: String,
        /// The underlying error.
        source: Arc<io::Error>,
    },
    /// The server sent bytes that are not a valid reply. The connection was closed and will be replaced.
    #[error("protocol error from {server}: {source}")]
    Protocol {
        /// The server.
        server: String,
        /// What was wrong.
        source: ProtocolError,
    },
    /// The connection was closed because another request on it saw a reply that left the stream misaligned;
    /// this request was not answered and may or may not have been executed.
    #[error("connection to {server} was reset: {cause}")]
    ConnectionReset {
        /// The server.
        server: String,
        /// Why the connection was given up.
        cause: String,
    },
    /// The server replied `ERROR`: it does not know the command (for example a server too old for the meta
    /// protocol). The connection was closed and will be replaced.
    #[error("{server} replied ERROR (unknown command)")]
    UnknownCommand {
        /// The server.
        server: String,
    },
    /// The server replied `CLIENT_ERROR <message>`, for example incrementing a value that is not a number.
    #[error("{server} replied CLIENT_ERROR {}", Escaped(message))]
    ClientError {
        /// The server.
        server: String,
        /// The server's message.
        message: Bytes,
    },
    /// The server replied `SERVER_ERROR <message>`, for example when out of memory.
    #[error("{server} replied SERVER_ERROR {}", Escaped(message))]
    ServerError {
        /// The server.
        server: String,
        /// The server's message.
        message: Bytes,
    },
    /// A well-formed reply that does not answer the request that was sent (for example `EXISTS` to a `get`).
    #[error("unexpected reply from {server} to {command}: {reply}")]
    UnexpectedReply {
        /// The server.
        server: String,
        /// The command that was sent.
        command: &'static str,
        /// The reply, abbreviated.
        reply: String,
    },
    /// A typed read found a value it must not decode: another type, version, schema or codec wrote it, it is not
    /// a typed envelope at all, or the envelope is damaged. `reason` says which; match on it to act on one case
    /// (`Error::Rejected { reason: Rejection::SchemaMismatch { .. }, .. }`). Under
    /// [`DecodePolicy::TreatAsMiss`](crate::typed::DecodePolicy) these are misses.
    #[error("value under {} {reason}", Escaped(key))]
    Rejected {
        /// The key the value was read under.
        key: Bytes,
        /// Why it was refused, with what the reader expected and what it found.
        reason: Rejection,
    },
    /// The value could not be serialised (for example a map with non-string keys in a codec that needs them).
    #[error("value for {} did not encode as {type_name}: {message}", Escaped(key))]
    Encode {
        /// The key.
        key: Bytes,
        /// The type name.
        type_name: &'static str,
        /// The codec's message.
        message: String,
    },
    /// The typed handle's type has no schema fingerprint (its shape could not be traced), so nothing of it is read
    /// or written: fix the type's `cacheable!` declaration as the reason says. Never a miss, whatever the
    /// [`DecodePolicy`](crate::typed::DecodePolicy): a cache without its check must not pass for an empty one.
    #[error(transparent)]
    Untraceable(#[from] cache_schema::SchemaError),
    /// A multi-key operation was given no keys, or another argument was outside what memcached accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
}

impl Error {
    /// Whether the request timed out (connecting or waiting for the reply).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::ConnectTimeout { .. })
    }

    /// Whether the request was refused before anything was sent (bad key, value too large, bad argument).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidKey { .. } | Error::ValueTooLarge { .. } | Error::InvalidArgument(_))
    }

    /// Whether trying again later may succeed: timeouts and connection failures. Retrying a non-idempotent
    /// command (`incr`, `append`) after such an error may apply it twice.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::ConnectTimeout { .. }
                | Error::Connect { .. }
                | Error::ServerDown { .. }
                | Error::Io { .. }
                | Error::ConnectionReset { .. }
                | Error::Protocol { .. }
        )
    }

    /// Whether a typed read found data it must not decode: another type, version, schema or codec, a raw value,
    /// or a damaged envelope: exactly [`Error::Rejected`]. Under
    /// [`DecodePolicy::TreatAsMiss`](crate::typed::DecodePolicy) these are misses.
    pub fn is_rejected_value(&self) -> bool {
        matches!(self, Error::Rejected { .. })
    }

    /// The error's category, one per variant, for a program to match on; [`ErrorKind::as_str`] names it for
    /// metrics labels and logs (`"timeout"`, `"rejected"`, ...). A rejection's own reason is
    /// [`Rejection::as_str`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidKey { .. } => ErrorKind::InvalidKey,
            Error::ValueTooLarge { .. } => ErrorKind::ValueTooLarge,
            Error::InvalidAddress { .. } => ErrorKind::InvalidAddress,
            Error::ConnectTimeout { .. } => ErrorKind::ConnectTimeout,
            Error::Connect { .. } => ErrorKind::Connect,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::ServerDown { .. } => ErrorKind::ServerDown,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::InvalidTlsConfig { .. } => ErrorKind::InvalidTlsConfig,
            Error::AuthFailed { .. } => ErrorKind::AuthFailed,
            Error::Io { .. } => ErrorKind::Io,
            Error::Protocol { .. } => ErrorKind::Protocol,
            Error::ConnectionReset { .. } => ErrorKind::ConnectionReset,
            Error::UnknownCommand { .. } => ErrorKind::UnknownCommand,
            Error::ClientError { .. } => ErrorKind::ClientError,
            Error::ServerError { .. } => ErrorKind::ServerError,
            Error::UnexpectedReply { .. } => ErrorKind::UnexpectedReply,
            Error::Rejected { .. } => ErrorKind::Rejected,
            Error::Encode { .. } => ErrorKind::Encode,
            Error::Untraceable(_) => ErrorKind::Untraceable,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
        }
    }

    /// Whether the error says the server is unreachable or unresponsive (connect failures, timeouts, broken
    /// connections): what counts towards marking it down. Error replies and invalid input do not.
    pub fn is_server_failure(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::ConnectTimeout { .. }
                | Error::Connect { .. }
                | Error::Io { .. }
                | Error::ConnectionReset { .. }
        )
    }

    /// Whether the server answered with `ERROR`, `CLIENT_ERROR` or `SERVER_ERROR`.
    pub fn is_server_reply(&self) -> bool {
        matches!(self, Error::UnknownCommand { .. } | Error::ClientError { .. } | Error::ServerError { .. })
    }
}

/// Shows bytes as text with anything unprintable escaped, so a hostile key cannot forge log lines.
pub(crate) struct Escaped<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}
