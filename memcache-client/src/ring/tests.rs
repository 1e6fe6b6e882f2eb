//! The ring against published and independently computed placements.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

use super::*;

/// libmemcached's ketama fixture (BSD-3-Clause; see tests/fixtures/ketama/README.md).
const FIXTURE: &str = include_str!("../../tests/fixtures/ketama/libmemcached-weighted.jsonl");

fn fixture_servers() -> Vec<ServerAddr> {
    [600, 300, 200, 350, 1000, 800, 950, 100]
        .iter()
        .enumerate()
        .map(|(i, &w)| ServerAddr::tcp(format!("10.0.1.{}", i + 1), 11211).with_weight(w))
        .collect()
}

fn counts(ring: &Ring, servers: usize) -> Vec<usize> {
    let Ring::Ketama(points) = ring else { panic!("not a ketama ring") };
    let mut counts = vec![0; servers];
    for &(_, i) in points {
        counts[i] += 1;
    }
    counts
}

#[test]
fn weighted_point_counts_match_libmemcached() {
    let ring = Ring::new(&fixture_servers(), Distribution::Ketama);
    assert_eq!(counts(&ring, 8), vec![176, 88, 56, 104, 296, 236, 280, 28]);
}

#[test]
fn libmemcached_weighted_fixture_places_every_key() {
    let servers = fixture_servers();
    let ring = Ring::new(&servers, Distribution::Ketama);
    let mut checked = 0;
    for line in FIXTURE.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
        let key = entry["key"].as_str().expect("key");
        let expected = entry["server"].as_str().expect("server");
        let got = servers[ring.server_for(key.as_bytes())].to_string();
        assert_eq!(got, expected, "key {key:?}");
        checked += 1;
    }
    assert_eq!(checked, 99);
}

#[test]
fn wrapping_key_goes_to_the_first_point() {
    assert_eq!(key_hash(b"VDEAAAAA"), 0xfffc_d1b5);
    let ring = Ring::new(&fixture_servers(), Distribution::Ketama);
    let Ring::Ketama(points) = &ring else { unreachable!() };
    assert!(points.last().unwrap().0 < 0xfffc_d1b5, "the hash is past the last point");
    assert_eq!(ring.server_for(b"VDEAAAAA"), points[0].1);
}

#[test]
fn label_drops_only_the_default_port() {
    assert_eq!(ketama_label(&ServerAddr::tcp("10.0.1.1", 11211)), "10.0.1.1");
    assert_eq!(ketama_label(&ServerAddr::tcp("127.0.0.1", 11212)), "127.0.0.1:11212");
    assert_eq!(ketama_label(&"cache-a:22122:3".parse().unwrap()), "cache-a:22122");
}

/// Keys for the vectors below; `café` and `über:1` carry bytes over 0x7f.
fn vector_keys() -> Vec<String> {
    let mut keys: Vec<String> = (0..24).map(|i| format!("key{i}")).collect();
    keys.extend(["user:42", "session:abc", "caf\u{e9}", "\u{fc}ber:1"].map(String::from));
    keys.push("x".repeat(250));
    keys.push("a".into());
    keys
}

fn ports(list: &str) -> Vec<ServerAddr> {
    ServerAddr::parse_list(list).unwrap()
}

#[test]
fn ketama_with_ports_and_weights_matches_libmemcached() {
    // libmemcached 1.1.4, KETAMA_WEIGHTED, servers 127.0.0.1:21001/?1, :21002/?2, :21003/?3.
    let expected = [2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 1, 0, 0, 2, 1, 0, 1, 2, 2, 1, 2, 2, 1, 2, 1, 2, 2, 1, 2, 1];
    let ring = Ring::new(&ports("127.0.0.1:21001:1,127.0.0.1:21002:2,127.0.0.1:21003:3"), Distribution::Ketama);
    let got: Vec<usize> = vector_keys().iter().map(|k| ring.server_for(k.as_bytes())).collect();
    assert_eq!(got, expected);
}

