//! The raw meta commands `typed/` builds on: `mg`, `ms` and `md` with the caller's flags, answered with the meta
//! reply itself. Meta protocol only: `typed/` checks the protocol first (see [`Client::delete_if_unchanged`]).

use bytes::BytesMut;

use super::store::check_value;
use super::{Flags, Framing, Keyed, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::{Config, Protocol};
use crate::item::Cas;
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaCode, MetaFlag, MetaResponse, Request, Response};

/// `mg <key> v f c t` plus `extra` flags; the reply as is.
pub(crate) struct MetaGet<'k, 'f> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// The caller's flags, after the four asked for always.
    pub(crate) extra: &'f [MetaFlag],
}

/// `ms <key>` with `extra` flags; the reply's code.
pub(crate) struct MetaSet<'k, 'v, 'f> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// The key as the caller gave it, for [`Error::ValueTooLarge`].
    pub(crate) raw_key: &'k [u8],
    /// The value.
    pub(crate) value: &'v [u8],
    /// The caller's flags.
    pub(crate) extra: &'f [MetaFlag],
}

/// `md <key>` with `extra` flags; the reply's code.
pub(crate) struct MetaDelete<'k, 'f> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// The caller's flags.
    pub(crate) extra: &'f [MetaFlag],
}

/// The key's own flags then `extra`. A `Vec`, as `extra` has no bound; only `typed/` pays for it.
fn flags_with(key: &WireKey<'_>, extra: &[MetaFlag]) -> Vec<MetaFlag> {
    let mut flags = Flags::new(key).as_slice().to_vec();
    flags.extend_from_slice(extra);
    flags
}

impl Op for MetaGet<'_, '_> {
    type Output = MetaResponse;

    fn name(&self) -> &'static str {
        "mg"
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let mut flags = Flags::new(&self.key).as_slice().to_vec();
        flags.extend([MetaFlag::ReturnValue, MetaFlag::ReturnClientFlags, MetaFlag::ReturnCas, MetaFlag::ReturnTtl]);
        flags.extend_from_slice(self.extra);
        encode_request(&Request::MetaGet { key: &self.key.wire, flags: flags.into() }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<MetaResponse, Response> {
        match response {
            Response::Meta(reply) => Ok(reply),
            other => Err(other),
        }
    }
}

impl Keyed for MetaGet<'_, '_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

impl Op for MetaSet<'_, '_, '_> {
    type Output = MetaCode;

