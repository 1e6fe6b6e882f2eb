//! TLS to memcached (`memcached -Z`) with rustls: the settings and the handshake.
//!
//! The crypto provider is rustls' `ring`, chosen explicitly rather than through the process-wide default, so an
//! application that installs another provider (or links crates that enable several) cannot make the client panic.

use std::fmt;
use std::io;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::Error;

/// How the client speaks TLS to every TCP server ([`Config::tls`](crate::Config)); memcached serves TLS on TCP
/// only, so a Unix-socket server fails with [`Error::Tls`].
///
/// Build it from PEM with [`TlsConfig::from_root_pem`] (plus [`TlsConfig::with_client_cert_pem`] for servers that
/// ask for a client certificate, memcached's `ssl_verify_mode`), or wrap a `rustls::ClientConfig` of your own with
/// [`TlsConfig::from_client_config`].
///
/// The certificate is checked against the server's host as configured (`127.0.0.1` needs an IP address in the
/// certificate's subject alternative names); [`TlsConfig::server_name`] checks another name instead, for example
/// when the servers are given by IP address but their certificates name a host.
///
/// ```no_run
/// use memcache_client::{Client, Config, ServerAddr, TlsConfig};
///
/// # fn main() -> Result<(), memcache_client::Error> {
/// let ca = std::fs::read("ca.pem").expect("CA certificate");
/// let mut config = Config::default();
/// config.tls = Some(TlsConfig::from_root_pem(&ca)?.server_name("cache.internal"));
/// let client = Client::with_config(ServerAddr::parse_list("10.0.0.5:11211")?, config)?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    roots: Option<RootCertStore>,
    client: Arc<ClientConfig>,
    server_name: Option<String>,
}

impl TlsConfig {
    /// Uses `client` as it is (its roots, client certificate, protocol versions and crypto provider).
    pub fn from_client_config(client: Arc<ClientConfig>) -> Self {
        Self { roots: None, client, server_name: None }
    }

    /// Trusts exactly the CA certificates in `pem` (one or more `BEGIN CERTIFICATE` blocks); no client
    /// certificate.
    ///
    /// # Errors
    /// [`Error::InvalidTlsConfig`] if `pem` holds no certificate or one that does not parse.
    pub fn from_root_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| invalid(format!("root certificate PEM: {e}")))?;
            roots.add(cert).map_err(|e| invalid(format!("root certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(invalid("no certificate in the root PEM".to_owned()));
        }
        let client = builder()?.with_root_certificates(roots.clone()).with_no_client_auth();
        Ok(Self { roots: Some(roots), client: Arc::new(client), server_name: None })
    }

    /// Presents the certificate chain in `cert_pem` with the private key in `key_pem` (PKCS#8, PKCS#1 or SEC1)
    /// to servers that ask for a client certificate. Only on a config made by [`TlsConfig::from_root_pem`].
    ///
    /// # Errors
    /// [`Error::InvalidTlsConfig`] if either PEM does not parse, the key does not suit the certificate, or this
    /// config was made from a `rustls::ClientConfig`.
    pub fn with_client_cert_pem(mut self, cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let roots = self.roots.clone().ok_or_else(|| {
            invalid("with_client_cert_pem needs a config from from_root_pem; set the certificate on your own rustls ClientConfig instead".to_owned())
        })?;
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("client certificate PEM: {e}")))?;
        if chain.is_empty() {
            return Err(invalid("no certificate in the client certificate PEM".to_owned()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid(format!("client key PEM: {e}")))?;
        let client = builder()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| invalid(format!("client certificate: {e}")))?;
        self.client = Arc::new(client);
        Ok(self)
    }

    /// Checks every server's certificate for `name` (a DNS name or an IP address) instead of its configured host.
    /// A name that is neither is reported when connecting, as [`Error::Tls`].
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The rustls configuration in use.
    pub fn client_config(&self) -> &Arc<ClientConfig> {
        &self.client
    }

    /// The TLS handshake over a connected socket to `host`.
    pub(crate) async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
        server: &str,
    ) -> Result<TlsStream<TcpStream>, Error> {
        let tls_error = |reason: String| Error::Tls { server: server.to_owned(), reason };
        let name = self.server_name.as_deref().unwrap_or(host);
        let name = ServerName::try_from(name.to_owned())
            .map_err(|_| tls_error(format!("{name:?} is not a valid TLS server name; set TlsConfig::server_name")))?;
        TlsConnector::from(self.client.clone()).connect(name, tcp).await.map_err(|e| handshake_error(e, server))
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("roots", &self.roots.as_ref().map(RootCertStore::len))
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

/// A handshake that rustls refused (bad certificate, no common protocol, the server spoke no TLS) is a TLS error;
/// the socket failing underneath it is a connect error like any other.
fn handshake_error(e: io::Error, server: &str) -> Error {
    if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return Error::Tls { server: server.to_owned(), reason: tls.to_string() };
    }
    if e.kind() == io::ErrorKind::InvalidData {
        return Error::Tls { server: server.to_owned(), reason: e.to_string() };
    }
    Error::Connect { server: server.to_owned(), source: Arc::new(e) }
}

fn builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, Error> {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS protocol versions: {e}")))
}

fn invalid(reason: String) -> Error {
    Error::InvalidTlsConfig { reason }
}
