//! memcached's ASCII authentication (`-Y authfile`): every connection authenticates before its first request.

use memcache_client::{Config, Credentials, Error, ErrorKind, StoreOptions};

use crate::support::{Memcached, TempDir, client_with};

/// A server that accepts `alice:wonderland`, and the temp dir holding its authfile.
fn server() -> (Memcached, TempDir) {
    let dir = TempDir::new("auth");
    dir.write("auth", "alice:wonderland\nbob:builder\n");
    let server = Memcached::start_with(&["-Y", &dir.path("auth")]);
    (server, dir)
}

fn auth_config(user: &str, password: &str) -> Config {
    let mut config = Config::default();
    config.auth = Some(Credentials::new(user, password).expect("valid credentials"));
    config
}

#[tokio::test]
async fn the_right_password_authenticates_every_connection() {
    let (server, _dir) = server();
    let mut config = auth_config("alice", "wonderland");
    config.connections_per_server = 3;
    let client = client_with(&server, config);
    let sets: Vec<_> = (0..12)
        .map(|i| {
            let client = client.clone();
            async move { client.set(&format!("k{i}"), "v", StoreOptions::default()).await }
        })
        .collect();
    for set in futures_util::future::join_all(sets).await {
        assert!(set.unwrap().is_stored());
    }
    for i in 0..12 {
        assert_eq!(client.get(&format!("k{i}")).await.unwrap().expect("stored").value, "v");
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_auth_failed() {
    let (server, _dir) = server();
    let client = client_with(&server, auth_config("alice", "looking-glass"));
    let err = client.set("k", "v", StoreOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::AuthFailed);
    assert_eq!(err.kind().as_str(), "auth_failed");
    // The refused connection carried nothing: the right user still finds no key.
    let good = client_with(&server, auth_config("alice", "wonderland"));
    assert_eq!(good.get("k").await.unwrap(), None);
}

#[tokio::test]
async fn an_unknown_user_is_refused_with_auth_failed() {
    let (server, _dir) = server();
    let err = client_with(&server, auth_config("mallory", "wonderland")).get("k").await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err:?}");
}

#[tokio::test]
async fn without_credentials_an_auth_server_refuses_requests() {
    let (server, _dir) = server();
    let err = client_with(&server, Config::default()).get("k").await.unwrap_err();
    assert!(matches!(err, Error::ClientError { .. }), "{err:?}");
}

#[tokio::test]
async fn credentials_sent_to_a_server_without_auth_are_not_kept() {
    let server = Memcached::start();
    let client = client_with(&server, auth_config("alice", "wonderland"));
    assert!(client.set("k", "v", StoreOptions::default()).await.unwrap().is_stored());
    // The auth `set` was stored with expiry -1: gone at once, so the password is not readable from the cache.
    assert_eq!(client.get("memkit-auth").await.unwrap(), None);
}

#[test]
fn credentials_are_checked_and_their_debug_hides_the_password() {
    let credentials = Credentials::new("alice", "wonderland").unwrap();
    let shown = format!("{credentials:?}");
    assert!(shown.contains("alice") && !shown.contains("wonderland"), "{shown}");
    for (user, password) in [("", "pw"), ("al ice", "pw"), ("al:ice", "pw"), ("alice", ""), ("alice", "a\r\nb")] {
        let err = Credentials::new(user, password).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{user:?}/{password:?}: {err:?}");
    }
}
