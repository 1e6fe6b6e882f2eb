//! Incremental reply decoding.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::meta::parse_num;
use super::{ErrorReply, MetaCode, MetaReplyFlags, MetaResponse, ProtocolError, ReplyKind, Response, Value};

/// The longest reply line accepted by default (a `VALUE` header or `STAT` line is far shorter). Bounds the memory a
/// misbehaving server can make the client buffer while it waits for a line end.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// The largest data block accepted by default: memcached's own ceiling for `-I` (1 GiB).
const DEFAULT_MAX_VALUE: usize = 1 << 30;

/// Decodes replies from bytes as they arrive.
///
/// `decode` either consumes exactly one whole reply from the front of the buffer, or leaves the buffer untouched
/// and returns `Ok(None)` until more bytes arrive. It never panics on any input; anything that is not a reply of
/// the expected kind is a [`ProtocolError`].
#[derive(Debug, Clone, Copy)]
pub struct ReplyDecoder {
    max_line: usize,
    max_value: usize,
}

impl Default for ReplyDecoder {
    fn default() -> Self {
        Self { max_line: DEFAULT_MAX_LINE, max_value: DEFAULT_MAX_VALUE }
    }
}

type Parsed<T> = Result<Option<(T, usize)>, ProtocolError>;

/// Unwraps a partial parse: `None` means "need more bytes", so the caller returns `Ok(None)` at once.
macro_rules! ready {
    ($e:expr) => {
        match $e? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

impl ReplyDecoder {
    /// A decoder that refuses data blocks longer than `max_value` bytes (a server claiming more is broken or
    /// hostile; the connection is dropped rather than a buffer of that size grown).
    pub fn with_max_value(max_value: usize) -> Self {
        Self { max_value, ..Self::default() }
    }

    /// Decodes one reply of `kind` from the front of `buf`, consuming it; `Ok(None)` if it is not complete yet.
    ///
    /// # Errors
    /// [`ProtocolError`] when the bytes are not a reply of that kind.
    ///
    /// Data blocks are not copied: the values handed back share the buffer's memory.
    pub fn decode(&self, kind: ReplyKind, buf: &mut BytesMut) -> Result<Option<Response>, ProtocolError> {
        let mut sink = Sink::ranges();
        match self.parse_into(kind, buf, &mut sink)? {
            Some((mut response, used)) => {
                let frame = buf.split_to(used).freeze();
                sink.fill(&mut response, &frame);
                Ok(Some(response))
            }
            None => Ok(None),
        }
    }

    /// Decodes the next part of a multi-part reply from the front of `buf`: one item of a retrieval (`VALUE`
    /// block) or of a quiet meta run, or its end. Lets a connection consume a long reply as it arrives instead of
    /// re-parsing it from the start on every read.
    fn decode_part(&self, kind: ReplyKind, buf: &mut BytesMut) -> Result<Option<Part>, ProtocolError> {
        let mut sink = Sink::ranges();
        let Some((line, pos)) = self.line(buf, 0)? else { return Ok(None) };
        let parsed = match kind {
            ReplyKind::Retrieval if line == b"END" => Some((Part::End, pos)),
            ReplyKind::Retrieval => match error_reply(line) {
                Some(error) => Some((Part::Error(error), pos)),
                None => self.value_block(buf, line, pos, &mut sink)?.map(|(v, end)| (Part::Value(v), end)),
            },
            ReplyKind::MetaBatch => match error_reply(line) {
                Some(error) => Some((Part::Meta(Err(error)), pos)),
                None => match self.meta(buf, line, pos, &mut sink)? {
                    Some((reply, end)) if reply.code == MetaCode::NoOp => Some((Part::End, end)),
                    Some((reply, end)) => Some((Part::Meta(Ok(reply)), end)),
                    None => None,
                },
            },
            _ => return Err(ProtocolError::new("not a multi-part reply kind", line)),
        };
        let Some((mut part, used)) = parsed else { return Ok(None) };
        let frame = buf.split_to(used).freeze();
        let mut ranges = sink.into_ranges();
        let mut next = |slot: &mut Bytes| {
            if let Some(range) = ranges.next() {
                *slot = frame.slice(range);
            }
        };
        match &mut part {
            Part::Value(value) => {
                next(&mut value.key);
                next(&mut value.data);
            }
            Part::Meta(Ok(MetaResponse { value: Some(value), .. })) => next(value),
            _ => {}
        }
        Ok(Some(part))
    }

    /// Parses one reply of `kind` from the front of `src`, returning it with the number of bytes it took.
    ///
    /// # Errors
    /// [`ProtocolError`] when the bytes are not a reply of that kind.
    pub fn parse(&self, kind: ReplyKind, src: &[u8]) -> Parsed<Response> {
        self.parse_into(kind, src, &mut Sink::Copy)
    }

    fn parse_into(&self, kind: ReplyKind, src: &[u8], sink: &mut Sink) -> Parsed<Response> {
        let (line, mut pos) = ready!(self.line(src, 0));
        // In a batch an error answers one command, not the batch: the batch still runs to its `MN`.
        if kind != ReplyKind::MetaBatch
            && let Some(error) = error_reply(line)
        {
            return Ok(Some((Response::Error(error), pos)));
        }
        let simple = |expected: &[(&[u8], Response)]| {
            expected
                .iter()
                .find(|(word, _)| *word == line)
                .map(|(_, response)| Some((response.clone(), pos)))
                .ok_or_else(|| ProtocolError::new("unexpected reply line", line))
        };
        match kind {
            ReplyKind::Storage => simple(&[
                (b"STORED", Response::Stored),
                (b"NOT_STORED", Response::NotStored),
                (b"EXISTS", Response::Exists),
                (b"NOT_FOUND", Response::NotFound),
            ]),
            ReplyKind::Delete => simple(&[(b"DELETED", Response::Deleted), (b"NOT_FOUND", Response::NotFound)]),
            ReplyKind::Touch => simple(&[(b"TOUCHED", Response::Touched), (b"NOT_FOUND", Response::NotFound)]),
            ReplyKind::Ok => simple(&[(b"OK", Response::Ok)]),
            ReplyKind::Arithmetic => {
                if line == b"NOT_FOUND" {
                    return Ok(Some((Response::NotFound, pos)));
                }
                // memcached pads the number with spaces when the new value is shorter than the stored one.
                let digits = trim_trailing_spaces(line);
                let n = parse_num(digits).ok_or_else(|| ProtocolError::new("malformed incr/decr reply", line))?;
                Ok(Some((Response::Number(n), pos)))
            }
            ReplyKind::Version => match line.strip_prefix(b"VERSION ") {
                Some(version) => Ok(Some((Response::Version(Bytes::copy_from_slice(version)), pos))),
                None => Err(ProtocolError::new("unexpected reply line", line)),
            },
            ReplyKind::Stats => {
                let mut stats = Vec::new();
                let mut line = line;
                loop {
                    if line == b"END" {
                        return Ok(Some((Response::Stats(stats), pos)));
                    }
                    let rest =
                        line.strip_prefix(b"STAT ").ok_or_else(|| ProtocolError::new("malformed STAT line", line))?;
                    let (name, value) = match memchr::memchr(b' ', rest) {
                        Some(i) => (&rest[..i], &rest[i + 1..]),
                        None => (rest, &b""[..]),
                    };
                    stats.push((Bytes::copy_from_slice(name), Bytes::copy_from_slice(value)));
                    (line, pos) = ready!(self.line(src, pos));
                }
            }
            ReplyKind::Retrieval => {
                let mut values = Vec::new();
                let mut line = line;
                loop {
                    if line == b"END" {
                        return Ok(Some((Response::Values(values), pos)));
                    }
                    let (value, next) = ready!(self.value_block(src, line, pos, sink));
                    values.push(value);
                    pos = next;
                    (line, pos) = ready!(self.line(src, pos));
                }
            }
            ReplyKind::Meta => {
                let (reply, end) = ready!(self.meta(src, line, pos, sink));
                Ok(Some((Response::Meta(reply), end)))
            }
            ReplyKind::MetaDebug => {
                if line == b"EN" {
                    let miss = MetaResponse { code: MetaCode::Miss, flags: MetaReplyFlags::default(), value: None };
                    return Ok(Some((Response::Meta(miss), pos)));
                }
                let rest =
                    line.strip_prefix(b"ME ").ok_or_else(|| ProtocolError::new("unexpected reply line", line))?;
                let mut tokens = rest.split(|&b| b == b' ').filter(|t| !t.is_empty());
                let key = tokens.next().ok_or_else(|| ProtocolError::new("ME reply without a key", line))?;
                let fields = tokens
                    .map(|t| match memchr::memchr(b'=', t) {
                        Some(i) => Ok((Bytes::copy_from_slice(&t[..i]), Bytes::copy_from_slice(&t[i + 1..]))),
                        None => Err(ProtocolError::new("malformed ME field", line)),
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Some((Response::MetaDebug { key: Bytes::copy_from_slice(key), fields }, pos)))
            }
            ReplyKind::MetaBatch => {
                let mut replies = Vec::new();
                let mut line = line;
                loop {
                    if let Some(error) = error_reply(line) {
                        replies.push(Err(error));
                    } else {
                        let (reply, end) = ready!(self.meta(src, line, pos, sink));
                        pos = end;
                        if reply.code == MetaCode::NoOp {
                            return Ok(Some((Response::MetaBatch(replies), pos)));
                        }
                        replies.push(Ok(reply));
                    }
                    (line, pos) = ready!(self.line(src, pos));
                }
            }
        }
    }

    /// The line starting at `pos` (without its `\r\n`) and the position after it.
    fn line<'a>(&self, src: &'a [u8], pos: usize) -> Parsed<&'a [u8]> {
        let rest = src.get(pos..).unwrap_or_default();
        let window = &rest[..rest.len().min(self.max_line + 2)];
        match memchr::memchr(b'\n', window) {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => Ok(Some((&rest[..i - 1], pos + i + 1))),
            Some(_) => Err(ProtocolError::new("reply line not terminated by \\r\\n", rest)),
            None if rest.len() > self.max_line + 1 => Err(ProtocolError::new("reply line too long", rest)),
            None => Ok(None),
        }
    }

    /// A data block of `len` bytes at `pos`, which must be followed by `\r\n`; returns where it lies and the
    /// position after.
    fn data_block(&self, src: &[u8], len: usize, pos: usize, line: &[u8]) -> Parsed<Range<usize>> {
        if len > self.max_value {
            return Err(ProtocolError::new("data block longer than the configured limit", line));
        }
        let end = pos + len;
        if src.len() < end + 2 {
            return Ok(None);
        }
        if &src[end..end + 2] != b"\r\n" {
            return Err(ProtocolError::new("data block not terminated by \\r\\n", line));
        }
        Ok(Some((pos..end, end + 2)))
    }

    /// `VALUE <key> <flags> <bytes> [<cas>]` and its data block.
    fn value_block(&self, src: &[u8], line: &[u8], pos: usize, sink: &mut Sink) -> Parsed<Value> {
        let bad = || ProtocolError::new("malformed VALUE line", line);
        let rest = line.strip_prefix(b"VALUE ").ok_or_else(|| ProtocolError::new("unexpected reply line", line))?;
        let mut tokens = rest.split(|&b| b == b' ').filter(|t| !t.is_empty());
        let key = tokens.next().ok_or_else(bad)?;
        let flags = tokens.next().and_then(parse_num).ok_or_else(bad)?;
        let len: usize = tokens.next().and_then(parse_num).ok_or_else(bad)?;
        let cas = match tokens.next() {
            Some(t) => Some(parse_num(t).ok_or_else(bad)?),
            None => None,
        };
        if tokens.next().is_some() {
            return Err(bad());
        }
        let (range, end) = ready!(self.data_block(src, len, pos, line));
        // The key is a slice of the frame like the data, not a copy: a multi-get's hundred keys allocate nothing.
        let key = sink.take_part(src, key);
        let value = Value { key, flags, cas, data: sink.take(src, range) };
        Ok(Some((value, end)))
    }

    /// One meta reply whose first line is `line`, ending at `pos` (plus its data block for `VA`).
    fn meta(&self, src: &[u8], line: &[u8], pos: usize, sink: &mut Sink) -> Parsed<MetaResponse> {
        let code = line.get(..2).and_then(MetaCode::from_bytes);
        let code = match (code, line.get(2)) {
            (Some(code), None | Some(b' ')) => code,
            _ => return Err(ProtocolError::new("unexpected reply line", line)),
        };
        let rest = line.get(3..).unwrap_or_default();
        if code != MetaCode::Value {
            let flags = MetaReplyFlags::parse(rest, line)?;
            return Ok(Some((MetaResponse { code, flags, value: None }, pos)));
        }
        let (size, flags) = match memchr::memchr(b' ', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &b""[..]),
        };
        let len: usize = parse_num(size).ok_or_else(|| ProtocolError::new("malformed VA size", line))?;
        let flags = MetaReplyFlags::parse(flags, line)?;
        let (range, end) = ready!(self.data_block(src, len, pos, line));
        Ok(Some((MetaResponse { code, flags, value: Some(sink.take(src, range)) }, end)))
    }
}

