//! memcached's ASCII authentication (`memcached -Y authfile`): the credentials and the exchange that opens every
//! connection.
//!
//! The client sends a `set` whose data block is `username password`; the server answers `STORED` or
//! `CLIENT_ERROR authentication failure` (and closes). Key and flags are ignored by a server with auth enabled. The
//! expiry is `-1` for a server *without* auth, which would store the `set` as an item: an item that expires at
//! once, so the password is not left readable in the cache.

use std::fmt;
use std::io;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::Error;

/// The longest reply line to the auth `set` that is read before giving up.
const MAX_REPLY: usize = 1024;

/// A username and password for memcached's ASCII authentication ([`Config::auth`](crate::Config)). `Debug` shows
/// the username only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials as they appear in memcached's authfile (`username:password`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the username is empty or holds whitespace, control characters or `:`, or the
    /// password holds a line break or is empty: memcached could never match them.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Result<Self, Error> {
        let (username, password) = (username.into(), password.into());
        if username.is_empty() || username.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':') {
            return Err(Error::InvalidArgument("auth username must be non-empty, without whitespace or ':'"));
        }
        if password.is_empty() || password.contains(['\r', '\n']) {
            return Err(Error::InvalidArgument("auth password must be non-empty, without line breaks"));
        }
        Ok(Self { username, password })
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The `set` that authenticates.
    fn command(&self) -> Vec<u8> {
        let payload = format!("{} {}", self.username, self.password);
        format!("set memkit-auth 0 -1 {}\r\n{payload}\r\n", payload.len()).into_bytes()
    }

    /// Authenticates a freshly opened connection: nothing else is written before this returns `Ok`.
    pub(crate) async fn authenticate<S>(&self, stream: &mut S, server: &str) -> Result<(), Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let io_error = |e: io::Error| Error::Io { server: server.to_owned(), source: Arc::new(e) };
        stream.write_all(&self.command()).await.map_err(io_error)?;
        stream.flush().await.map_err(io_error)?;
        // Nothing else was sent, so the reply line is all the server can have written.
        let mut reply = Vec::with_capacity(64);
        while !reply.ends_with(b"\r\n") {
            if reply.len() >= MAX_REPLY {
                break;
            }
            let mut chunk = [0u8; 64];
            let n = stream.read(&mut chunk).await.map_err(io_error)?;
            if n == 0 {
                // A server that closes without a word refused us too (it closes after CLIENT_ERROR).
                return Err(Error::AuthFailed { server: server.to_owned(), message: "connection closed".to_owned() });
            }
            reply.extend_from_slice(&chunk[..n]);
        }
        let line = reply.strip_suffix(b"\r\n").unwrap_or(&reply);
        match line {
            b"STORED" => Ok(()),
            _ if line.starts_with(b"CLIENT_ERROR") => Err(Error::AuthFailed {
                server: server.to_owned(),
                message: String::from_utf8_lossy(line).into_owned(),
            }),
            _ => Err(Error::UnexpectedReply {
                server: server.to_owned(),
                command: "auth set",
                reply: line.escape_ascii().to_string().chars().take(80).collect(),
            }),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}
