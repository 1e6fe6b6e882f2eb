//! Outbound HTTP through hyper.

use std::time::Duration;

use bytes::Bytes;
use effects::{Method, Outbound, OutboundError, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// [`Outbound`] over hyper's pooled HTTP/1 client. Plain `http://` only: TLS is not built in (terminate it in a
/// sidecar, or add a TLS connector here when a service needs one). Needs a tokio runtime. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HyperOutbound {
    client: Client<HttpConnector, Full<Bytes>>,
    default_timeout: Duration,
}

impl Default for HyperOutbound {
    fn default() -> Self {
        Self::new(Duration::from_secs(10))
    }
}

impl HyperOutbound {
    /// A client whose requests time out after `default_timeout` unless they set their own.
    pub fn new(default_timeout: Duration) -> Self {
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        Self { client, default_timeout }
    }
}

fn to_http(request: Request) -> Result<http::Request<Full<Bytes>>, OutboundError> {
    let invalid = |message: String| OutboundError::InvalidRequest { message };
    let uri: http::Uri = request.url.parse().map_err(|e: http::uri::InvalidUri| invalid(e.to_string()))?;
    if uri.scheme_str() != Some("http") {
        return Err(invalid(format!("{}: only http:// URLs are supported", request.url)));
    }
    let method = match request.method {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Patch => http::Method::PATCH,
        Method::Delete => http::Method::DELETE,
        Method::Head => http::Method::HEAD,
        other => return Err(invalid(format!("unsupported method {other}"))),
    };
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Full::new(request.body)).map_err(|e| invalid(e.to_string()))
}

impl Outbound for HyperOutbound {
    async fn send(&self, request: Request) -> Result<Response, OutboundError> {
        let url = request.url.clone();
        let timeout = request.timeout.unwrap_or(self.default_timeout);
        let http_request = to_http(request)?;
        let exchange = async {
            let response = self.client.request(http_request).await.map_err(|e| {
                if e.is_connect() {
                    OutboundError::Connect { url: url.clone(), message: e.to_string() }
                } else {
                    OutboundError::Io { url: url.clone(), message: e.to_string() }
                }
            })?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| OutboundError::Io { url: url.clone(), message: e.to_string() })?
                .to_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect();
            Ok(Response { status: parts.status.as_u16(), headers, body })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout { url }),
        }
    }
}
