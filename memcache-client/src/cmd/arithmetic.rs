//! `incr` and `decr`: the decimal number under one key changed in place. Meta: `ma <key> v D<delta> MI|MD`,
//! answered `VA` with the new value or `NF`. Text: `incr|decr <key> <delta>`, answered the number or `NOT_FOUND`.

use bytes::BytesMut;

use super::{Flags, Framing, Keyed, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::Protocol;
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaCode, MetaFlag, MetaMode, MetaResponse, Request, Response};

/// Adds `delta` to the number under one key (`incr`), or subtracts it; the new value, or `None` if absent.
pub(crate) struct Arithmetic<'k> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// The amount to add or subtract.
    pub(crate) delta: u64,
    /// `incr` (add) rather than `decr` (subtract).
    pub(crate) incr: bool,
}

impl Op for Arithmetic<'_> {
    type Output = Option<u64>;

    fn name(&self) -> &'static str {
        if self.incr { "incr" } else { "decr" }
    }

    fn encode(&self, protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let (wire, delta) = (&self.key, self.delta);
        if protocol == Protocol::Meta {
            let mut flags = Flags::new(wire);
            let mode = if self.incr { MetaMode::Increment } else { MetaMode::Decrement };
            flags.push(MetaFlag::ReturnValue).push(MetaFlag::Delta(delta)).push(MetaFlag::Mode(mode));
            let request = Request::MetaArithmetic { key: &wire.wire, flags: flags.as_slice().into() };
            return encode_request(&request, buf, tokens);
        }
        let (key, noreply) = (&wire.wire[..], false);
        let request =
            if self.incr { Request::Incr { key, delta, noreply } } else { Request::Decr { key, delta, noreply } };
        encode_request(&request, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<Option<u64>, Response> {
        match response {
            Response::Meta(reply) if reply.code == MetaCode::Value => {
                let digits = reply.value.as_deref().unwrap_or_default();
                match crate::proto::parse_num::<u64>(digits) {
                    Some(n) => Ok(Some(n)),
                    None => Err(Response::Meta(reply)),
                }
            }
            Response::Meta(MetaResponse { code: MetaCode::NotFound, .. }) | Response::NotFound => Ok(None),
            Response::Number(n) => Ok(Some(n)),
            other => Err(other),
        }
    }
}

impl Keyed for Arithmetic<'_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

impl Client {
    /// Adds `delta` to the decimal number stored under `key` (wrapping at 2^64) and returns the new value;
    /// `Ok(None)` if `key` is absent.
    ///
    /// # Errors
    /// [`Error::ClientError`] if the stored value is not a decimal number; otherwise as [`Client::delete`].
    pub async fn incr<K: AsKey + ?Sized>(&self, key: &K, delta: u64) -> Result<Option<u64>, Error> {
        self.execute(Arithmetic { key: self.wire_key(key)?, delta, incr: true }).await
    }

    /// Subtracts `delta` from the decimal number stored under `key` (flooring at 0) and returns the new value;
    /// `Ok(None)` if `key` is absent.
    ///
    /// # Errors
    /// As [`Client::incr`].
    pub async fn decr<K: AsKey + ?Sized>(&self, key: &K, delta: u64) -> Result<Option<u64>, Error> {
        self.execute(Arithmetic { key: self.wire_key(key)?, delta, incr: false }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{encode, key, meta, tags};
    use crate::proto::ReplyKind;

    fn op(protocol: Protocol, incr: bool) -> Arithmetic<'static> {
        Arithmetic { key: key("n", protocol), delta: 5, incr }
    }

    #[test]
    fn meta_is_one_tagged_ma_with_the_mode() {
        let (bytes, framing) = encode(&op(Protocol::Meta, true), Protocol::Meta);
        assert_eq!(bytes, b"ma n v D5 MI O7\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Meta, Some((7, 1)), None));
        assert_eq!(encode(&op(Protocol::Meta, false), Protocol::Meta).0, b"ma n v D5 MD O7\r\n");
    }

    #[test]
    fn text_is_the_classic_incr_or_decr() {
        let (bytes, framing) = encode(&op(Protocol::Text, true), Protocol::Text);
        assert_eq!(bytes, b"incr n 5\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Arithmetic, None, None));
        assert_eq!(encode(&op(Protocol::Text, false), Protocol::Text).0, b"decr n 5\r\n");
        assert_eq!((op(Protocol::Text, true).name(), op(Protocol::Text, false).name()), ("incr", "decr"));
    }

    #[test]
    fn the_new_value_or_none_when_absent() {
        assert_eq!(op(Protocol::Meta, true).reply(Response::Meta(meta(MetaCode::Value, Some("12")))), Ok(Some(12)));
        assert_eq!(op(Protocol::Meta, true).reply(Response::Meta(meta(MetaCode::NotFound, None))), Ok(None));
        assert_eq!(op(Protocol::Text, true).reply(Response::Number(12)), Ok(Some(12)));
        assert_eq!(op(Protocol::Text, true).reply(Response::NotFound), Ok(None));
    }

    #[test]
    fn a_value_that_is_no_number_or_another_reply_is_unexpected() {
        let garbage = Response::Meta(meta(MetaCode::Value, Some("twelve")));
        assert_eq!(op(Protocol::Meta, true).reply(garbage.clone()), Err(garbage));
        let miss = Response::Meta(meta(MetaCode::Miss, None));
        assert_eq!(op(Protocol::Meta, true).reply(miss.clone()), Err(miss));
        assert_eq!(op(Protocol::Text, true).reply(Response::Stored), Err(Response::Stored));
    }
}
