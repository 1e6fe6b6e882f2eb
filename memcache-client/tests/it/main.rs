//! Integration tests against real memcached processes (see `harness`).

mod harness;

mod cancel;
mod close;
mod commands;
mod injection;
mod timeout;