/// One part of a multi-part reply, from [`ReplyDecoder::decode_part`].
#[derive(Debug)]
enum Part {
    /// A `VALUE` block of a retrieval.
    Value(Value),
    /// One reply of a quiet meta run (an error reply answers one command).
    Meta(Result<MetaResponse, ErrorReply>),
    /// An error reply in place of a retrieval.
    Error(ErrorReply),
    /// `END` or `MN`.
    End,
}

/// Decodes one reply incrementally: a retrieval or quiet meta run is consumed part by part as bytes arrive, so a
/// long reply is never re-parsed from its start; other kinds decode whole. One per reply being read.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    values: Vec<Value>,
    batch: Vec<Result<MetaResponse, ErrorReply>>,
}

impl Assembler {
    /// The whole reply of `kind` once its last byte is in `buf`; `None` until then (parts read so far are kept).
    pub(crate) fn decode(
        &mut self,
        decoder: &ReplyDecoder,
        kind: ReplyKind,
        buf: &mut BytesMut,
    ) -> Result<Option<Response>, ProtocolError> {
        if !matches!(kind, ReplyKind::Retrieval | ReplyKind::MetaBatch) {
            return decoder.decode(kind, buf);
        }
        loop {
            match decoder.decode_part(kind, buf)? {
                None => return Ok(None),
                Some(Part::Value(value)) => self.values.push(value),
                Some(Part::Meta(reply)) => self.batch.push(reply),
                Some(Part::Error(error)) if self.values.is_empty() => return Ok(Some(Response::Error(error))),
                Some(Part::Error(_)) => {
                    return Err(ProtocolError::new("error reply in the middle of a retrieval", b""));
                }
                Some(Part::End) if kind == ReplyKind::Retrieval => {
                    return Ok(Some(Response::Values(std::mem::take(&mut self.values))));
                }
                Some(Part::End) => return Ok(Some(Response::MetaBatch(std::mem::take(&mut self.batch)))),
            }
        }
    }
}

