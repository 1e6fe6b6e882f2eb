//! Replies, decoded.

use bytes::Bytes;

use super::MetaReplyFlags;

/// How a reply is framed: the decoder must be told which request it answers, because the text protocol reuses
/// words (`NOT_FOUND` ends a `delete`, a `touch` or an `incr`) and some replies span many lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// `STORED`, `NOT_STORED`, `EXISTS` or `NOT_FOUND`.
    Storage,
    /// Zero or more `VALUE` blocks, then `END`.
    Retrieval,
    /// `DELETED` or `NOT_FOUND`.
    Delete,
    /// A decimal number (possibly space-padded) or `NOT_FOUND`.
    Arithmetic,
    /// `TOUCHED` or `NOT_FOUND`.
    Touch,
    /// `OK` (`flush_all`, `verbosity`).
    Ok,
    /// `VERSION <version>`.
    Version,
    /// `STAT <name> <value>` lines, then `END`.
    Stats,
    /// One meta reply: `VA <size> <flags>*` and a data block, or `HD`/`EN`/`NF`/`NS`/`EX`/`MN` with flags.
    Meta,
    /// `ME <key> <k>=<v>*` or `EN`.
    MetaDebug,
    /// Meta replies up to and including `MN`: a run of quiet meta commands closed by `mn`.
    MetaBatch,
}

impl ReplyKind {
    /// Every kind, for code that must handle (or test) them all.
    pub const ALL: [ReplyKind; 11] = [
        ReplyKind::Storage,
        ReplyKind::Retrieval,
        ReplyKind::Delete,
        ReplyKind::Arithmetic,
        ReplyKind::Touch,
        ReplyKind::Ok,
        ReplyKind::Version,
        ReplyKind::Stats,
        ReplyKind::Meta,
        ReplyKind::MetaDebug,
        ReplyKind::MetaBatch,
    ];
}

/// One item of a retrieval reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The key, as the server echoed it.
    pub key: Bytes,
    /// The client flags stored with the item.
    pub flags: u32,
    /// The CAS token (`gets`/`gats` only).
    pub cas: Option<u64>,
    /// The data block.
    pub data: Bytes,
}

/// A meta reply's status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaCode {
    /// `VA`: a value follows.
    Value,
    /// `HD`: success, no value.
    Success,
    /// `EN`: miss (`mg`, `me`).
    Miss,
    /// `NF`: not found (`md`, `ma`, `ms` in append/replace mode).
    NotFound,
    /// `NS`: not stored.
    NotStored,
    /// `EX`: the CAS token did not match.
    Exists,
    /// `MN`: the reply to `mn`.
    NoOp,
}

impl MetaCode {
    /// The two-letter code on the wire.
    pub fn as_bytes(self) -> &'static [u8; 2] {
        match self {
            MetaCode::Value => b"VA",
            MetaCode::Success => b"HD",
            MetaCode::Miss => b"EN",
            MetaCode::NotFound => b"NF",
            MetaCode::NotStored => b"NS",
            MetaCode::Exists => b"EX",
            MetaCode::NoOp => b"MN",
        }
    }

    pub(crate) fn from_bytes(code: &[u8]) -> Option<Self> {
        Some(match code {
            b"VA" => MetaCode::Value,
            b"HD" => MetaCode::Success,
            b"EN" => MetaCode::Miss,
            b"NF" => MetaCode::NotFound,
            b"NS" => MetaCode::NotStored,
            b"EX" => MetaCode::Exists,
            b"MN" => MetaCode::NoOp,
            _ => return None,
        })
    }
}

/// One meta reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaResponse {
    /// The status code.
    pub code: MetaCode,
    /// The returned flags.
    pub flags: MetaReplyFlags,
    /// The data block (`VA` only).
    pub value: Option<Bytes>,
}

/// One of the three error replies any command may receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorReply {
    /// `ERROR`: the server did not know the command.
    Error,
    /// `CLIENT_ERROR <message>`: the request was malformed.
    Client(Bytes),
    /// `SERVER_ERROR <message>`: the server could not carry out the request.
    Server(Bytes),
}

/// A decoded reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `STORED`
    Stored,
    /// `NOT_STORED`
    NotStored,
    /// `EXISTS`
    Exists,
    /// `NOT_FOUND`
    NotFound,
    /// `DELETED`
    Deleted,
    /// `TOUCHED`
    Touched,
    /// `OK`
    Ok,
    /// The items of a retrieval reply, in the server's order (misses are simply absent).
    Values(Vec<Value>),
    /// The new value after `incr`/`decr`.
    Number(u64),
    /// The server's version string.
    Version(Bytes),
    /// `STAT` name/value pairs in the server's order.
    Stats(Vec<(Bytes, Bytes)>),
    /// One meta reply.
    Meta(MetaResponse),
    /// `ME <key> <k>=<v>*`: the item's internal metadata.
    MetaDebug {
        /// The key, as echoed.
        key: Bytes,
        /// The `k=v` pairs.
        fields: Vec<(Bytes, Bytes)>,
    },
    /// The replies of a quiet run, `MN` excluded; an error reply takes the place of the command it answers.
    MetaBatch(Vec<Result<MetaResponse, ErrorReply>>),
    /// `ERROR`, `CLIENT_ERROR` or `SERVER_ERROR`.
    Error(ErrorReply),
}
