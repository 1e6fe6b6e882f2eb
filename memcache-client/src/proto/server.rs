//! The server's direction of the codec: parsing requests and encoding replies.
//!
//! The client never needs this; proxies, test servers and the property tests (which check that every encoder and
//! its parser agree) do.

use std::borrow::Cow;

use bytes::BufMut;

use super::meta::parse_num;
use super::{ErrorReply, MetaCode, MetaFlag, MetaMode, MetaResponse, ProtocolError, Request, Response, StoreMode};

/// memcached's limit on a request line; it closes a connection that sends a longer one.
const MAX_LINE: usize = 2048;

/// memcached lets retrieval lines run past [`MAX_LINE`] (a multi-get may name hundreds of keys); this bounds the
/// buffering anyway.
const MAX_RETRIEVAL_LINE: usize = 1 << 20;

/// memcached's `KEY_MAX_LENGTH`.
const MAX_KEY: usize = 250;

/// The largest data block accepted: memcached's own ceiling for `-I` (1 GiB).
const MAX_DATA: usize = 1 << 30;

impl<'a> Request<'a> {
    /// Parses one request from the front of `src`, returning it with the number of bytes it took (request line and
    /// data block); `Ok(None)` when the request has not fully arrived.
    ///
    /// Accepts everything [`Request::encode`] writes and, like memcached, a request line ended by a bare `\n` and
    /// runs of spaces between tokens. Keys and data borrow from `src`.
    ///
    /// # Errors
    /// [`ProtocolError`] for an unknown command, a wrong number of tokens, a malformed number or meta flag, a key
    /// longer than 250 bytes, an over-long line, or a data block not followed by `\r\n`. memcached would answer
    /// `ERROR` or `CLIENT_ERROR`; after one the stream cannot be trusted, so the connection should be closed.
    pub fn parse(src: &'a [u8]) -> Result<Option<(Request<'a>, usize)>, ProtocolError> {
        let Some((line, line_end)) = request_line(src)? else {
            return Ok(None);
        };
        let (command, rest) = split_command(line);
        let args: Vec<&'a [u8]> = rest.split(|&b| b == b' ').filter(|t| !t.is_empty()).collect();
        let bad = || ProtocolError::new("wrong number of tokens in request line", line);
        let request = match command {
            b"get" | b"gets" | b"gat" | b"gats" => {
                let (exptime, keys) = match command {
                    b"gat" | b"gats" => {
                        let (exptime, keys) = args.split_first().ok_or_else(bad)?;
                        (number(exptime, line)?, keys)
                    }
                    _ => (0, &args[..]),
                };
                if keys.is_empty() {
                    return Err(bad());
                }
                let keys = Cow::Owned(keys.iter().map(|k| key(k, line)).collect::<Result<_, _>>()?);
                match command {
                    b"get" => Request::Get { keys },
                    b"gets" => Request::Gets { keys },
                    b"gat" => Request::Gat { exptime, keys },
                    _ => Request::Gats { exptime, keys },
                }
            }
            b"set" | b"add" | b"replace" | b"append" | b"prepend" | b"cas" => {
                let is_cas = command == b"cas";
                let fixed = if is_cas { 5 } else { 4 };
                let (fixed_args, rest) = args.split_at_checked(fixed).ok_or_else(bad)?;
                let noreply = noreply(rest).ok_or_else(bad)?;
                // Everything on the line is checked before waiting for the data block.
                let key = key(fixed_args[0], line)?;
                let (flags, exptime) = (number(fixed_args[1], line)?, number(fixed_args[2], line)?);
                let len = data_len(fixed_args[3], line)?;
                let cas = if is_cas { Some(number(fixed_args[4], line)?) } else { None };
                let Some((data, end)) = data_block(src, line_end, len, line)? else {
                    return Ok(None);
                };
                let request = match cas {
                    Some(cas) => Request::Cas { key, flags, exptime, data, cas, noreply },
                    None => Request::Store { mode: store_mode(command), key, flags, exptime, data, noreply },
                };
                return Ok(Some((request, end)));
            }
            b"delete" => match args[..] {
                // memcached still accepts the legacy hold time, as long as it is 0.
                [k] | [k, b"0"] => Request::Delete { key: key(k, line)?, noreply: false },
                [k, b"noreply"] | [k, b"0", b"noreply"] => Request::Delete { key: key(k, line)?, noreply: true },
                _ => return Err(bad()),
            },
            b"incr" | b"decr" => {
                let [k, delta, ref rest @ ..] = args[..] else { return Err(bad()) };
                let (key, delta, noreply) = (key(k, line)?, number(delta, line)?, noreply(rest).ok_or_else(bad)?);
                if command == b"incr" {
                    Request::Incr { key, delta, noreply }
                } else {
                    Request::Decr { key, delta, noreply }
                }
            }
            b"touch" => {
                let [k, exptime, ref rest @ ..] = args[..] else { return Err(bad()) };
                Request::Touch {
                    key: key(k, line)?,
                    exptime: number(exptime, line)?,
                    noreply: noreply(rest).ok_or_else(bad)?,
                }
            }
            b"flush_all" => {
                let (delay, noreply) = match args[..] {
                    [] => (None, false),
                    [b"noreply"] => (None, true),
                    [delay] => (Some(number(delay, line)?), false),
                    [delay, b"noreply"] => (Some(number(delay, line)?), true),
                    _ => return Err(bad()),
                };
                Request::FlushAll { delay, noreply }
            }
            b"version" if args.is_empty() => Request::Version,
            // The argument is everything after `stats`, so `stats cachedump 1 10` and `stats detail dump` survive.
            b"stats" => Request::Stats { arg: Some(trim_spaces(rest)).filter(|arg| !arg.is_empty()) },
            b"verbosity" => {
                let [level, ref rest @ ..] = args[..] else { return Err(bad()) };
                Request::Verbosity { level: number(level, line)?, noreply: noreply(rest).ok_or_else(bad)? }
            }
            b"mg" | b"md" | b"ma" | b"me" => {
                let (k, flags) = args.split_first().ok_or_else(bad)?;
                let key = key(k, line)?;
                let flags = Cow::Owned(meta_flags(flags, command, line)?);
                match command {
                    b"mg" => Request::MetaGet { key, flags },
                    b"md" => Request::MetaDelete { key, flags },
                    b"ma" => Request::MetaArithmetic { key, flags },
                    _ => Request::MetaDebug { key, flags },
                }
            }
            b"ms" => {
                let [k, len, ref flags @ ..] = args[..] else { return Err(bad()) };
                let (key, flags) = (key(k, line)?, Cow::Owned(meta_flags(flags, command, line)?));
                let len = data_len(len, line)?;
                let Some((data, end)) = data_block(src, line_end, len, line)? else {
                    return Ok(None);
                };
                let request = Request::MetaSet { key, flags, data };
                return Ok(Some((request, end)));
            }
            b"mn" if args.is_empty() => Request::MetaNoOp,
            b"version" | b"mn" => return Err(bad()),
            b"" => return Err(ProtocolError::new("empty request line", line)),
            _ => return Err(ProtocolError::new("unknown command", line)),
        };
        Ok(Some((request, line_end)))
    }
}

