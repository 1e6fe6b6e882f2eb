//! Test support: real `memcached` (and `nutcracker`) processes on free loopback ports, killed on drop, a throwaway
//! PostgreSQL cluster ([`Postgres`]) in a temporary directory, a seeded generator, a fault-injecting TCP relay
//! ([`Relay`]) to put between a client and a server, and the fuzz harnesses' proptest configuration
//! ([`fuzz_config`]).
//!
//! Tests talk to real servers, never to mocks. Each [`Memcached`] runs its own process on a port the OS handed
//! out, so tests run in parallel without sharing state.
//!
//! ```no_run
//! let server = memkit_testkit::Memcached::start();
//! println!("memcached listening at {}", server.addr());
//! ```

mod fuzz;
mod postgres;
mod relay;

pub use fuzz::fuzz_config;
pub use postgres::Postgres;
pub use relay::{Fault, GARBAGE, Relay};

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// One memcached process, killed when dropped.
pub struct Memcached {
    child: Child,
    /// The TCP port (0 for a Unix-socket server).
    pub port: u16,
    socket: Option<PathBuf>,
    args: Vec<String>,
}

/// How many times to poll a process (for listening, or for being stopped) before giving up. Each poll returns at
/// once; memcached listens, or stops, within a few milliseconds.
const READY_ATTEMPTS: usize = 200_000;

