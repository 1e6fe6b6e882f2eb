//! `touch`: one key's expiry set without reading it. Meta: `mg <key> T<ttl>`, answered `HD` or `EN`. Text:
//! `touch <key> <ttl>`, answered `TOUCHED` or `NOT_FOUND`.

use bytes::BytesMut;

use super::{Flags, Framing, Keyed, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::Protocol;
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaCode, MetaFlag, MetaResponse, Request, Response};

/// Sets one key's expiry to `ttl`; whether it exists.
pub(crate) struct Touch<'k> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// The new expiry.
    pub(crate) ttl: u32,
}

impl Op for Touch<'_> {
    type Output = bool;

    fn name(&self) -> &'static str {
        "touch"
    }

    fn encode(&self, protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let wire = &self.key;
        if protocol == Protocol::Meta {
            let mut flags = Flags::new(wire);
            flags.push(MetaFlag::Ttl(self.ttl));
            return encode_request(&Request::MetaGet { key: &wire.wire, flags: flags.as_slice().into() }, buf, tokens);
        }
        encode_request(&Request::Touch { key: &wire.wire, exptime: self.ttl, noreply: false }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<bool, Response> {
        match response {
            Response::Meta(MetaResponse { code: MetaCode::Success, .. }) | Response::Touched => Ok(true),
            Response::Meta(MetaResponse { code: MetaCode::Miss, .. }) | Response::NotFound => Ok(false),
            other => Err(other),
        }
    }
}

impl Keyed for Touch<'_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

impl Client {
    /// Sets the expiry of `key` to `ttl` without reading it. `Ok(true)` if it exists, `Ok(false)` if not.
    ///
    /// # Errors
    /// As [`Client::delete`].
    pub async fn touch<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<bool, Error> {
        self.execute(Touch { key: self.wire_key(key)?, ttl }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{encode, key, meta, tags};
    use crate::proto::ReplyKind;

    fn touch(protocol: Protocol) -> Touch<'static> {
        Touch { key: key("k", protocol), ttl: 30 }
    }

    #[test]
    fn meta_is_one_tagged_mg_with_a_ttl_and_text_the_classic_touch() {
        let (bytes, framing) = encode(&touch(Protocol::Meta), Protocol::Meta);
        assert_eq!(bytes, b"mg k T30 O7\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Meta, Some((7, 1)), None));
        let (bytes, framing) = encode(&touch(Protocol::Text), Protocol::Text);
        assert_eq!(bytes, b"touch k 30\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Touch, None, None));
    }

    #[test]
    fn touched_is_true_and_a_miss_false() {
        assert_eq!(touch(Protocol::Meta).reply(Response::Meta(meta(MetaCode::Success, None))), Ok(true));
        assert_eq!(touch(Protocol::Meta).reply(Response::Meta(meta(MetaCode::Miss, None))), Ok(false));
        assert_eq!(touch(Protocol::Text).reply(Response::Touched), Ok(true));
        assert_eq!(touch(Protocol::Text).reply(Response::NotFound), Ok(false));
    }

    #[test]
    fn anything_else_is_unexpected() {
        let not_found = Response::Meta(meta(MetaCode::NotFound, None));
        assert_eq!(touch(Protocol::Meta).reply(not_found.clone()), Err(not_found));
        assert_eq!(touch(Protocol::Text).reply(Response::Deleted), Err(Response::Deleted));
    }
}
