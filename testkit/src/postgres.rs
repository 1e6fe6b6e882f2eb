//! A throwaway PostgreSQL cluster: `initdb` into a temporary directory, `postgres` on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{READY_ATTEMPTS, free_port, private_dir, signal};

/// One PostgreSQL cluster of its own (data directory, socket directory and log in a temporary directory), serving
/// on a free port of 127.0.0.1 with `trust` authentication for the superuser `postgres`. Dropping it shuts the
/// server down (SIGQUIT, PostgreSQL's immediate shutdown), reaps it and removes the directory.
///
/// PostgreSQL refuses to run as root: when the tests run as root, `initdb` and `postgres` run as the `postgres`
/// OS user (`PG_OS_USER` names another) through `setpriv`, and the directory is handed to that user. The programs
/// come from `PG_BIN_DIR`, else the newest `/usr/lib/postgresql/*/bin` (Debian's layout), else `PATH`.
///
/// ```no_run
/// let pg = memkit_testkit::Postgres::start();
/// println!("connect to {}", pg.url());
/// ```
pub struct Postgres {
    child: Child,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
}

impl Postgres {
    /// Creates and starts a cluster.
    ///
    /// The port is picked free and handed to `postgres`, which cannot pick its own: if another process takes it
    /// in between, the server fails to bind and exits, and the start is retried on another port (up to 20 times).
    /// Readiness is the server's own word: `postmaster.pid` in this data directory says `ready`, so a foreign
    /// listener on the port is never mistaken for it.
    ///
    /// # Panics
    /// If PostgreSQL is not installed, `initdb` fails, or no start succeeds.
    pub fn start() -> Self {
        let dir = private_dir();
        let data = dir.join("data");
        let user = run_as();
        if let Some(user) = &user {
            let status = Command::new("chown").args(["-R", user, path_str(&dir)]).status().expect("chown(1)");
            assert!(status.success(), "chown {} to {user} failed", dir.display());
        }
        let initdb = command(&user, "initdb")
            .args(["-D", path_str(&data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .output()
            .expect("initdb must be installed (scripts/ensure-deps installs postgresql)");
        assert!(initdb.status.success(), "initdb failed: {}", String::from_utf8_lossy(&initdb.stderr));

        for _ in 0..20 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("postgres.log")).expect("postgres.log");
            if let Some(user) = &user {
                let _ = Command::new("chown").args([user, path_str(&dir.join("postgres.log"))]).status();
            }
            let mut child = command(&user, "postgres")
                .args(["-D", path_str(&data), "-p", &port.to_string(), "-k", path_str(&dir)])
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("postgres must be installed (scripts/ensure-deps installs postgresql)");
            if wait_ready(&mut child, &data) {
                return Self { child, port, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        panic!("postgres did not start on any of 20 free ports; last log:\n{log}");
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of database `name` on this server (create it first with [`Postgres::create_database`]).
    pub fn url_for(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` (an SQL identifier: letters, digits, `_`) and returns its URL.
    ///
    /// # Panics
    /// If `name` is not a plain identifier or `psql` fails.
    pub fn create_database(&self, name: &str) -> String {
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "plain identifiers only: {name}");
        let out = Command::new(bin("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", "postgres"])
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql must be installed");
        assert!(out.status.success(), "CREATE DATABASE {name}: {}", String::from_utf8_lossy(&out.stderr));
        self.url_for(name)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown, which also stops the backends and frees shared memory; SIGKILL would leave
        // backends behind until they noticed.
        if matches!(self.child.try_wait(), Ok(None)) {
            signal(self.child.id(), "-QUIT");
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `postmaster.pid` until the server says `ready`, or the process exits (it could not bind, say).
fn wait_ready(child: &mut Child, data: &Path) -> bool {
    let pid_file = data.join("postmaster.pid");
    for _ in 0..READY_ATTEMPTS {
        // Line 8 is the postmaster's status; `ready` once it accepts connections.
        let status = std::fs::read_to_string(&pid_file).unwrap_or_default();
        if status.lines().nth(7).is_some_and(|line| line.trim() == "ready") {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        // Startup takes a while (recovery, shared memory): give up the CPU for a moment rather than spin.
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

/// The OS user to run the server as: `None` when not root, else `PG_OS_USER` or `postgres`.
fn run_as() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().expect("id(1)");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    Some(std::env::var("PG_OS_USER").unwrap_or_else(|_| "postgres".to_owned()))
}

/// `program` from the PostgreSQL bin directory, through `setpriv` as `user` when there is one.
fn command(user: &Option<String>, program: &str) -> Command {
    match user {
        None => Command::new(bin(program)),
        Some(user) => {
            let mut command = Command::new("setpriv");
            command.args(["--reuid", user, "--regid", user, "--init-groups", "--"]).arg(bin(program));
            command.env("HOME", "/tmp");
            command
        }
    }
}

/// `PG_BIN_DIR/<program>`, else the newest Debian `/usr/lib/postgresql/<version>/bin/<program>`, else `<program>`.
fn bin(program: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN_DIR") {
        return Path::new(&dir).join(program);
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .max();
    match newest {
        Some(version) => PathBuf::from(format!("/usr/lib/postgresql/{version}/bin/{program}")),
        None => PathBuf::from(program),
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}
