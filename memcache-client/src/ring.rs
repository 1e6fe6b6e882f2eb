//! Key to server, pure and deterministic: no IO, no clock, no `DefaultHasher` (whose output may change between
//! Rust releases).
//!
//! - [`Distribution::Ketama`] is libmemcached's weighted ketama and twemproxy's `distribution: ketama` with
//!   `hash: md5`, point for point: a key's hash is the first four bytes of its MD5 digest read little-endian; each
//!   server gets `floor(weight / total * 160 / 4 * servers) * 4` points, computed in `f32` as both do, taken four
//!   at a time from the MD5 digests of `LABEL-0`, `LABEL-1`, ...; a key belongs to the first point at or above its
//!   hash, wrapping to the first point. `LABEL` is `host:port`, or `host` alone when the port is 11211 (both tools
//!   drop the default port "for backward compatibility"), or the socket path for a Unix socket.
//! - [`Distribution::Rendezvous`] is pymemcache's `RendezvousHash` (its `HashClient` default): every server scores
//!   `murmur3_32("NODE-KEY", seed 0)`, where `NODE` is `host:port` (the port always written); the highest score
//!   wins, a tie goes to the larger `NODE` string. Weights are ignored, as pymemcache has none.
//! - [`Distribution::Modula`] is libmemcached's `MEMCACHED_DISTRIBUTION_MODULA` with its default hash
//!   (Jenkins one-at-a-time over the key's bytes, as signed `char`s): `hash % servers`. Weights are ignored, as
//!   libmemcached ignores them there. Adding a server moves almost every key; use it only to share a pool with a
//!   client configured that way.
//!
//! [`Distribution::Ketama`]: crate::Distribution::Ketama
//! [`Distribution::Rendezvous`]: crate::Distribution::Rendezvous
//! [`Distribution::Modula`]: crate::Distribution::Modula

use md5::{Digest, Md5};

use crate::config::{Distribution, Endpoint, ServerAddr};

/// Points per server at equal weight, as libmemcached and twemproxy use.
const POINTS_PER_SERVER: f32 = 160.0;

/// A key-to-server map over a fixed list of servers. Indices refer to that list.
#[derive(Debug, Clone)]
pub(crate) enum Ring {
    /// A ketama continuum: sorted points, each naming a server index.
    Ketama(Vec<(u32, usize)>),
    /// Each server's rendezvous node name.
    Rendezvous(Vec<Vec<u8>>),
    /// The server count.
    Modula(usize),
}

/// The ketama hash of a key: the first four bytes of its MD5 digest, little-endian.
pub(crate) fn key_hash(key: &[u8]) -> u32 {
    let digest = Md5::digest(key);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The label a server is hashed by on the ketama ring: `host` when the port is 11211, else `host:port`.
pub(crate) fn ketama_label(addr: &ServerAddr) -> String {
    match addr.endpoint() {
        Endpoint::Tcp { host, port: 11211 } => host.clone(),
        Endpoint::Tcp { host, port } => format!("{host}:{port}"),
        Endpoint::Unix(path) => path.display().to_string(),
    }
}

/// The node name pymemcache's `HashClient` gives a server: `host:port`, or the socket path.
fn rendezvous_label(addr: &ServerAddr) -> Vec<u8> {
    match addr.endpoint() {
        Endpoint::Tcp { host, port } => format!("{host}:{port}").into_bytes(),
        Endpoint::Unix(path) => path.display().to_string().into_bytes(),
    }
}

impl Ring {
    /// Builds the map for `servers` (at least one) under `distribution`.
    pub(crate) fn new(servers: &[ServerAddr], distribution: Distribution) -> Self {
        match distribution {
            Distribution::Ketama => Ring::Ketama(ketama_points(servers)),
            Distribution::Rendezvous => Ring::Rendezvous(servers.iter().map(rendezvous_label).collect()),
            Distribution::Modula => Ring::Modula(servers.len()),
        }
    }

    /// The index of the server that owns `key`.
    pub(crate) fn server_for(&self, key: &[u8]) -> usize {
        match self {
            Ring::Ketama(points) => {
                let hash = key_hash(key);
                let at = points.partition_point(|&(point, _)| point < hash);
                points.get(at).or(points.first()).map_or(0, |&(_, index)| index)
            }
            Ring::Rendezvous(nodes) => {
                let mut best: Option<(u32, usize)> = None;
                let mut input = Vec::with_capacity(key.len() + 32);
                for (index, node) in nodes.iter().enumerate() {
                    input.clear();
                    input.extend_from_slice(node);
                    input.push(b'-');
                    input.extend_from_slice(key);
                    let score = murmur3_32(&input, 0);
                    best = match best {
                        Some((high, winner))
                            if score < high || (score == high && nodes[winner].as_slice() >= node.as_slice()) =>
                        {
                            Some((high, winner))
                        }
                        _ => Some((score, index)),
                    };
                }
                best.map_or(0, |(_, index)| index)
            }
            Ring::Modula(count) => (one_at_a_time(key) as usize) % (*count).max(1),
        }
    }
}

fn ketama_points(servers: &[ServerAddr]) -> Vec<(u32, usize)> {
    let total_weight: u64 = servers.iter().map(|s| u64::from(s.weight())).sum();
    let count = servers.len() as f32;
    let mut points = Vec::new();
    for (index, server) in servers.iter().enumerate() {
        // libmemcached and twemproxy compute the share in f32; doing the same keeps every point where they put it.
        let pct = server.weight() as f32 / total_weight as f32;
        let per_server = ((pct * POINTS_PER_SERVER / 4.0 * count + 0.000_000_000_1).floor() as u32) * 4;
        let label = ketama_label(server);
        for i in 0..per_server / 4 {
            let digest = Md5::digest(format!("{label}-{i}").as_bytes());
            for x in 0..4 {
                let b = &digest[x * 4..x * 4 + 4];
                points.push((u32::from_le_bytes([b[0], b[1], b[2], b[3]]), index));
            }
        }
    }
    // Stable on equal points (which need an MD5 collision of 32 bits): the earlier server first, as both C
    // implementations almost certainly leave them.
    points.sort_by_key(|&(point, _)| point);
    points
}

/// MurmurHash3 x86 32-bit, as pymemcache's `murmur3_32` computes it over bytes.
pub(crate) fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h1 = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k1 = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k1 = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k1 |= u32::from(b) << (8 * i);
        }
        h1 ^= k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h1 ^= data.len() as u32;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^ (h1 >> 16)
}

/// libhashkit's default hash, Jenkins one-at-a-time. libmemcached reads the key through a `char *`, signed on
/// the platforms it targets, so bytes from 0x80 up are sign-extended; so are they here.
pub(crate) fn one_at_a_time(key: &[u8]) -> u32 {
    let mut value: u32 = 0;
    for &b in key {
        value = value.wrapping_add(b as i8 as i32 as u32);
        value = value.wrapping_add(value << 10);
        value ^= value >> 6;
    }
    value = value.wrapping_add(value << 3);
    value ^= value >> 11;
    value.wrapping_add(value << 15)
}

#[cfg(test)]
mod tests;