impl Memcached {
    /// A server with default settings (64 MiB, one worker thread).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server with extra command-line arguments.
    ///
    /// memcached picks its own port (`-p -1`) and reports it in the file named by `MEMCACHED_PORT_FILENAME`,
    /// which it writes only once it listens. Picking a free port here and passing it on would leave a window in
    /// which a parallel test's listener takes the port; the readiness probe would then succeed against that
    /// listener, and this "server" would be someone else's (seen: a relay resetting connections mid-test).
    ///
    /// # Panics
    /// If memcached exits or reports no TCP port.
    pub fn start_with(args: &[&str]) -> Self {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let dir = private_dir();
        let port_file = dir.join("ports");
        let mut child = spawn_tcp("-1", &args, Some(&port_file));
        // memcached writes `<file>.lck` and renames it when every socket is bound, so a file that exists is whole.
        let ready = wait_ready(&mut child, || port_file.exists());
        let ports = std::fs::read_to_string(&port_file).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        let port = ports.lines().find_map(|line| line.strip_prefix("TCP INET: ")?.trim().parse().ok());
        match (ready, port) {
            (true, Some(port)) => Self { child, port, socket: None, args },
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("memcached did not start (args {args:?}; port file said {ports:?})");
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL (`kill -9`) and reaps it; the port is free for [`Memcached::restart`].
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts memcached again on the same port with the same arguments (after [`Memcached::kill`]; a running
    /// process is killed first). Its items are gone, as after any restart.
    ///
    /// # Panics
    /// If the port cannot be bound again within a bounded number of attempts.
    pub fn restart(&mut self) {
        assert!(self.socket.is_none(), "restart is for TCP servers");
        self.kill();
        for _ in 0..50 {
            if let Some(child) = respawn_tcp(self.port, &self.args) {
                self.child = child;
                return;
            }
        }
        panic!("memcached did not restart on port {}", self.port);
    }

    /// A server listening on a Unix socket only.
    pub fn start_unix() -> Self {
        let dir = private_dir();
        let path = dir.join("memcached.sock");
        let mut child = Command::new(memcached_bin())
            .args(["-s", path.to_str().expect("utf-8 temp path"), "-t", "1", "-m", "64", "-u", "root"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("memcached must be installed");
        let ready = wait_ready(&mut child, || std::os::unix::net::UnixStream::connect(&path).is_ok());
        assert!(ready, "memcached did not start on {}", path.display());
        Self { child, port: 0, socket: Some(path), args: Vec::new() }
    }

    /// `127.0.0.1:PORT` or `unix:/path`.
    pub fn addr(&self) -> String {
        match &self.socket {
            Some(path) => format!("unix:{}", path.display()),
            None => format!("127.0.0.1:{}", self.port),
        }
    }

    /// Stops the process (SIGSTOP): it keeps its sockets but answers nothing. Returns once the kernel reports
    /// every thread stopped (`T` in `/proc/PID/task/*/stat`): `kill` returns when the signal is sent, and until the
    /// worker threads have stopped a request can still be answered (seen: a "paused" server answering, a few
    /// runs in a hundred under load).
    ///
    /// # Panics
    /// If it is not reported stopped within a bounded number of polls.
    pub fn pause(&self) {
        signal(self.child.id(), "-STOP");
        for _ in 0..READY_ATTEMPTS {
            if all_threads_stopped(self.child.id()) {
                return;
            }
            std::thread::yield_now();
        }
        panic!("memcached {} was not reported stopped after SIGSTOP", self.child.id());
    }

    /// Resumes a paused process (SIGCONT).
    pub fn resume(&self) {
        signal(self.child.id(), "-CONT");
    }

    /// One general statistic, read over a fresh raw connection (which itself counts once in `curr_connections`).
    pub fn stat(&self, name: &str) -> u64 {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("stats connection");
        (&stream).write_all(b"stats\r\n").expect("write stats");
        let mut reader = BufReader::new(&stream);
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).expect("read stats");
            let line = line.trim_end();
            assert_ne!(line, "END", "no stat named {name}");
            if let Some(value) = line.strip_prefix(&format!("STAT {name} ")) {
                return value.parse().expect("numeric stat");
            }
        }
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = &self.socket
            && let Some(dir) = path.parent()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Spawns memcached on loopback `port` (`-1`: one it picks) with the harness's settings and `args`, reporting its
/// ports in `port_file` if given.
fn spawn_tcp(port: &str, args: &[String], port_file: Option<&Path>) -> Child {
    let mut command = Command::new(memcached_bin());
    command.args(["-l", "127.0.0.1", "-p", port, "-U", "0", "-t", "1", "-m", "64", "-u", "root"]).args(args);
    if let Some(file) = port_file {
        command.env("MEMCACHED_PORT_FILENAME", file);
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("memcached must be installed (scripts/test installs it)")
}

/// Starts memcached again on `port`; `None` if it exited (port taken) or never listened.
fn respawn_tcp(port: u16, args: &[String]) -> Option<Child> {
    let mut child = spawn_tcp(&port.to_string(), args, None);
    if wait_ready(&mut child, || TcpStream::connect(("127.0.0.1", port)).is_ok()) {
        return Some(child);
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// One twemproxy (`nutcracker`) process with one memcached pool, on a free loopback port; killed when dropped.
///
/// The pool uses `hash: md5` and `distribution: ketama`, and never ejects hosts, so its placement is the plain
/// weighted ketama ring over the servers as given.
pub struct Nutcracker {
    child: Child,
    /// The port it listens on for clients (127.0.0.1).
    pub port: u16,
    dir: PathBuf,
}

impl Nutcracker {
    /// Starts nutcracker in front of `servers`, each written as twemproxy takes it (`127.0.0.1:PORT:WEIGHT`).
    ///
    /// # Panics
    /// If nutcracker is not installed or does not listen within a bounded number of attempts.
    pub fn start(servers: &[String]) -> Self {
        for _ in 0..20 {
            let port = free_port();
            let stats_port = free_port();
            let dir = std::env::temp_dir().join(format!("memkit-nutcracker-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let mut yaml = format!(
                "memkit:\n  listen: 127.0.0.1:{port}\n  hash: md5\n  distribution: ketama\n  \
                 auto_eject_hosts: false\n  timeout: 2000\n  servers:\n"
            );
            for server in servers {
                yaml.push_str(&format!("   - {server}\n"));
            }
            let conf = dir.join("nutcracker.yml");
            std::fs::write(&conf, yaml).expect("write nutcracker.yml");
            let path = |name: &str| dir.join(name).to_str().expect("utf-8 temp path").to_owned();
            let mut child = Command::new(nutcracker_bin())
                .args(["-c", &path("nutcracker.yml"), "-o", &path("nutcracker.log"), "-p", &path("nutcracker.pid")])
                // The stats listener defaults to 0.0.0.0:22222: keep it on loopback and on a free port.
                .args(["-a", "127.0.0.1", "-s", &stats_port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("nutcracker must be installed (scripts/ensure-deps installs it)");
            if wait_ready(&mut child, || TcpStream::connect(("127.0.0.1", port)).is_ok()) {
                return Self { child, port, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&dir);
        }
        panic!("nutcracker did not start on any of 20 free ports");
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Nutcracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nutcracker_bin() -> String {
    if let Ok(bin) = std::env::var("NUTCRACKER_BIN") {
        return bin;
    }
    // Debian installs it in /usr/sbin, which is not on every user's PATH.
    let sbin = "/usr/sbin/nutcracker";
    if std::path::Path::new(sbin).exists() { sbin.to_owned() } else { "nutcracker".to_owned() }
}

fn memcached_bin() -> String {
    std::env::var("MEMCACHED_BIN").unwrap_or_else(|_| "memcached".to_owned())
}

/// A new, empty directory of this process's own under the system temp dir.
fn private_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("memkit-test-{}-{n}", std::process::id()));
    // A directory left by an earlier process with the same id would be stale.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Whether every thread of process `pid` is stopped by a signal (state `T`).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return false };
    let mut any = false;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // The state follows the command name in parentheses (which may itself hold spaces or parentheses).
        if !stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('T')) {
            return false;
        }
        any = true;
    }
    any
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener.local_addr().expect("local addr").port()
}

/// Polls `ready` until it holds or the process exits; false if it exited or never became ready.
fn wait_ready(child: &mut Child, mut ready: impl FnMut() -> bool) -> bool {
    for _ in 0..READY_ATTEMPTS {
        if ready() {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        std::thread::yield_now();
    }
    false
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill").args([sig, &pid.to_string()]).status().expect("kill(1)");
    assert!(status.success(), "kill {sig} {pid} failed");
}

/// A small deterministic generator (xorshift64*), so tests that want "random" choices replay exactly.
pub struct Rng(u64);

impl Rng {
    /// A generator that always yields the same sequence for `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