fn store_mode(command: &[u8]) -> StoreMode {
    match command {
        b"set" => StoreMode::Set,
        b"add" => StoreMode::Add,
        b"replace" => StoreMode::Replace,
        b"append" => StoreMode::Append,
        _ => StoreMode::Prepend,
    }
}

/// The request line at the front of `src` (without its `\n` or `\r\n`) and the position after it.
fn request_line(src: &[u8]) -> Result<Option<(&[u8], usize)>, ProtocolError> {
    let limit = if is_retrieval(src) { MAX_RETRIEVAL_LINE } else { MAX_LINE };
    // The line may hold `limit` bytes, then `\r` and `\n`.
    let window = &src[..src.len().min(limit + 2)];
    match memchr::memchr(b'\n', window) {
        Some(i) => {
            let line = &src[..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > limit {
                return Err(ProtocolError::new("request line too long", src));
            }
            Ok(Some((line, i + 1)))
        }
        None if src.len() > limit + 1 => Err(ProtocolError::new("request line too long", src)),
        None => Ok(None),
    }
}

/// Whether `src` starts with a retrieval command, whose line may be longer than [`MAX_LINE`].
fn is_retrieval(src: &[u8]) -> bool {
    let start = src.iter().position(|&b| b != b' ').unwrap_or(src.len());
    let src = &src[start..];
    [&b"get "[..], b"gets ", b"gat ", b"gats "].iter().any(|prefix| src.starts_with(prefix))
}

/// Splits a line into its command word and the rest (which starts at the space after the command, if any).
fn split_command(line: &[u8]) -> (&[u8], &[u8]) {
    let line = &line[line.iter().position(|&b| b != b' ').unwrap_or(line.len())..];
    let end = memchr::memchr(b' ', line).unwrap_or(line.len());
    line.split_at(end)
}

fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// The optional trailing `noreply`; `None` when there are other tokens.
fn noreply(rest: &[&[u8]]) -> Option<bool> {
    match rest {
        [] => Some(false),
        [b"noreply"] => Some(true),
        _ => None,
    }
}

fn key<'a>(token: &'a [u8], line: &[u8]) -> Result<&'a [u8], ProtocolError> {
    if token.len() > MAX_KEY {
        return Err(ProtocolError::new("key longer than 250 bytes", line));
    }
    Ok(token)
}

