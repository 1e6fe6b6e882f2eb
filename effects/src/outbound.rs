//! Outbound HTTP as plain data: a [`Request`] in, a [`Response`] out.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outbound HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute URL, `http://host[:port]/path?query`.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// How long to wait for the whole response; `None` uses the implementation's default.
    pub timeout: Option<Duration>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self { method, url: url.into(), headers: Vec::new(), body: Bytes::new(), timeout: None }
    }

    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A POST request with a JSON body.
    ///
    /// # Errors
    /// [`OutboundError::InvalidRequest`] if `body` does not serialise.
    pub fn post_json<T: Serialize + ?Sized>(url: impl Into<String>, body: &T) -> Result<Self, OutboundError> {
        Self::new(Method::Post, url).json(body)
    }

    /// This request with a header added.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// This request with a JSON body and `content-type: application/json`.
    ///
    /// # Errors
    /// [`OutboundError::InvalidRequest`] if `body` does not serialise.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, OutboundError> {
        let bytes = serde_json::to_vec(body).map_err(|e| OutboundError::InvalidRequest { message: e.to_string() })?;
        self.body = Bytes::from(bytes);
        Ok(self.header("content-type", "application/json"))
    }

    /// This request with a timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response with `status` and `body`, no headers.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self { status, headers: Vec::new(), body: body.into() }
    }

    /// A response with a JSON body.
    ///
    /// # Panics
    /// If `body` does not serialise (a test-setup bug).
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Self {
        let bytes = serde_json::to_vec(body).expect("response body serialises");
        Self { status, headers: vec![("content-type".into(), "application/json".into())], body: bytes.into() }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Decodes the body as JSON.
    ///
    /// # Errors
    /// [`OutboundError::InvalidResponse`].
    pub fn decode_json<T: DeserializeOwned>(&self) -> Result<T, OutboundError> {
        serde_json::from_slice(&self.body).map_err(|e| OutboundError::InvalidResponse { message: e.to_string() })
    }
}

/// Everything that can go wrong in an outbound call. A non-2xx status is a [`Response`], not an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// The request cannot be sent (bad URL, unsupported scheme, body did not serialise).
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
    },
    /// The server could not be reached.
    #[error("cannot connect for {url}: {message}")]
    Connect {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// No complete response within the timeout.
    #[error("{url} timed out")]
    Timeout {
        /// The URL.
        url: String,
    },
    /// The connection failed mid-exchange.
    #[error("{url}: {message}")]
    Io {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The response body did not decode.
    #[error("invalid response: {message}")]
    InvalidResponse {
        /// What is wrong.
        message: String,
    },
    /// Sandbox only: the test scripted no response for this request.
    #[error("no scripted response for {method} {url}")]
    NotScripted {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
    },
}

impl OutboundError {
    /// A short, stable name for metrics labels and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundError::InvalidRequest { .. } => "invalid_request",
            OutboundError::Connect { .. } => "connect",
            OutboundError::Timeout { .. } => "timeout",
            OutboundError::Io { .. } => "io",
            OutboundError::InvalidResponse { .. } => "invalid_response",
            OutboundError::NotScripted { .. } => "not_scripted",
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, OutboundError::Timeout { .. })
    }
}

/// Sends HTTP requests.
pub trait Outbound: Send + Sync {
    /// Sends `request` and reads the whole response.
    ///
    /// # Errors
    /// See [`OutboundError`]; a 4xx or 5xx status is an `Ok` response.
    fn send(&self, request: Request) -> impl Future<Output = Result<Response, OutboundError>> + Send;
}
