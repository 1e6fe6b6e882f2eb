//! Integration tests against real memcached processes (started by `memkit-testkit`).

mod support;

mod auth;
mod cancel;
mod close;
mod cluster;
mod commands;
mod examples;
mod faults;
mod injection;
mod silent;
mod timeout;
mod tls;
mod typed;
mod typed_schema;
