//! `delete`: one key removed. Meta: `md <key>`, answered `HD` or `NF`. Text: `delete <key>`, answered `DELETED` or
//! `NOT_FOUND`.

use bytes::BytesMut;

use super::{Flags, Framing, Keyed, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::Protocol;
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaCode, MetaResponse, Request, Response};

/// Deletes one key; whether it existed.
pub(crate) struct Delete<'k> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
}

impl Op for Delete<'_> {
    type Output = bool;

    fn name(&self) -> &'static str {
        "delete"
    }

    fn encode(&self, protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let wire = &self.key;
        if protocol == Protocol::Meta {
            let flags = Flags::new(wire);
            return encode_request(
                &Request::MetaDelete { key: &wire.wire, flags: flags.as_slice().into() },
                buf,
                tokens,
            );
        }
        encode_request(&Request::Delete { key: &wire.wire, noreply: false }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<bool, Response> {
        match response {
            Response::Meta(MetaResponse { code: MetaCode::Success, .. }) | Response::Deleted => Ok(true),
            Response::Meta(MetaResponse { code: MetaCode::NotFound, .. }) | Response::NotFound => Ok(false),
            other => Err(other),
        }
    }
}

impl Keyed for Delete<'_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

impl Client {
    /// Deletes `key`. `Ok(true)` if it existed, `Ok(false)` if not.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] before anything is sent; connection, timeout and server errors as they happen.
    pub async fn delete<K: AsKey + ?Sized>(&self, key: &K) -> Result<bool, Error> {
        self.execute(Delete { key: self.wire_key(key)? }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{encode, key, meta, tags};
    use crate::proto::ReplyKind;

    fn delete(protocol: Protocol) -> Delete<'static> {
        Delete { key: key("k", protocol) }
    }

    #[test]
    fn meta_is_one_tagged_md_and_text_the_classic_delete() {
        let (bytes, framing) = encode(&delete(Protocol::Meta), Protocol::Meta);
        assert_eq!(bytes, b"md k O7\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Meta, Some((7, 1)), None));
        let (bytes, framing) = encode(&delete(Protocol::Text), Protocol::Text);
        assert_eq!(bytes, b"delete k\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Delete, None, None));
    }

    #[test]
    fn deleted_is_true_and_not_found_false() {
        assert_eq!(delete(Protocol::Meta).reply(Response::Meta(meta(MetaCode::Success, None))), Ok(true));
        assert_eq!(delete(Protocol::Meta).reply(Response::Meta(meta(MetaCode::NotFound, None))), Ok(false));
        assert_eq!(delete(Protocol::Text).reply(Response::Deleted), Ok(true));
        assert_eq!(delete(Protocol::Text).reply(Response::NotFound), Ok(false));
    }

    #[test]
    fn anything_else_is_unexpected() {
        let miss = Response::Meta(meta(MetaCode::Miss, None));
        assert_eq!(delete(Protocol::Meta).reply(miss.clone()), Err(miss));
        assert_eq!(delete(Protocol::Text).reply(Response::Touched), Err(Response::Touched));
    }
}