/// Where data blocks go while parsing: copied out of a borrowed slice, or noted as ranges and later cut from the
/// frozen reply without copying.
enum Sink {
    Copy,
    // Most replies carry at most one item (a key and a data block): keep two ranges inline, so decoding one
    // allocates nothing here.
    Ranges { first: Option<Range<usize>>, second: Option<Range<usize>>, rest: Vec<Range<usize>> },
}

impl Sink {
    fn ranges() -> Self {
        Sink::Ranges { first: None, second: None, rest: Vec::new() }
    }

    /// The bytes of `src` at `range`: copied now, or noted and filled in from the frame later.
    fn take(&mut self, src: &[u8], range: Range<usize>) -> Bytes {
        match self {
            Sink::Copy => Bytes::copy_from_slice(&src[range]),
            Sink::Ranges { first: first @ None, .. } => {
                *first = Some(range);
                Bytes::new()
            }
            Sink::Ranges { second: second @ None, .. } => {
                *second = Some(range);
                Bytes::new()
            }
            Sink::Ranges { rest, .. } => {
                rest.push(range);
                Bytes::new()
            }
        }
    }

    /// [`Sink::take`] for `part`, which is always a subslice of `src` (a token of one of its lines), as
    /// `Bytes::slice_ref` requires of its argument too.
    fn take_part(&mut self, src: &[u8], part: &[u8]) -> Bytes {
        let start = part.as_ptr() as usize - src.as_ptr() as usize;
        debug_assert!(start + part.len() <= src.len(), "a token of the reply, inside it");
        self.take(src, start..start + part.len())
    }