fn number<T: TryFrom<u64>>(token: &[u8], line: &[u8]) -> Result<T, ProtocolError> {
    parse_num(token).ok_or_else(|| ProtocolError::new("malformed number in request line", line))
}

fn data_len(token: &[u8], line: &[u8]) -> Result<usize, ProtocolError> {
    let len = number(token, line)?;
    if len > MAX_DATA {
        return Err(ProtocolError::new("data block longer than the limit", line));
    }
    Ok(len)
}

/// The data block of `len` bytes at `pos`, which must be followed by `\r\n`, and the position after it.
fn data_block<'a>(
    src: &'a [u8],
    pos: usize,
    len: usize,
    line: &[u8],
) -> Result<Option<(&'a [u8], usize)>, ProtocolError> {
    let end = pos + len;
    match src.get(end..end + 2) {
        None => Ok(None),
        Some(b"\r\n") => Ok(Some((&src[pos..end], end + 2))),
        Some(_) => Err(ProtocolError::new("data block not terminated by \\r\\n", line)),
    }
}

/// Parses meta flag tokens. The `M` token depends on the command: `ms` and `ma` modes share letters.
fn meta_flags(tokens: &[&[u8]], command: &[u8], line: &[u8]) -> Result<Vec<MetaFlag>, ProtocolError> {
    let malformed = || ProtocolError::new("malformed meta flag", line);
    tokens
        .iter()
        .map(|token| {
            let (letter, rest) = (token[0], &token[1..]);
            let bare = |flag| if rest.is_empty() { Ok(flag) } else { Err(malformed()) };
            Ok(match letter {
                b'b' => bare(MetaFlag::Base64Key)?,
                b'c' => bare(MetaFlag::ReturnCas)?,
                b'C' => MetaFlag::CompareCas(meta_num(rest, line)?),
                b'E' => MetaFlag::NewCas(meta_num(rest, line)?),
                b'f' => bare(MetaFlag::ReturnClientFlags)?,
                b'F' => MetaFlag::ClientFlags(meta_num(rest, line)?),
                b'h' => bare(MetaFlag::ReturnHit)?,
                b'I' => bare(MetaFlag::Invalidate)?,
                b'J' => MetaFlag::InitialValue(meta_num(rest, line)?),
                b'D' => MetaFlag::Delta(meta_num(rest, line)?),
                b'k' => bare(MetaFlag::ReturnKey)?,
                b'l' => bare(MetaFlag::ReturnLastAccess)?,
                b'M' => MetaFlag::Mode(meta_mode(rest, command).ok_or_else(malformed)?),
                b'N' => MetaFlag::Vivify(meta_num(rest, line)?),
                b'O' => MetaFlag::Opaque(meta_num(rest, line)?),
                b'q' => bare(MetaFlag::Quiet)?,
                b'R' => MetaFlag::Recache(meta_num(rest, line)?),
                b's' => bare(MetaFlag::ReturnSize)?,
                b't' => bare(MetaFlag::ReturnTtl)?,
                b'T' => MetaFlag::Ttl(meta_num(rest, line)?),
                b'u' => bare(MetaFlag::NoLruBump)?,
                b'v' => bare(MetaFlag::ReturnValue)?,
                b'x' => bare(MetaFlag::RemoveValue)?,
                _ => return Err(ProtocolError::new("unknown meta flag", line)),
            })
        })
        .collect()
}

fn meta_num<T: TryFrom<u64>>(token: &[u8], line: &[u8]) -> Result<T, ProtocolError> {
    parse_num(token).ok_or_else(|| ProtocolError::new("malformed meta flag", line))
}

