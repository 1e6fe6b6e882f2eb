//! Integration tests against real memcached processes (started by `memkit-testkit`).

mod support;

mod cancel;
mod close;
mod cluster;
mod commands;
mod injection;
mod timeout;
mod typed;
