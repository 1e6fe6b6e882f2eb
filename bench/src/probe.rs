//! The ceiling to measure against: a raw, perfectly pipelined probe on one connection.
//!
//! **A benchmark reference, not a client.** It pre-formats every request, keeps exactly `in_flight` requests
//! outstanding on one blocking socket, and does nothing per reply but frame it and compare the value. No
//! validation, no timeouts, no task wake-ups, no error recovery: whatever a real client adds on top of this is its
//! overhead.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::{KeySpace, cpu_time};

/// Which request the probe pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// `mg <key> v`
    MetaGet,
    /// `get <key>`
    Get,
    /// `ms <key> <len>` and the value
    MetaSet,
}

/// What the probe measured.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// Replies per second.
    pub replies_per_s: f64,
    /// Replies whose value differed from the key's.
    pub wrong: u64,
    /// CPU time of this process per reply, in nanoseconds.
    pub cpu_ns_per_op: f64,
}

/// Runs the probe against `addr` (`HOST:PORT`), with `space` already populated.
///
/// # Errors
/// Socket errors, or a reply the probe does not understand.
pub fn run(
    addr: &str,
    kind: ProbeKind,
    space: &KeySpace,
    in_flight: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<ProbeReport, String> {
    let io = |e: std::io::Error| format!("probe: {e}");
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let requests: Vec<Vec<u8>> = (0..space.len())
        .map(|i| match kind {
            ProbeKind::MetaGet => format!("mg {} v\r\n", space.key(i)).into_bytes(),
            ProbeKind::Get => format!("get {}\r\n", space.key(i)).into_bytes(),
            ProbeKind::MetaSet => {
                let mut r = format!("ms {} {}\r\n", space.key(i), space.value(i).len()).into_bytes();
                r.extend_from_slice(space.value(i));
                r.extend_from_slice(b"\r\n");
                r
            }
        })
        .collect();
    // FIFO of the key index each outstanding request reads.
    let mut outstanding = std::collections::VecDeque::with_capacity(in_flight);
    let mut next = 0usize;
    let mut out = Vec::with_capacity(in_flight * 64);
    for _ in 0..in_flight {
        out.extend_from_slice(&requests[next]);
        outstanding.push_back(next);
        next = (next + 7919) % space.len();
    }
    stream.write_all(&out).map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut filled, mut replies, mut wrong) = (0usize, 0u64, 0u64);
    let start = Instant::now() + warmup;
    let end = start + duration;
    let (mut measuring, mut counted_from, mut cpu_start) = (false, 0u64, Duration::ZERO);
    loop {
        let n = stream.read(&mut buf[filled..]).map_err(io)?;
        if n == 0 {
            return Err("probe: server closed the connection".into());
        }
        filled += n;
        let mut pos = 0;
        out.clear();
        while let Some((used, value)) = frame(kind, &buf[pos..filled])? {
            let index = outstanding.pop_front().ok_or("probe: reply with nothing outstanding")?;
            if let Some(value) = value
                && !space.holds(index, value)
            {
                wrong += 1;
            }
            pos += used;
            replies += 1;
            out.extend_from_slice(&requests[next]);
            outstanding.push_back(next);
            next = (next + 7919) % space.len();
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        let now = Instant::now();
        if !measuring && now >= start {
            measuring = true;
            counted_from = replies;
            cpu_start = cpu_time();
        }
        if now >= end {
            let ops = replies - counted_from;
            let cpu = cpu_time().saturating_sub(cpu_start);
            return Ok(ProbeReport {
                replies_per_s: ops as f64 / now.duration_since(start).as_secs_f64(),
                wrong,
                cpu_ns_per_op: cpu.as_nanos() as f64 / ops.max(1) as f64,
            });
        }
        stream.write_all(&out).map_err(io)?;
    }
}

/// A framed reply: its length and, for reads, its value.
type Framed<'a> = (usize, Option<&'a [u8]>);

/// Frames one reply: its length and, for reads, the value.
fn frame(kind: ProbeKind, buf: &[u8]) -> Result<Option<Framed<'_>>, String> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
    let line = &buf[..eol];
    let bad = || format!("probe: unexpected reply {:?}", String::from_utf8_lossy(line));
    match kind {
        ProbeKind::MetaSet => (line == b"HD").then_some(Some((eol + 2, None))).ok_or_else(bad),
        ProbeKind::MetaGet => {
            let len: usize = line
                .strip_prefix(b"VA ")
                .and_then(|l| std::str::from_utf8(l).ok())
                .and_then(|l| l.split(' ').next()?.parse().ok())
                .ok_or_else(bad)?;
            let end = eol + 2 + len + 2;
            Ok((buf.len() >= end).then(|| (end, Some(&buf[eol + 2..eol + 2 + len]))))
        }
        ProbeKind::Get => {
            let len: usize = line
                .strip_prefix(b"VALUE ")
                .and_then(|l| std::str::from_utf8(l).ok())
                .and_then(|l| l.split(' ').nth(2)?.parse().ok())
                .ok_or_else(bad)?;
            let end = eol + 2 + len + 2 + 5;
            Ok((buf.len() >= end).then(|| (end, Some(&buf[eol + 2..eol + 2 + len]))))
        }
    }
}