    /// The noted ranges, in the order the parser met them.
    fn into_ranges(self) -> impl Iterator<Item = Range<usize>> {
        let (first, second, rest) = match self {
            Sink::Copy => (None, None, Vec::new()),
            Sink::Ranges { first, second, rest } => (first, second, rest),
        };
        first.into_iter().chain(second).chain(rest)
    }

    /// Puts each noted range into its slot, in the order the parser met them.
    fn fill(self, response: &mut Response, frame: &Bytes) {
        let mut ranges = self.into_ranges();
        let mut next = |slot: &mut Bytes| {
            if let Some(range) = ranges.next() {
                *slot = frame.slice(range);
            }
        };
        match response {
            Response::Values(values) => values.iter_mut().for_each(|v| {
                next(&mut v.key);
                next(&mut v.data);
            }),
            Response::Meta(MetaResponse { value: Some(value), .. }) => next(value),
            Response::MetaBatch(replies) => {
                for reply in replies.iter_mut().flatten() {
                    if let Some(value) = &mut reply.value {
                        next(value);
                    }
                }
            }
            _ => {}
        }
    }
}

fn trim_trailing_spaces(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// Recognises `ERROR`, `CLIENT_ERROR <msg>` and `SERVER_ERROR <msg>`, which any command may receive.
fn error_reply(line: &[u8]) -> Option<ErrorReply> {
    let message = |rest: &[u8]| Bytes::copy_from_slice(rest.strip_prefix(b" ").unwrap_or(rest));
    if line == b"ERROR" || line.starts_with(b"ERROR ") {
        Some(ErrorReply::Error)
    } else if let Some(rest) = line.strip_prefix(b"CLIENT_ERROR") {
        Some(ErrorReply::Client(message(rest)))
    } else {
        line.strip_prefix(b"SERVER_ERROR").map(|rest| ErrorReply::Server(message(rest)))
    }
}