    fn name(&self) -> &'static str {
        "ms"
    }

    fn check(&self, config: &Config) -> Result<(), Error> {
        check_value(config, self.raw_key, self.value)
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let flags = flags_with(&self.key, self.extra);
        encode_request(&Request::MetaSet { key: &self.key.wire, flags: flags.into(), data: self.value }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<MetaCode, Response> {
        match response {
            Response::Meta(reply) => Ok(reply.code),
            other => Err(other),
        }
    }
}

impl Keyed for MetaSet<'_, '_, '_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

impl Op for MetaDelete<'_, '_> {
    type Output = MetaCode;

    fn name(&self) -> &'static str {
        "md"
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let flags = flags_with(&self.key, self.extra);
        encode_request(&Request::MetaDelete { key: &self.key.wire, flags: flags.into() }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<MetaCode, Response> {
        match response {
            Response::Meta(reply) => Ok(reply.code),
            other => Err(other),
        }
    }
}

impl Keyed for MetaDelete<'_, '_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

impl Client {
    /// `mg <key> v f c t` plus `extra` flags; the raw meta reply (meta protocol only).
    pub(crate) async fn meta_get_with<K: AsKey + ?Sized>(
        &self,
        key: &K,
        extra: &[MetaFlag],
    ) -> Result<MetaResponse, Error> {
        self.execute(MetaGet { key: self.wire_key(key)?, extra }).await
    }

    /// `ms <key>` with `flags`; the reply code (meta protocol only).
    pub(crate) async fn meta_set_with<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: &[u8],
        extra: &[MetaFlag],
    ) -> Result<MetaCode, Error> {
        self.execute(MetaSet { key: self.wire_key(key)?, raw_key: key.key_bytes(), value, extra }).await
    }

    /// `md <key>` with `flags`; the reply code (meta protocol only).
    pub(crate) async fn meta_delete_with<K: AsKey + ?Sized>(
        &self,
        key: &K,
        extra: &[MetaFlag],
    ) -> Result<MetaCode, Error> {
        self.execute(MetaDelete { key: self.wire_key(key)?, extra }).await
    }

    /// Deletes `key` only if its CAS token is still `cas`; `Ok(false)` if it changed or is gone. With the text
    /// protocol, which has no conditional delete, nothing is deleted.
    pub(crate) async fn delete_if_unchanged<K: AsKey + ?Sized>(&self, key: &K, Cas(cas): Cas) -> Result<bool, Error> {
        if self.protocol() != Protocol::Meta {
            return Ok(false);
        }
        Ok(self.meta_delete_with(key, &[MetaFlag::CompareCas(cas)]).await? == MetaCode::Success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BinaryKey;
    use crate::cmd::testing::{encode, key, meta, tags};
    use crate::proto::ReplyKind;

    #[test]
    fn mg_asks_for_value_flags_cas_and_ttl_then_the_extra_flags() {
        let op = MetaGet { key: key("k", Protocol::Meta), extra: &[MetaFlag::Vivify(30)] };
        let (bytes, framing) = encode(&op, Protocol::Meta);
        assert_eq!(bytes, b"mg k v f c t N30 O7\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Meta, Some((7, 1)), None));
    }

    #[test]
    fn ms_and_md_carry_the_extra_flags_after_the_keys_own() {
        let binary = BinaryKey(*b"\xff");
        let op = MetaSet {
            key: WireKey::new(&binary, true).unwrap(),
            raw_key: b"\xff",
            value: b"v",
            extra: &[MetaFlag::Ttl(5)],
        };
        assert_eq!(encode(&op, Protocol::Meta).0, b"ms /w== 1 b T5 O7\r\nv\r\n");
        let op = MetaDelete { key: key("k", Protocol::Meta), extra: &[MetaFlag::CompareCas(3)] };
        assert_eq!(encode(&op, Protocol::Meta).0, b"md k C3 O7\r\n");
    }

    #[test]
    fn an_opaque_of_the_callers_replaces_the_token() {
        let op = MetaDelete { key: key("k", Protocol::Meta), extra: &[MetaFlag::Opaque(1)] };
        let (bytes, framing) = encode(&op, Protocol::Meta);
        assert_eq!(bytes, b"md k O1\r\n");
        assert!(framing.tags.is_none());
    }

    #[test]
    fn any_meta_reply_is_the_answer_and_anything_else_unexpected() {
        let get = || MetaGet { key: key("k", Protocol::Meta), extra: &[] };
        assert_eq!(get().reply(Response::Meta(meta(MetaCode::Miss, None))), Ok(meta(MetaCode::Miss, None)));
        assert_eq!(get().reply(Response::Stored), Err(Response::Stored));
        let delete = || MetaDelete { key: key("k", Protocol::Meta), extra: &[] };
        assert_eq!(delete().reply(Response::Meta(meta(MetaCode::Exists, None))), Ok(MetaCode::Exists));
        assert_eq!(delete().reply(Response::Deleted), Err(Response::Deleted));
        let set = || MetaSet { key: key("k", Protocol::Meta), raw_key: b"k", value: b"", extra: &[] };
        assert_eq!(set().reply(Response::Meta(meta(MetaCode::NotStored, None))), Ok(MetaCode::NotStored));
        assert_eq!(set().reply(Response::Ok), Err(Response::Ok));
    }
}
