//! The commands, one home each: every file here states one command (or one family, such as the five stores) for
//! both protocols. (The model is mini-redis's `cmd/`.)
//!
//! A command is a small sans-IO operation type, an [`Op`]: it knows what it sends (an `mg` with its flags over the
//! meta protocol, a classic `get` and its fence over the text protocol, ...), how the connection must read the
//! reply ([`Framing`]: the reply's kind, the opaque tokens the bytes carry, the fence behind them), and what each
//! reply means for its caller (a hit, a miss, a [`StoreOutcome`](crate::StoreOutcome), ...). It touches no socket,
//! clock or client, so its tests are byte slices and hand-built replies. The [`Client`] only validates, routes and
//! runs it ([`Client::execute`]): it picks the server, does the round trip and turns a reply the op does not
//! expect into [`Error::UnexpectedReply`].
//!
//! What the files share lives here: the [`Op`] trait, [`Framing`], the token source ([`Tokens`]), the stack of meta
//! flags ([`Flags`]), the one-request encoding ([`encode_request`]), the fence of a classic retrieval
//! ([`encode_fence`]) and the run-on-every-server helper ([`Client::broadcast`]).
//!
//! Adding a command: one file here (its op type, its `impl Client` method with the doc comment users read, and its
//! `#[cfg(test)] mod tests` for the bytes it sends over each protocol and the mapping of each reply, the unexpected
//! one included), plus its `mod` line below.

mod arithmetic;
mod delete;
mod flush_all;
mod get;
mod get_many;
mod meta;
mod stats;
mod store;
mod touch;
mod verbosity;
mod version;

use std::sync::Arc;

use bytes::BytesMut;
use futures_util::future::join_all;

use crate::Error;
use crate::client::Client;
use crate::config::{Config, Protocol};
use crate::connection::{Fence, Tags};
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaFlag, ReplyKind, Request, Response};
use crate::server::Server;

/// One command as data: what it sends for each protocol and what its reply means. See the module docs.
///
/// [`Client::execute`] runs an op that names a key ([`Keyed`]), [`Client::broadcast`] one for every server.
/// Both are generic over the op, so a request costs what the hand-written call did: no boxing, no dynamic dispatch.
pub(crate) trait Op {
    /// What the caller gets from a reply the op expects.
    type Output;

    /// The command's name, for logs and [`Error::UnexpectedReply`].
    fn name(&self) -> &'static str;

    /// Checks what the key's validation cannot (a value's size), before anything is sent.
    ///
    /// # Errors
    /// The input's error, such as [`Error::ValueTooLarge`].
    fn check(&self, _config: &Config) -> Result<(), Error> {
        Ok(())
    }

    /// Appends the request for `protocol` to `buf`, reserving any opaque tokens it carries from `tokens`, and says
    /// how its reply is read.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a request the server would not answer (`noreply`), which no op should build.
    fn encode(&self, protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error>;

    /// What `response` means for the caller, or the response back when the op does not expect it. Error replies
    /// (`ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`) never get here: the round trip has made them errors.
    ///
    /// # Errors
    /// `response` itself, for the client to report as [`Error::UnexpectedReply`].
    #[expect(
        clippy::result_large_err,
        reason = "the reply comes back only when unexpected, to be reported once; boxing it would cost every call"
    )]
    fn reply(self, response: Response) -> Result<Self::Output, Response>;
}

/// An op sent to the one server that owns its key.
pub(crate) trait Keyed: Op {
    /// The key as it goes on the wire (base64 for a binary key), which picks the server.
    fn key(&self) -> &[u8];
}

/// How the connection reads an op's reply: what [`Client::call_raw`] takes beside the bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Framing {
    /// How the reply is framed.
    pub(crate) kind: ReplyKind,
    /// The opaque tokens the bytes carry, which the reply must echo.
    pub(crate) tags: Option<Tags>,
    /// The request the bytes end with, whose reply must come right after the op's own.
    pub(crate) fence: Option<Fence>,
}

/// Where opaque tokens come from: the client's counter, or a plain one in tests.
pub(crate) trait Tokens {
    /// Reserves `count` consecutive tokens and returns the first.
    fn reserve(&self, count: u32) -> u32;
}

impl Tokens for Client {
    fn reserve(&self, count: u32) -> u32 {
        self.next_tags(count)
    }
}

/// A handful of meta flags on the stack, so building a request allocates nothing.
pub(crate) struct Flags {
    /// The flags, the first `len` of them pushed.
    buf: [MetaFlag; 8],
    /// How many are pushed.
    len: usize,
}

