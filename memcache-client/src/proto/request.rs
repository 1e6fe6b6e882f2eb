//! Requests and their encoding.

use std::borrow::Cow;

use bytes::BufMut;

use super::{MetaFlag, ReplyKind};

/// The five text-protocol storage commands that share one line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `set`: store unconditionally.
    Set,
    /// `add`: store only if the key is absent.
    Add,
    /// `replace`: store only if the key is present.
    Replace,
    /// `append`: add the data after the existing value.
    Append,
    /// `prepend`: add the data before the existing value.
    Prepend,
}

impl StoreMode {
    pub(crate) fn command(self) -> &'static [u8] {
        match self {
            StoreMode::Set => b"set",
            StoreMode::Add => b"add",
            StoreMode::Replace => b"replace",
            StoreMode::Append => b"append",
            StoreMode::Prepend => b"prepend",
        }
    }
}

/// One request, borrowing its keys and data.
///
/// The encoder writes keys as given: it is the caller's job (the client's, in this crate) to have validated them
/// first, because a key holding a space or `\r\n` would be read by the server as more than one token or command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `get <key>*`
    Get {
        /// The keys; at least one.
        keys: Cow<'a, [&'a [u8]]>,
    },
    /// `gets <key>*` (with CAS tokens)
    Gets {
        /// The keys; at least one.
        keys: Cow<'a, [&'a [u8]]>,
    },
    /// `gat <exptime> <key>*` (get and touch)
    Gat {
        /// The new expiration time.
        exptime: u32,
        /// The keys; at least one.
        keys: Cow<'a, [&'a [u8]]>,
    },
    /// `gats <exptime> <key>*` (get and touch, with CAS tokens)
    Gats {
        /// The new expiration time.
        exptime: u32,
        /// The keys; at least one.
        keys: Cow<'a, [&'a [u8]]>,
    },
    /// `set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]` and a data block.
    Store {
        /// Which storage command.
        mode: StoreMode,
        /// The key.
        key: &'a [u8],
        /// Opaque client flags stored with the value.
        flags: u32,
        /// Expiration time (0: never).
        exptime: u32,
        /// The value.
        data: &'a [u8],
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]` and a data block.
    Cas {
        /// The key.
        key: &'a [u8],
        /// Opaque client flags stored with the value.
        flags: u32,
        /// Expiration time (0: never).
        exptime: u32,
        /// The value.
        data: &'a [u8],
        /// The CAS token read by `gets`.
        cas: u64,
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `delete <key> [noreply]`
    Delete {
        /// The key.
        key: &'a [u8],
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `incr <key> <value> [noreply]`
    Incr {
        /// The key.
        key: &'a [u8],
        /// The amount to add.
        delta: u64,
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `decr <key> <value> [noreply]`
    Decr {
        /// The key.
        key: &'a [u8],
        /// The amount to subtract (the result floors at 0).
        delta: u64,
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `touch <key> <exptime> [noreply]`
    Touch {
        /// The key.
        key: &'a [u8],
        /// The new expiration time.
        exptime: u32,
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `flush_all [delay] [noreply]`
    FlushAll {
        /// Seconds to wait before invalidating.
        delay: Option<u32>,
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `version`
    Version,
    /// `stats [argument]`
    Stats {
        /// `items`, `slabs`, `settings`, `conns`, ...; `None` for the general statistics.
        arg: Option<&'a [u8]>,
    },
    /// `verbosity <level> [noreply]`
    Verbosity {
        /// The log level.
        level: u32,
        /// Ask the server not to reply.
        noreply: bool,
    },
    /// `mg <key> <flags>*`
    MetaGet {
        /// The key (base64 when the flags hold [`MetaFlag::Base64Key`]).
        key: &'a [u8],
        /// The flags.
        flags: Cow<'a, [MetaFlag]>,
    },
    /// `ms <key> <datalen> <flags>*` and a data block.
    MetaSet {
        /// The key.
        key: &'a [u8],
        /// The flags.
        flags: Cow<'a, [MetaFlag]>,
        /// The value.
        data: &'a [u8],
    },
    /// `md <key> <flags>*`
    MetaDelete {
        /// The key.
        key: &'a [u8],
        /// The flags.
        flags: Cow<'a, [MetaFlag]>,
    },
    /// `ma <key> <flags>*`
    MetaArithmetic {
        /// The key.
        key: &'a [u8],
        /// The flags.
        flags: Cow<'a, [MetaFlag]>,
    },
    /// `me <key> [b]`
    MetaDebug {
        /// The key.
        key: &'a [u8],
        /// The flags (only [`MetaFlag::Base64Key`] means anything).
        flags: Cow<'a, [MetaFlag]>,
    },
    /// `mn`: replies `MN`; ends a run of quiet meta commands.
    MetaNoOp,
}

const CRLF: &[u8] = b"\r\n";

fn put_num(dst: &mut impl BufMut, n: impl itoa::Integer) {
    dst.put_u8(b' ');
    dst.put_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn put_noreply(dst: &mut impl BufMut, noreply: bool) {
    if noreply {
        dst.put_slice(b" noreply");
    }
}

fn put_keys(dst: &mut impl BufMut, keys: &[&[u8]]) {
    for key in keys {
        dst.put_u8(b' ');
        dst.put_slice(key);
    }
}

fn put_flags(dst: &mut impl BufMut, flags: &[MetaFlag]) {
    for flag in flags {
        flag.encode(dst);
    }
}

/// Appends `O<tag>` to a meta command's flags when a tag is asked for and the command is answered exactly once: not
/// quiet, and not already carrying an opaque of its caller's.
fn put_tag(dst: &mut impl BufMut, flags: &[MetaFlag], tag: Option<u32>) -> bool {
    let Some(tag) = tag else { return false };
    if flags.iter().any(|f| matches!(f, MetaFlag::Quiet | MetaFlag::Opaque(_))) {
        return false;
    }
    MetaFlag::Opaque(tag).encode(dst);
    true
}

impl Request<'_> {
    /// Writes the request, line terminator and data block included.
    pub fn encode(&self, dst: &mut impl BufMut) {
        self.encode_with_tag(dst, None);
    }

    /// Writes the request like [`encode`](Self::encode), adding the opaque token `O<tag>` when it is `mg`, `ms`,
    /// `md` or `ma` answered exactly once (no [`MetaFlag::Quiet`], no opaque of its own). The server copies the
    /// token into its reply, so a pipelining client can check that each reply answers the request it is matched
    /// with, rather than trusting order alone. Returns whether the token was written.
    ///
    /// ```
    /// use memcache_client::proto::{MetaFlag, Request};
    ///
    /// let mut buf = Vec::new();
    /// let flags = [MetaFlag::ReturnValue];
    /// assert!(Request::MetaGet { key: b"k", flags: flags[..].into() }.encode_tagged(&mut buf, 7));
    /// assert_eq!(buf, b"mg k v O7\r\n");
    /// ```
    pub fn encode_tagged(&self, dst: &mut impl BufMut, tag: u32) -> bool {
        self.encode_with_tag(dst, Some(tag))
    }

    fn encode_with_tag(&self, dst: &mut impl BufMut, tag: Option<u32>) -> bool {
        let mut tagged = false;
        match self {
            Request::Get { keys } => {
                dst.put_slice(b"get");
                put_keys(dst, keys);
            }
            Request::Gets { keys } => {
                dst.put_slice(b"gets");
                put_keys(dst, keys);
            }
            Request::Gat { exptime, keys } => {
                dst.put_slice(b"gat");
                put_num(dst, *exptime);
                put_keys(dst, keys);
            }
            Request::Gats { exptime, keys } => {
                dst.put_slice(b"gats");
                put_num(dst, *exptime);
                put_keys(dst, keys);
            }
            Request::Store { mode, key, flags, exptime, data, noreply } => {
                dst.put_slice(mode.command());
                put_keys(dst, &[key]);
                put_num(dst, *flags);
                put_num(dst, *exptime);
                put_num(dst, data.len());
                put_noreply(dst, *noreply);
                dst.put_slice(CRLF);
                dst.put_slice(data);
            }
            Request::Cas { key, flags, exptime, data, cas, noreply } => {
                dst.put_slice(b"cas");
                put_keys(dst, &[key]);
                put_num(dst, *flags);
                put_num(dst, *exptime);
                put_num(dst, data.len());
                put_num(dst, *cas);
                put_noreply(dst, *noreply);
                dst.put_slice(CRLF);
                dst.put_slice(data);
            }
            Request::Delete { key, noreply } => {
                dst.put_slice(b"delete");
                put_keys(dst, &[key]);
                put_noreply(dst, *noreply);
            }
            Request::Incr { key, delta, noreply } | Request::Decr { key, delta, noreply } => {
                dst.put_slice(if matches!(self, Request::Incr { .. }) { b"incr" } else { b"decr" });
                put_keys(dst, &[key]);
                put_num(dst, *delta);
                put_noreply(dst, *noreply);
            }
            Request::Touch { key, exptime, noreply } => {
                dst.put_slice(b"touch");
                put_keys(dst, &[key]);
                put_num(dst, *exptime);
                put_noreply(dst, *noreply);
            }
            Request::FlushAll { delay, noreply } => {
                dst.put_slice(b"flush_all");
                if let Some(delay) = delay {
                    put_num(dst, *delay);
                }
                put_noreply(dst, *noreply);
            }
            Request::Version => dst.put_slice(b"version"),
            Request::Stats { arg } => {
                dst.put_slice(b"stats");
                if let Some(arg) = arg {
                    put_keys(dst, &[arg]);
                }
            }
            Request::Verbosity { level, noreply } => {
                dst.put_slice(b"verbosity");
                put_num(dst, *level);
                put_noreply(dst, *noreply);
            }
            Request::MetaGet { key, flags } => {
                dst.put_slice(b"mg");
                put_keys(dst, &[key]);
                put_flags(dst, flags);
                tagged = put_tag(dst, flags, tag);
            }
            Request::MetaSet { key, flags, data } => {
                dst.put_slice(b"ms");
                put_keys(dst, &[key]);
                put_num(dst, data.len());
                put_flags(dst, flags);
                tagged = put_tag(dst, flags, tag);
                dst.put_slice(CRLF);
                dst.put_slice(data);
            }
            Request::MetaDelete { key, flags } => {
                dst.put_slice(b"md");
                put_keys(dst, &[key]);
                put_flags(dst, flags);
                tagged = put_tag(dst, flags, tag);
            }
            Request::MetaArithmetic { key, flags } => {
                dst.put_slice(b"ma");
                put_keys(dst, &[key]);
                put_flags(dst, flags);
                tagged = put_tag(dst, flags, tag);
            }
            Request::MetaDebug { key, flags } => {
                dst.put_slice(b"me");
                put_keys(dst, &[key]);
                put_flags(dst, flags);
            }
            Request::MetaNoOp => dst.put_slice(b"mn"),
        }
        dst.put_slice(CRLF);
        tagged
    }

    /// Roughly how many bytes `encode` writes, to size the buffer once.
    pub(crate) fn size_hint(&self) -> usize {
        const LINE: usize = 64;
        match self {
            Request::Get { keys } | Request::Gets { keys } | Request::Gat { keys, .. } | Request::Gats { keys, .. } => {
                LINE + keys.iter().map(|k| k.len() + 1).sum::<usize>()
            }
            Request::Store { key, data, .. } | Request::Cas { key, data, .. } | Request::MetaSet { key, data, .. } => {
                LINE + key.len() + data.len()
            }
            Request::Delete { key, .. }
            | Request::Incr { key, .. }
            | Request::Decr { key, .. }
            | Request::Touch { key, .. }
            | Request::MetaGet { key, .. }
            | Request::MetaDelete { key, .. }
            | Request::MetaArithmetic { key, .. }
            | Request::MetaDebug { key, .. } => LINE + key.len(),
            Request::Stats { arg } => LINE + arg.map_or(0, <[u8]>::len),
            Request::FlushAll { .. } | Request::Version | Request::Verbosity { .. } | Request::MetaNoOp => LINE,
        }
    }

    /// How the reply to this request is framed, or `None` when the server sends no reply (`noreply`).
    ///
    /// A meta command with [`MetaFlag::Quiet`] may or may not be answered; send it in a run closed by
    /// [`Request::MetaNoOp`] and read the whole run as one [`ReplyKind::MetaBatch`].
    pub fn reply_kind(&self) -> Option<ReplyKind> {
        Some(match self {
            Request::Get { .. } | Request::Gets { .. } | Request::Gat { .. } | Request::Gats { .. } => {
                ReplyKind::Retrieval
            }
            Request::Store { noreply: true, .. }
            | Request::Cas { noreply: true, .. }
            | Request::Delete { noreply: true, .. }
            | Request::Incr { noreply: true, .. }
            | Request::Decr { noreply: true, .. }
            | Request::Touch { noreply: true, .. }
            | Request::FlushAll { noreply: true, .. }
            | Request::Verbosity { noreply: true, .. } => return None,
            Request::Store { .. } | Request::Cas { .. } => ReplyKind::Storage,
            Request::Delete { .. } => ReplyKind::Delete,
            Request::Incr { .. } | Request::Decr { .. } => ReplyKind::Arithmetic,
            Request::Touch { .. } => ReplyKind::Touch,
            Request::FlushAll { .. } | Request::Verbosity { .. } => ReplyKind::Ok,
            Request::Version => ReplyKind::Version,
            Request::Stats { .. } => ReplyKind::Stats,
            Request::MetaDebug { .. } => ReplyKind::MetaDebug,
            Request::MetaGet { .. }
            | Request::MetaSet { .. }
            | Request::MetaDelete { .. }
            | Request::MetaArithmetic { .. }
            | Request::MetaNoOp => ReplyKind::Meta,
        })
    }
}
