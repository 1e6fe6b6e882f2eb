//! The library half of `memcache-cli`: the load generator behind `memc bench` ([`load`]).
//!
//! The command-line client itself is the `memc` binary of this package: install it with
//! `cargo install --locked --path memcache-cli` from a checkout, or `cargo install --locked memcache-cli`.
//! The client library it is built on is `memcache-client`.

pub mod load;
