//! TLS to memcached started with `-Z`: certificates made here with rcgen, a CA the client trusts and one it does
//! not.

use std::net::{IpAddr, Ipv4Addr};

use memcache_client::{Config, Credentials, Error, ErrorKind, StoreOptions, TlsConfig};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};

use crate::support::{Memcached, TempDir, client_with};

/// A CA and a server certificate it signed for `127.0.0.1` and `localhost`, written to a temp dir.
pub(crate) struct Pki {
    pub(crate) ca_pem: String,
    pub(crate) dir: TempDir,
}

impl Pki {
    pub(crate) fn new() -> Self {
        let (ca, ca_key) = ca("memkit test CA");
        let key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
        params.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        params.distinguished_name.push(DnType::CommonName, "memcached");
        let cert = params.signed_by(&key, &ca, &ca_key).expect("sign the server certificate");
        let dir = TempDir::new("tls");
        dir.write("cert.pem", &cert.pem());
        dir.write("key.pem", &key.serialize_pem());
        Self { ca_pem: ca.pem(), dir }
    }

    /// memcached arguments that serve TLS with this certificate.
    pub(crate) fn server_args(&self) -> Vec<String> {
        vec![
            "-Z".to_owned(),
            "-o".to_owned(),
            format!("ssl_chain_cert={},ssl_key={}", self.dir.path("cert.pem"), self.dir.path("key.pem")),
        ]
    }

    pub(crate) fn client_tls(&self) -> TlsConfig {
        TlsConfig::from_root_pem(self.ca_pem.as_bytes()).expect("CA PEM")
    }
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).expect("self-sign the CA");
    (cert, key)
}

pub(crate) fn start(args: &[String]) -> Memcached {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Memcached::start_with(&args)
}

fn tls_config(tls: TlsConfig) -> Config {
    let mut config = Config::default();
    config.tls = Some(tls);
    config
}

#[tokio::test]
async fn set_and_get_over_tls() {
    let pki = Pki::new();
    let server = start(&pki.server_args());
    let client = client_with(&server, tls_config(pki.client_tls()));
    assert!(client.set("greeting", "hello over tls", StoreOptions::default()).await.unwrap().is_stored());
    let item = client.get("greeting").await.unwrap().expect("just stored");
    assert_eq!(item.value, "hello over tls");
    // Many pipelined requests on the one TLS connection.
    let gets: Vec<_> = (0..50).map(|_| client.get("greeting")).collect();
    for got in futures_util::future::join_all(gets).await {
        assert_eq!(got.unwrap().expect("stored").value, "hello over tls");
    }
}

#[tokio::test]
async fn the_server_name_can_be_overridden() {
    let pki = Pki::new();
    let server = start(&pki.server_args());
    let client = client_with(&server, tls_config(pki.client_tls().server_name("localhost")));
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());

    let wrong_name = client_with(&server, tls_config(pki.client_tls().server_name("cache.example")));
    let err = wrong_name.get("k").await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
}

#[tokio::test]
async fn a_client_trusting_another_ca_is_refused_with_a_tls_error() {
    let pki = Pki::new();
    let server = start(&pki.server_args());
    let (other_ca, _) = ca("some other CA");
    let tls = TlsConfig::from_root_pem(other_ca.pem().as_bytes()).unwrap();
    let client = client_with(&server, tls_config(tls));
    let err = client.get("k").await.unwrap_err();
    assert!(matches!(&err, Error::Tls { reason, .. } if reason.contains("UnknownIssuer")), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert_eq!(err.kind().as_str(), "tls");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_tls_client_to_a_plain_server_gets_a_tls_error() {
    let pki = Pki::new();
    let server = Memcached::start();
    let client = client_with(&server, tls_config(pki.client_tls()));
    let err = client.get("k").await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
}

#[tokio::test]
async fn a_plain_client_to_a_tls_server_fails_with_a_typed_error() {
    let pki = Pki::new();
    let server = start(&pki.server_args());
    let client = client_with(&server, Config::default());
    let err = client.get("k").await.unwrap_err();
    // memcached reads the request as a broken TLS record and hangs up.
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[tokio::test]
async fn auth_works_over_tls() {
    let pki = Pki::new();
    pki.dir.write("auth", "alice:wonderland\n");
    let mut args = pki.server_args();
    args.extend(["-Y".to_owned(), pki.dir.path("auth")]);
    let server = start(&args);
    let mut config = tls_config(pki.client_tls());
    config.auth = Some(Credentials::new("alice", "wonderland").unwrap());
    let client = client_with(&server, config);
    assert!(client.set("k", "secret stuff", StoreOptions::default()).await.unwrap().is_stored());
    assert_eq!(client.get("k").await.unwrap().expect("stored").value, "secret stuff");

    let mut config = tls_config(pki.client_tls());
    config.auth = Some(Credentials::new("alice", "looking-glass").unwrap());
    let err = client_with(&server, config).get("k").await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err:?}");
}

#[test]
fn pem_without_a_certificate_is_an_invalid_tls_config() {
    let err = TlsConfig::from_root_pem(b"not a certificate").unwrap_err();
    assert!(matches!(err, Error::InvalidTlsConfig { .. }), "{err:?}");
    let pki = Pki::new();
    let err = pki.client_tls().with_client_cert_pem(pki.ca_pem.as_bytes(), b"no key here").unwrap_err();
    assert!(matches!(err, Error::InvalidTlsConfig { .. }), "{err:?}");
}
