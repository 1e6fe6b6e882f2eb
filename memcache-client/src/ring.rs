//! Key to server: ketama consistent hashing, compatible with libmemcached's weighted ketama and twemproxy's
//! `distribution: ketama` with `hash: md5`.
//!
//! Pure and deterministic: no IO, no `DefaultHasher` (whose output may change between Rust releases).

use md5::{Digest, Md5};

use crate::config::{Endpoint, ServerAddr};

/// Points per server at equal weight, as libmemcached and twemproxy use.
const POINTS_PER_SERVER: f32 = 160.0;

/// A ketama continuum: sorted points, each naming a server index.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    points: Vec<(u32, usize)>,
}

/// The hash of a key: the first four bytes of its MD5 digest, little-endian.
pub(crate) fn key_hash(key: &[u8]) -> u32 {
    let digest = Md5::digest(key);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The label a server is hashed by: `host` when the port is 11211, else `host:port`.
fn label(addr: &ServerAddr) -> String {
    match addr.endpoint() {
        Endpoint::Tcp { host, port: 11211 } => host.clone(),
        Endpoint::Tcp { host, port } => format!("{host}:{port}"),
        Endpoint::Unix(path) => path.display().to_string(),
    }
}

impl Ring {
    /// Builds the continuum for `servers` (at least one).
    pub(crate) fn new(servers: &[ServerAddr]) -> Self {
        let total_weight: u64 = servers.iter().map(|s| u64::from(s.weight())).sum();
        let count = servers.len() as f32;
        let mut points = Vec::new();
        for (index, server) in servers.iter().enumerate() {
            // libmemcached computes the share in f32; doing the same keeps every point where it puts it.
            let pct = server.weight() as f32 / total_weight as f32;
            let per_server = ((pct * POINTS_PER_SERVER / 4.0 * count + 0.000_000_000_1).floor() as u32) * 4;
            let label = label(server);
            for i in 0..per_server / 4 {
                let digest = Md5::digest(format!("{label}-{i}").as_bytes());
                for x in 0..4 {
                    let b = &digest[x * 4..x * 4 + 4];
                    points.push((u32::from_le_bytes([b[0], b[1], b[2], b[3]]), index));
                }
            }
        }
        points.sort_unstable();
        Self { points }
    }

    /// The index of the server that owns `key`: the first point at or above its hash, wrapping to the first.
    pub(crate) fn server_for(&self, key: &[u8]) -> usize {
        let hash = key_hash(key);
        let at = self.points.partition_point(|&(point, _)| point < hash);
        self.points.get(at).or(self.points.first()).map_or(0, |&(_, index)| index)
    }

    #[cfg(test)]
    pub(crate) fn point_counts(&self, servers: usize) -> Vec<usize> {
        let mut counts = vec![0; servers];
        for &(_, i) in &self.points {
            counts[i] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_servers() -> Vec<ServerAddr> {
        [600, 300, 200, 350, 1000, 800, 950, 100]
            .iter()
            .enumerate()
            .map(|(i, &w)| ServerAddr::tcp(format!("10.0.1.{}", i + 1), 11211).with_weight(w))
            .collect()
    }

    #[test]
    fn weighted_point_counts_match_libmemcached() {
        let ring = Ring::new(&fixture_servers());
        assert_eq!(ring.point_counts(8), vec![176, 88, 56, 104, 296, 236, 280, 28]);
    }

    #[test]
    fn wrapping_key_goes_to_the_first_point() {
        assert_eq!(key_hash(b"VDEAAAAA"), 0xfffc_d1b5);
    }
}