#[test]
fn modula_matches_libmemcached() {
    // libmemcached 1.1.4, default distribution (modula) and hash (one-at-a-time), four servers.
    let expected = [2, 0, 3, 3, 0, 3, 0, 2, 1, 1, 0, 2, 1, 1, 3, 0, 3, 0, 0, 3, 2, 2, 3, 1, 2, 0, 2, 2, 2, 2];
    let servers = ports("127.0.0.1:21001,127.0.0.1:21002,127.0.0.1:21003,127.0.0.1:21004");
    let ring = Ring::new(&servers, Distribution::Modula);
    let got: Vec<usize> = vector_keys().iter().map(|k| ring.server_for(k.as_bytes())).collect();
    assert_eq!(got, expected);
}

#[test]
fn murmur3_matches_published_vectors() {
    assert_eq!(murmur3_32(b"", 0), 0);
    assert_eq!(murmur3_32(b"hello", 0), 0x248b_fa47);
    assert_eq!(murmur3_32(b"The quick brown fox jumps over the lazy dog", 0), 0x2e4f_f723);
}

#[test]
fn rendezvous_matches_pymemcache() {
    // pymemcache's RendezvousHash over nodes "127.0.0.1:2100N", computed from its algorithm (murmur3_32 of
    // "NODE-KEY", highest score wins).
    let expected = [0, 1, 1, 3, 1, 3, 1, 3, 1, 1, 1, 2, 3, 2, 1, 3, 0, 2, 1, 0, 1, 0, 0, 0, 3, 2, 2];
    let servers = ports("127.0.0.1:21001,127.0.0.1:21002,127.0.0.1:21003,127.0.0.1:21004");
    let ring = Ring::new(&servers, Distribution::Rendezvous);
    let mut keys: Vec<String> = (0..24).map(|i| format!("key{i}")).collect();
    keys.extend(["user:42", "session:abc", "a"].map(String::from));
    let got: Vec<usize> = keys.iter().map(|k| ring.server_for(k.as_bytes())).collect();
    assert_eq!(got, expected);
}

fn servers(n: usize) -> Vec<ServerAddr> {
    (0..n).map(|i| ServerAddr::tcp("127.0.0.1", 20000 + i as u16)).collect()
}

fn proptest_config() -> Config {
    Config {
        cases: 24,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x6b65_7461),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Adding one server to N moves about 1/(N+1) of the keys, and only onto the new server.
    #[test]
    fn adding_a_server_moves_only_its_share(n in 2usize..12, salt in any::<u32>()) {
        let before = Ring::new(&servers(n), Distribution::Ketama);
        let after = Ring::new(&servers(n + 1), Distribution::Ketama);
        let keys = 20_000;
        let mut moved = 0;
        for i in 0..keys {
            let key = format!("k{salt}:{i}");
            let (a, b) = (before.server_for(key.as_bytes()), after.server_for(key.as_bytes()));
            if a != b {
                prop_assert_eq!(b, n, "key {} moved between two old servers", key);
                moved += 1;
            }
        }
        let share = moved as f64 / keys as f64;
        let ideal = 1.0 / (n + 1) as f64;
        // 160 points per server leave each server's arc within a few tens of percent of its ideal size.
        prop_assert!((share - ideal).abs() < ideal * 0.45, "moved {share:.4}, ideal {ideal:.4}");
    }

    /// Rendezvous has the same property: only the new server's winners move.
    #[test]
    fn rendezvous_moves_only_onto_the_new_server(n in 2usize..12, salt in any::<u32>()) {
        let before = Ring::new(&servers(n), Distribution::Rendezvous);
        let after = Ring::new(&servers(n + 1), Distribution::Rendezvous);
        for i in 0..2_000 {
            let key = format!("k{salt}:{i}");
            let (a, b) = (before.server_for(key.as_bytes()), after.server_for(key.as_bytes()));
            prop_assert!(a == b || b == n, "key {} moved between two old servers", key);
        }
    }
}