/// `ms` takes storage modes and `ma` arithmetic ones; other commands ignore the flag, so either kind is accepted.
fn meta_mode(token: &[u8], command: &[u8]) -> Option<MetaMode> {
    match command {
        b"ms" => MetaMode::from_token(token, false),
        b"ma" => MetaMode::from_token(token, true),
        _ => MetaMode::from_token(token, false).or_else(|| MetaMode::from_token(token, true)),
    }
}

const CRLF: &[u8] = b"\r\n";

fn put_num(dst: &mut impl BufMut, n: impl itoa::Integer) {
    dst.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

impl Response {
    /// Writes the reply as memcached would, line terminators and data blocks included.
    ///
    /// The inverse of [`ReplyDecoder::decode`](super::ReplyDecoder::decode) with the [`ReplyKind`](super::ReplyKind)
    /// of the request answered. Nothing is escaped: bytes that would break the framing (a line break in a key,
    /// message or stat, a space in a key) are the caller's to avoid. A meta reply's data block is written for
    /// [`MetaCode::Value`] only (an absent value as an empty one); meta flags come out in a fixed order (`O k b c f
    /// t s l h W X Z`) rather than memcached's request order, which no decoder depends on.
    pub fn encode(&self, dst: &mut impl BufMut) {
        let simple: &[u8] = match self {
            Response::Stored => b"STORED",
            Response::NotStored => b"NOT_STORED",
            Response::Exists => b"EXISTS",
            Response::NotFound => b"NOT_FOUND",
            Response::Deleted => b"DELETED",
            Response::Touched => b"TOUCHED",
            Response::Ok => b"OK",
            Response::Values(values) => {
                for value in values {
                    dst.put_slice(b"VALUE ");
                    dst.put_slice(&value.key);
                    dst.put_u8(b' ');
                    put_num(dst, value.flags);
                    dst.put_u8(b' ');
                    put_num(dst, value.data.len());
                    if let Some(cas) = value.cas {
                        dst.put_u8(b' ');
                        put_num(dst, cas);
                    }
                    dst.put_slice(CRLF);
                    dst.put_slice(&value.data);
                    dst.put_slice(CRLF);
                }
                b"END"
            }
            Response::Number(n) => {
                put_num(dst, *n);
                b""
            }
            Response::Version(version) => {
                dst.put_slice(b"VERSION ");
                dst.put_slice(version);
                b""
            }
            Response::Stats(stats) => {
                for (name, value) in stats {
                    dst.put_slice(b"STAT ");
                    dst.put_slice(name);
                    dst.put_u8(b' ');
                    dst.put_slice(value);
                    dst.put_slice(CRLF);
                }
                b"END"
            }
            Response::Meta(reply) => {
                encode_meta(reply, dst);
                return;
            }
            Response::MetaDebug { key, fields } => {
                dst.put_slice(b"ME ");
                dst.put_slice(key);
                for (name, value) in fields {
                    dst.put_u8(b' ');
                    dst.put_slice(name);
                    dst.put_u8(b'=');
                    dst.put_slice(value);
                }
                b""
            }
            Response::MetaBatch(replies) => {
                for reply in replies {
                    match reply {
                        Ok(reply) => encode_meta(reply, dst),
                        Err(error) => encode_error(error, dst),
                    }
                }
                b"MN"
            }
            Response::Error(error) => {
                encode_error(error, dst);
                return;
            }
        };
        dst.put_slice(simple);
        dst.put_slice(CRLF);
    }
}

/// `<code>[ <size>]<flags>\r\n`, then the data block for `VA`.
fn encode_meta(reply: &MetaResponse, dst: &mut impl BufMut) {
    dst.put_slice(reply.code.as_bytes());
    let value = (reply.code == MetaCode::Value).then(|| reply.value.as_deref().unwrap_or_default());
    if let Some(value) = value {
        dst.put_u8(b' ');
        put_num(dst, value.len());
    }
    reply.flags.encode(dst);
    dst.put_slice(CRLF);
    if let Some(value) = value {
        dst.put_slice(value);
        dst.put_slice(CRLF);
    }
}

fn encode_error(error: &ErrorReply, dst: &mut impl BufMut) {
    let (word, message): (&[u8], &[u8]) = match error {
        ErrorReply::Error => (b"ERROR", b""),
        ErrorReply::Client(message) => (b"CLIENT_ERROR", message),
        ErrorReply::Server(message) => (b"SERVER_ERROR", message),
    };
    dst.put_slice(word);
    if !message.is_empty() {
        dst.put_u8(b' ');
        dst.put_slice(message);
    }
    dst.put_slice(CRLF);
}
