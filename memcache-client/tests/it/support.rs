//! Clients for the test servers.

use memcache_client::{Client, Config, ServerAddr};
pub(crate) use memkit_testkit::{Memcached, Rng};

/// A client for `server` with the default config.
pub(crate) fn client(server: &Memcached) -> Client {
    Client::new(&server.addr()).expect("valid address")
}

/// A client for `server` with `config`.
pub(crate) fn client_with(server: &Memcached, config: Config) -> Client {
    Client::with_config(ServerAddr::parse_list(&server.addr()).expect("valid address"), config).expect("client")
}

/// A temp directory for a test's files (certificates, authfiles), removed on drop.
pub(crate) struct TempDir(std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("memkit-{label}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    /// The full path of `name` inside the directory.
    pub(crate) fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("utf-8 temp path").to_owned()
    }

    pub(crate) fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.0.join(name), contents).expect("write temp file");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
