//! `memc` end to end: the real binary against a real memcached.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use memkit_testkit::Memcached;

const MISS: i32 = 1;
const INVALID: i32 = 2;
const NOT_STORED: i32 = 3;
const SERVER_ERROR: i32 = 4;
const TIMEOUT: i32 = 5;
const CONNECTION: i32 = 6;

fn memc(server: &Memcached, args: &[&str]) -> Output {
    memc_stdin(server, args, b"")
}

fn memc_stdin(server: &Memcached, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memc"))
        .arg("--servers")
        .arg(server.addr())
        .args(args)
        .env_remove("MEMCACHED_SERVERS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run memc");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
    child.wait_with_output().expect("memc output")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("memc exited normally")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn set_get_delete() {
    let server = Memcached::start();
    assert_eq!(code(&memc(&server, &["set", "k", "hello", "--ttl", "100", "--flags", "5"])), 0);
    let out = memc(&server, &["get", "k"]);
    assert_eq!((code(&out), out.stdout.as_slice()), (0, &b"hello"[..]));
    let out = memc(&server, &["gets", "k"]);
    assert!(stderr(&out).contains("flags=5"), "{}", stderr(&out));
    assert_eq!(code(&memc(&server, &["delete", "k"])), 0);
    let out = memc(&server, &["get", "k"]);
    assert_eq!(code(&out), MISS);
    assert!(stderr(&out).contains("not found"));
    assert_eq!(code(&memc(&server, &["delete", "k"])), MISS);
}

#[test]
fn stdin_values_are_byte_exact() {
    let server = Memcached::start();
    let value: Vec<u8> = (0..=255u8).chain(*b"\r\nEND\r\n").collect();
    assert_eq!(code(&memc_stdin(&server, &["set", "bin", "-"], &value)), 0);
    let out = memc(&server, &["get", "bin"]);
    assert_eq!(out.stdout, value);
}

#[test]
fn add_replace_append_prepend_cas() {
    let server = Memcached::start();
    assert_eq!(code(&memc(&server, &["replace", "k", "x"])), NOT_STORED);
    assert_eq!(code(&memc(&server, &["append", "k", "x"])), NOT_STORED);
    assert_eq!(code(&memc(&server, &["add", "k", "mid"])), 0);
    assert_eq!(code(&memc(&server, &["add", "k", "again"])), NOT_STORED);
    assert_eq!(code(&memc(&server, &["append", "k", ">"])), 0);
    assert_eq!(code(&memc(&server, &["prepend", "k", "<"])), 0);
    assert_eq!(code(&memc(&server, &["replace", "k", "<mid>!"])), 0);
    let out = memc(&server, &["gets", "k"]);
    assert_eq!(out.stdout, b"<mid>!");
    let err = stderr(&out);
    let token = err.split_whitespace().find_map(|w| w.strip_prefix("cas=")).expect("cas token printed").to_owned();
    assert_eq!(code(&memc(&server, &["cas", "--cas", &token, "k", "new"])), 0);
    assert_eq!(code(&memc(&server, &["cas", "--cas", &token, "k", "stale"])), NOT_STORED);
    assert_eq!(code(&memc(&server, &["cas", "--cas", "1", "gone", "v"])), MISS);
}

#[test]
fn incr_decr_touch() {
    let server = Memcached::start();
    assert_eq!(code(&memc(&server, &["incr", "n"])), MISS);
    assert_eq!(code(&memc(&server, &["set", "n", "41"])), 0);
    assert_eq!(memc(&server, &["incr", "n"]).stdout, b"42\n");
    assert_eq!(memc(&server, &["decr", "n", "50"]).stdout, b"0\n");
    assert_eq!(code(&memc(&server, &["touch", "n", "60"])), 0);
    assert_eq!(code(&memc(&server, &["touch", "absent", "60"])), MISS);
    assert_eq!(code(&memc(&server, &["set", "s", "abc"])), 0);
    let out = memc(&server, &["incr", "s"]);
    assert_eq!(code(&out), SERVER_ERROR);
    assert!(stderr(&out).contains("CLIENT_ERROR"), "{}", stderr(&out));
}

#[test]
fn stats_version_flush() {
    let server = Memcached::start();
    let out = memc(&server, &["version"]);
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\t1."));
    let out = memc(&server, &["stats"]);
    assert!(String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("curr_connections\t")));
    let out = memc(&server, &["stats", "settings"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("maxbytes\t67108864"));
    assert_eq!(code(&memc(&server, &["stats", "nonsense"])), SERVER_ERROR);
    assert_eq!(code(&memc(&server, &["set", "k", "v"])), 0);
    assert_eq!(code(&memc(&server, &["flush"])), 0);
    assert_eq!(code(&memc(&server, &["get", "k"])), MISS);
    assert_eq!(code(&memc(&server, &["--text", "set", "k", "v"])), 0);
    assert_eq!(memc(&server, &["--text", "get", "k"]).stdout, b"v");
}

#[test]
fn invalid_input_is_refused_before_sending() {
    let server = Memcached::start();
    assert_eq!(code(&memc(&server, &["set", "sentinel", "here"])), 0);
    for key in ["a\r\nflush_all", "a b", "", &"k".repeat(251)] {
        let out = memc(&server, &["set", key, "v"]);
        assert_eq!(code(&out), INVALID, "key {key:?}");
        assert!(stderr(&out).contains("invalid key"), "{}", stderr(&out));
    }
    assert_eq!(memc(&server, &["get", "sentinel"]).stdout, b"here");
    let big = vec![b'x'; 2 * 1024 * 1024];
    let out = memc_stdin(&server, &["set", "big", "-"], &big);
    assert_eq!(code(&out), INVALID);
    assert!(stderr(&out).contains("over the"), "{}", stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_memc")).args(["--servers", "nonsense", "get", "k"]).output().unwrap();
    assert_eq!(code(&out), INVALID);
    assert!(stderr(&out).contains("invalid server address"));
}

#[test]
fn paused_server_exits_with_timeout() {
    let server = Memcached::start();
    server.pause();
    let out = memc(&server, &["--timeout-ms", "200", "get", "k"]);
    server.resume();
    assert_eq!(code(&out), TIMEOUT, "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"));
}

#[test]
fn refused_connection_exits_with_connection_code() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_memc"))
        .args(["--servers", &format!("127.0.0.1:{port}"), "get", "k"])
        .output()
        .unwrap();
    assert_eq!(code(&out), CONNECTION);
    assert!(stderr(&out).contains("cannot connect"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `memc route` against placements computed by libmemcached 1.1.4 (weighted ketama, MD5) for the same servers
/// (see memcache-client/src/ring/tests.rs): nothing is connected to.
#[test]
fn route_prints_the_ketama_owner_of_each_key() {
    let servers = ["127.0.0.1:21001", "127.0.0.1:21002", "127.0.0.1:21003"];
    let expected = [2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 1, 0, 0, 2, 1, 0, 1, 2, 2, 1, 2, 2, 1, 2];
    let keys: Vec<String> = (0..expected.len()).map(|i| format!("key{i}")).collect();
    let want: String = keys.iter().zip(expected).map(|(k, i)| format!("{k}\t{}\n", servers[i])).collect();
    let list = "127.0.0.1:21001:1,127.0.0.1:21002:2,127.0.0.1:21003:3";

    let out = Command::new(env!("CARGO_BIN_EXE_memc"))
        .args(["--servers", list, "route"])
        .args(&keys)
        .env_remove("MEMCACHED_SERVERS")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);

    // The same keys from stdin, one per line, and the list from the environment.
    let mut child = Command::new(env!("CARGO_BIN_EXE_memc"))
        .args(["route", "-"])
        .env("MEMCACHED_SERVERS", list)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(keys.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

#[test]
fn route_refuses_a_bad_server_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_memc"))
        .args(["--servers", "127.0.0.1:21001:0", "route", "k"])
        .env_remove("MEMCACHED_SERVERS")
        .output()
        .unwrap();
    assert_eq!(code(&out), INVALID);
    assert!(stderr(&out).contains("weight"), "{}", stderr(&out));
}

#[test]
fn a_value_written_by_memc_is_not_a_typed_envelope() {
    #[derive(serde::Serialize, serde::Deserialize, Debug)]
    struct Product {
        name: String,
    }
    memcache_client::cacheable!(Product, "shop.Product", version = 1);

    let server = Memcached::start();
    assert_eq!(code(&memc(&server, &["set", "product:1", "{\"name\":\"Lamp\"}"])), 0);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = memcache_client::Client::new(&server.addr()).unwrap();
    let strict = client.typed::<Product>().with_policy(memcache_client::DecodePolicy::Strict);
    match runtime.block_on(strict.get("product:1")) {
        Err(memcache_client::Error::Rejected {
            key,
            reason: memcache_client::Rejection::NotEnveloped { flags: 0 },
        }) => assert_eq!(key, "product:1"),
        other => panic!("expected NotEnveloped, got {other:?}"),
    }
    assert!(runtime.block_on(client.typed::<Product>().get("product:1")).unwrap().is_none());
}