impl Flags {
    /// The flags every request for `key` starts with: `b` when the key went on the wire as base64.
    pub(crate) fn new(key: &WireKey<'_>) -> Self {
        let mut flags = Self { buf: [MetaFlag::Quiet; 8], len: 0 };
        if key.binary {
            flags.push(MetaFlag::Base64Key);
        }
        flags
    }

    /// Adds `flag`; eight fit, more than any command here sends.
    pub(crate) fn push(&mut self, flag: MetaFlag) -> &mut Self {
        self.buf[self.len] = flag;
        self.len += 1;
        self
    }

    /// The flags pushed so far.
    pub(crate) fn as_slice(&self) -> &[MetaFlag] {
        &self.buf[..self.len]
    }
}

/// Appends one request answered by one reply, tagged with a fresh token when it is a meta command answered exactly
/// once (see [`Request::encode_tagged`]): a reply that answers another request then closes the connection instead
/// of reaching the wrong caller.
///
/// # Errors
/// [`Error::InvalidArgument`] if `request` asks for no reply.
pub(crate) fn encode_request(
    request: &Request<'_>,
    buf: &mut BytesMut,
    tokens: &impl Tokens,
) -> Result<Framing, Error> {
    buf.reserve(request.size_hint());
    let first = tokens.reserve(1);
    let tags = request.encode_tagged(buf, first).then_some(Tags { first, count: 1 });
    let kind = request.reply_kind().ok_or(Error::InvalidArgument("noreply requests are not sent through call"))?;
    Ok(Framing { kind, tags, fence: None })
}

/// Appends the fence that closes a classic retrieval of `key` (a text key, as sent): `mg <key> O<token>` with a
/// fresh token, or `version` with the text protocol. The key is one the retrieval asked for, so a proxy routes the
/// fence to the same server.
pub(crate) fn encode_fence(protocol: Protocol, buf: &mut BytesMut, key: &[u8], tokens: &impl Tokens) -> Fence {
    if protocol != Protocol::Meta {
        Request::Version.encode(buf);
        return Fence::Version;
    }
    let token = tokens.reserve(1);
    Request::MetaGet { key, flags: [MetaFlag::Opaque(token)][..].into() }.encode(buf);
    Fence::Token(token)
}

impl Client {
    /// The protocol item commands speak.
    pub(crate) fn protocol(&self) -> Protocol {
        self.inner.config.protocol
    }

    /// Validates `key` for the protocol in use; its wire form.
    pub(crate) fn wire_key<'k, K: AsKey + ?Sized>(&self, key: &'k K) -> Result<WireKey<'k>, Error> {
        WireKey::new(key, self.protocol() == Protocol::Meta)
    }

    /// Runs `op` on the server that owns its key: checks it, routes it, encodes it, does the round trip and maps the
    /// reply.
    ///
    /// # Errors
    /// The op's own check; connection, timeout and server errors as they happen; [`Error::UnexpectedReply`] for a
    /// reply the op does not expect.
    pub(crate) async fn execute<O: Keyed>(&self, op: O) -> Result<O::Output, Error> {
        let server = self.route(op.key());
        op.check(&self.inner.config)?;
        let response = self.round_trip(&server, &op).await?;
        let name = op.name();
        op.reply(response).map_err(|other| self.unexpected(&server, name, &other))
    }

    /// Encodes `op` for `server` and waits for its reply.
    async fn round_trip<O: Op>(&self, server: &Server, op: &O) -> Result<Response, Error> {
        // Sized by the op, once: an empty buffer allocates nothing until then.
        let mut buf = BytesMut::new();
        let Framing { kind, tags, fence } = op.encode(self.protocol(), &mut buf, self)?;
        self.call_raw(server, buf.freeze(), kind, tags, fence, op.name()).await
    }

    /// Sends `op` to every server concurrently; each server's result, in server order.
    ///
    /// # Errors
    /// The first server's failure in server order; failures of the round trip come before unexpected replies, as
    /// every round trip is finished before any reply is mapped.
    pub(crate) async fn broadcast<O: Op + Clone>(&self, op: O) -> Result<Vec<(Arc<Server>, O::Output)>, Error> {
        let topology = self.topology();
        let calls: Vec<_> = topology.servers.iter().map(|server| self.round_trip(server, &op)).collect();
        let responses: Vec<(Arc<Server>, Response)> = join_all(calls)
            .await
            .into_iter()
            .zip(&topology.servers)
            .map(|(result, server)| result.map(|response| (server.clone(), response)))
            .collect::<Result<_, _>>()?;
        let name = op.name();
        responses
            .into_iter()
            .map(|(server, response)| match op.clone().reply(response) {
                Ok(output) => Ok((server, output)),
                Err(other) => Err(self.unexpected(&server, name, &other)),
            })
            .collect()
    }
}

