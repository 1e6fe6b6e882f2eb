//! What category an [`Error`](crate::Error) is in, as a value a program can match on.

use std::fmt;

/// The category of an [`Error`](crate::Error), one per variant: what [`Error::kind`](crate::Error::kind) returns.
///
/// Match on it (or on the error itself) to act on a category; use [`ErrorKind::as_str`] (or `Display`) for metrics
/// labels and logs. New categories may be added, so a `match` needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::InvalidKey`](crate::Error::InvalidKey).
    InvalidKey,
    /// [`Error::ValueTooLarge`](crate::Error::ValueTooLarge).
    ValueTooLarge,
    /// [`Error::InvalidAddress`](crate::Error::InvalidAddress).
    InvalidAddress,
    /// [`Error::ConnectTimeout`](crate::Error::ConnectTimeout).
    ConnectTimeout,
    /// [`Error::Connect`](crate::Error::Connect).
    Connect,
    /// [`Error::Timeout`](crate::Error::Timeout).
    Timeout,
    /// [`Error::ServerDown`](crate::Error::ServerDown).
    ServerDown,
    /// [`Error::Tls`](crate::Error::Tls).
    Tls,
    /// [`Error::InvalidTlsConfig`](crate::Error::InvalidTlsConfig).
    InvalidTlsConfig,
    /// [`Error::AuthFailed`](crate::Error::AuthFailed).
    AuthFailed,
    /// [`Error::Io`](crate::Error::Io).
    Io,
    /// [`Error::Protocol`](crate::Error::Protocol).
    Protocol,
    /// [`Error::ConnectionReset`](crate::Error::ConnectionReset).
    ConnectionReset,
    /// [`Error::UnknownCommand`](crate::Error::UnknownCommand).
    UnknownCommand,
    /// [`Error::ClientError`](crate::Error::ClientError).
    ClientError,
    /// [`Error::ServerError`](crate::Error::ServerError).
    ServerError,
    /// [`Error::UnexpectedReply`](crate::Error::UnexpectedReply).
    UnexpectedReply,
    /// [`Error::Rejected`](crate::Error::Rejected), whatever its [`Rejection`](crate::Rejection).
    Rejected,
    /// [`Error::Encode`](crate::Error::Encode).
    Encode,
    /// [`Error::Untraceable`](crate::Error::Untraceable).
    Untraceable,
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    InvalidArgument,
}

impl ErrorKind {
    /// A short, stable snake_case name (`"timeout"`, `"rejected"`, ...) for metrics labels and logs. These names
    /// do not change between releases, so dashboards and alerts can key on them.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::ValueTooLarge => "value_too_large",
            ErrorKind::InvalidAddress => "invalid_address",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ServerDown => "server_down",
            ErrorKind::Tls => "tls",
            ErrorKind::InvalidTlsConfig => "invalid_tls_config",
            ErrorKind::AuthFailed => "auth_failed",
            ErrorKind::Io => "io",
            ErrorKind::Protocol => "protocol",
            ErrorKind::ConnectionReset => "connection_reset",
            ErrorKind::UnknownCommand => "unknown_command",
            ErrorKind::ClientError => "client_error",
            ErrorKind::ServerError => "server_error",
            ErrorKind::UnexpectedReply => "unexpected_reply",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Encode => "encode",
            ErrorKind::Untraceable => "untraceable",
            ErrorKind::InvalidArgument => "invalid_argument",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
