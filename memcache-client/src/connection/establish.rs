//! Opening a connection: TCP or a Unix socket, TLS when configured, authentication when configured.

use std::io;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UnixStream};
use tokio::time::Duration;
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;

use crate::Error;
use crate::config::{Config, Endpoint, ServerAddr};

/// TCP keepalive: idle time before the first probe, the time between probes, and how many unanswered probes end the
/// connection. In-flight requests are guarded by the request timeout; this catches an idle connection whose peer
/// vanished (a partition, a VM gone), within about half a minute instead of the kernel's default two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(10);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_PROBES: u32 = 3;
pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    // Boxed: a rustls connection is a few KiB, the other variants a file descriptor.
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects, does the TLS handshake when [`Config::tls`] is set and authenticates when [`Config::auth`] is: the
/// stream returned is ready for requests, and nothing but the handshake and the auth exchange was sent on it.
pub(super) async fn establish(addr: &ServerAddr, config: &Config, server: &str) -> Result<Stream, Error> {
    let connect_error = |e: io::Error| Error::Connect { server: server.to_owned(), source: Arc::new(e) };
    let mut stream = match addr.endpoint() {
        Endpoint::Tcp { host, port } => {
            let tcp = TcpStream::connect((host.as_str(), *port)).await.map_err(connect_error)?;
            // Requests are already batched into one write; Nagle would only add latency.
            tcp.set_nodelay(true).map_err(connect_error)?;
            let keepalive = socket2::TcpKeepalive::new()
                .with_time(KEEPALIVE_IDLE)
                .with_interval(KEEPALIVE_INTERVAL)
                .with_retries(KEEPALIVE_PROBES);
            socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive).map_err(connect_error)?;
            over_tls_if_configured(tcp, host, config, server).await?
        }
        Endpoint::Unix(path) => {
            #[cfg(feature = "tls")]
            if config.tls.is_some() {
                // memcached serves TLS on TCP listeners only.
                return Err(Error::Tls {
                    server: server.to_owned(),
                    reason: "TLS is only spoken over TCP, not to a Unix socket".to_owned(),
                });
            }
            Stream::Unix(UnixStream::connect(path).await.map_err(connect_error)?)
        }
    };
    if let Some(credentials) = &config.auth {
        let authenticated = match &mut stream {
            Stream::Tcp(s) => credentials.authenticate(s, server).await,
            Stream::Unix(s) => credentials.authenticate(s, server).await,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => credentials.authenticate(s.as_mut(), server).await,
        };
        if let Err(error) = authenticated {
            shutdown(&mut stream).await;
            return Err(error);
        }
    }
    Ok(stream)
}

/// The TLS handshake on `tcp` when [`Config::tls`] is set; `tcp` as it is otherwise.
#[cfg(feature = "tls")]
async fn over_tls_if_configured(tcp: TcpStream, host: &str, config: &Config, server: &str) -> Result<Stream, Error> {
    match &config.tls {
        Some(tls) => Ok(Stream::Tls(Box::new(tls.handshake(host, tcp, server).await?))),
        None => Ok(Stream::Tcp(tcp)),
    }
}

/// Without the `tls` feature there is no TLS to speak: `tcp` as it is.
#[cfg(not(feature = "tls"))]
async fn over_tls_if_configured(tcp: TcpStream, _host: &str, _config: &Config, _server: &str) -> Result<Stream, Error> {
    Ok(Stream::Tcp(tcp))
}

/// Closes a stream that will never carry a request (after refused auth): close_notify and FIN, errors ignored.
async fn shutdown(stream: &mut Stream) {
    let _ = match stream {
        Stream::Tcp(s) => s.shutdown().await,
        Stream::Unix(s) => s.shutdown().await,
        #[cfg(feature = "tls")]
        Stream::Tls(s) => s.shutdown().await,
    };
}