/// What the command files' tests share: encoding without a client, and replies built by hand.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::Cell;

    use bytes::{Bytes, BytesMut};

    use super::{Framing, Op, Tokens};
    use crate::config::Protocol;
    use crate::key::WireKey;
    use crate::proto::{MetaCode, MetaReplyFlags, MetaResponse};

    /// Tokens counted from 7, so a test can tell them from zeros.
    pub(crate) struct Counter(pub(crate) Cell<u32>);

    impl Default for Counter {
        fn default() -> Self {
            Self(Cell::new(7))
        }
    }

    impl Tokens for Counter {
        fn reserve(&self, count: u32) -> u32 {
            let first = self.0.get();
            self.0.set(first.wrapping_add(count));
            first
        }
    }

    /// The bytes `op` sends over `protocol`, with tokens from 7, and its framing.
    pub(crate) fn encode(op: &impl Op, protocol: Protocol) -> (Vec<u8>, Framing) {
        let mut buf = BytesMut::new();
        let framing = op.encode(protocol, &mut buf, &Counter::default()).expect("every op is answered");
        (buf.to_vec(), framing)
    }

    /// The tags as `(first, count)`, for assertions.
    pub(crate) fn tags(framing: &Framing) -> Option<(u32, u32)> {
        framing.tags.map(|t| (t.first, t.count))
    }

    /// `key` validated for `protocol`.
    pub(crate) fn key(key: &str, protocol: Protocol) -> WireKey<'_> {
        WireKey::new(key, protocol == Protocol::Meta).expect("a valid key")
    }

    /// A meta reply with `code`, no flags and `value`.
    pub(crate) fn meta(code: MetaCode, value: Option<&'static str>) -> MetaResponse {
        MetaResponse { code, flags: MetaReplyFlags::default(), value: value.map(|v| Bytes::from_static(v.as_bytes())) }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::testing::Counter;
    use super::*;
    use crate::BinaryKey;

    #[test]
    fn flags_start_with_base64_for_a_binary_key() {
        let binary = WireKey::new(&BinaryKey([0xffu8]), true).unwrap();
        assert_eq!(Flags::new(&binary).as_slice(), [MetaFlag::Base64Key]);
        let text = WireKey::new("k", true).unwrap();
        let mut flags = Flags::new(&text);
        flags.push(MetaFlag::ReturnValue).push(MetaFlag::Ttl(5));
        assert_eq!(flags.as_slice(), [MetaFlag::ReturnValue, MetaFlag::Ttl(5)]);
    }

    #[test]
    fn a_meta_request_is_tagged_with_one_fresh_token() {
        let mut buf = BytesMut::new();
        let request = Request::MetaDelete { key: b"k", flags: [][..].into() };
        let framing = encode_request(&request, &mut buf, &Counter::default()).unwrap();
        assert_eq!(&buf[..], b"md k O7\r\n");
        assert_eq!(
            (framing.kind, framing.tags.map(|t| (t.first, t.count)), framing.fence),
            (ReplyKind::Meta, Some((7, 1)), None)
        );
    }

    #[test]
    fn a_text_request_carries_no_token() {
        let mut buf = BytesMut::new();
        let framing = encode_request(&Request::Version, &mut buf, &Counter::default()).unwrap();
        assert_eq!(&buf[..], b"version\r\n");
        assert!(framing.tags.is_none());
        assert_eq!(framing.kind, ReplyKind::Version);
    }

    #[test]
    fn a_noreply_request_is_refused() {
        let request = Request::Delete { key: b"k", noreply: true };
        let error = encode_request(&request, &mut BytesMut::new(), &Counter::default()).unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)));
    }

    #[test]
    fn the_fence_is_a_tokened_mg_or_version() {
        let mut buf = BytesMut::new();
        assert_eq!(encode_fence(Protocol::Meta, &mut buf, b"k", &Counter::default()), Fence::Token(7));
        assert_eq!(&buf[..], b"mg k O7\r\n");
        let mut buf = BytesMut::new();
        assert_eq!(encode_fence(Protocol::Text, &mut buf, b"k", &Counter::default()), Fence::Version);
        assert_eq!(&buf[..], b"version\r\n");
    }
}
