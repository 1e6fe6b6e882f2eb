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

/// Frames one reply of the probe's `kind`: its length and, for reads, the value.
fn frame(kind: ProbeKind, buf: &[u8]) -> Result<Option<Framed<'_>>, String> {
    let unexpected = |buf: &[u8]| {
        let line = buf.split(|&b| b == b'\r').next().unwrap_or_default();
        format!("probe: unexpected reply {:?}", String::from_utf8_lossy(line))
    };
    match kind {
        ProbeKind::MetaSet | ProbeKind::MetaGet => match frame_meta(buf)? {
            None => Ok(None),
            Some((len, MetaFrame::Stored)) if kind == ProbeKind::MetaSet => Ok(Some((len, None))),
            Some((len, MetaFrame::Value(value))) if kind == ProbeKind::MetaGet => Ok(Some((len, Some(&buf[value])))),
            Some(_) => Err(unexpected(buf)),
        },
        ProbeKind::Get => {
            let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
            let len: usize = buf[..eol]
                .strip_prefix(b"VALUE ")
                .and_then(|l| std::str::from_utf8(l).ok())
                .and_then(|l| l.split(' ').nth(2)?.parse().ok())
                .ok_or_else(|| unexpected(buf))?;
            let end = (eol + 2).checked_add(len).and_then(|e| e.checked_add(2 + 5)).ok_or_else(|| unexpected(buf))?;
            Ok((buf.len() >= end).then(|| (end, Some(&buf[eol + 2..eol + 2 + len]))))
        }
    }
}

/// One meta reply, as [`frame_meta`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaFrame {
    /// `VA`: the value's bytes are this range of the buffer.
    Value(std::ops::Range<usize>),
    /// `EN`: a miss.
    Miss,
    /// `HD`: stored (or any other success without a value).
    Stored,
}

/// Frames the meta reply at the front of `buf` (`VA <len> ...` and its data block, `EN` or `HD`): its whole length
/// and what it is, or `None` until it has all arrived. Shared by the raw probe and the peers bench's fan-out probe.
///
/// # Errors
/// Any other reply, or a data block not followed by `\r\n`.
pub fn frame_meta(buf: &[u8]) -> Result<Option<(usize, MetaFrame)>, String> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
    let line = &buf[..eol];
    let bad = || format!("probe: unexpected reply {:?}", String::from_utf8_lossy(line));
    if line == b"EN" {
        return Ok(Some((eol + 2, MetaFrame::Miss)));
    }
    if line == b"HD" || line.starts_with(b"HD ") {
        return Ok(Some((eol + 2, MetaFrame::Stored)));
    }
    let len: usize = line
        .strip_prefix(b"VA ")
        .and_then(|l| std::str::from_utf8(l).ok())
        .and_then(|l| l.split(' ').next()?.parse().ok())
        .ok_or_else(bad)?;
    let start = eol + 2;
    let end = start.checked_add(len).filter(|e| e.checked_add(2).is_some()).ok_or_else(bad)?;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if buf[end..end + 2] != *b"\r\n" {
        return Err(bad());
    }
    Ok(Some((end + 2, MetaFrame::Value(start..end))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_replies_are_framed_whole_or_not_at_all() {
        let reply = b"VA 3 f0\r\nabc\r\nEN\r\nHD\r\n";
        assert_eq!(frame_meta(reply), Ok(Some((14, MetaFrame::Value(9..12)))));
        assert_eq!(frame_meta(&reply[14..]), Ok(Some((4, MetaFrame::Miss))));
        assert_eq!(frame_meta(&reply[18..]), Ok(Some((4, MetaFrame::Stored))));
        for cut in 0..14 {
            assert_eq!(frame_meta(&reply[..cut]), Ok(None), "a reply cut at {cut} is incomplete");
        }
    }

    #[test]
    fn garbage_and_impossible_lengths_are_errors_not_panics() {
        for bad in
            [&b"SERVER_ERROR out of memory\r\n"[..], b"VA x\r\n", b"VA 3\r\nabcXY", b"VA 18446744073709551615\r\n"]
        {
            assert!(frame_meta(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(frame(ProbeKind::MetaGet, b"EN\r\n").is_err(), "the probe's keys all exist: a miss is unexpected");
        assert!(frame(ProbeKind::MetaSet, b"VA 1\r\na\r\n").is_err());
        assert!(frame(ProbeKind::Get, b"VALUE k 0 18446744073709551615\r\n").is_err());
    }
}
