//! `set`, `add`, `replace`, `append`, `prepend` and `cas`: one value stored under one key. Meta: `ms <key> <len>`
//! with the mode, flags, TTL and CAS as flags, answered `HD`, `NS`, `EX` or `NF`. Text: the classic storage command,
//! answered `STORED`, `NOT_STORED`, `EXISTS` or `NOT_FOUND`.

use bytes::{Bytes, BytesMut};

use super::{Flags, Framing, Keyed, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::{Config, Protocol};
use crate::item::{Cas, StoreOptions, StoreOutcome};
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaCode, MetaFlag, MetaMode, Request, Response, StoreMode};

/// Stores `value` under `key` as `mode` says, only if the item still has `cas` when given.
pub(crate) struct Store<'k, 'v> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// The key as the caller gave it, for [`Error::ValueTooLarge`].
    pub(crate) raw_key: &'k [u8],
    /// The value.
    pub(crate) value: &'v [u8],
    /// Which store: `set`, `add`, `replace`, `append` or `prepend` (`set` for `cas`).
    pub(crate) mode: StoreMode,
    /// Expiry and client flags (unused by `append` and `prepend`, which keep the item's).
    pub(crate) opts: StoreOptions,
    /// The token the item must still have (`cas`).
    pub(crate) cas: Option<Cas>,
}

impl Op for Store<'_, '_> {
    type Output = StoreOutcome;

    fn name(&self) -> &'static str {
        if self.cas.is_some() {
            return "cas";
        }
        match self.mode {
            StoreMode::Set => "set",
            StoreMode::Add => "add",
            StoreMode::Replace => "replace",
            StoreMode::Append => "append",
            StoreMode::Prepend => "prepend",
        }
    }

    fn check(&self, config: &Config) -> Result<(), Error> {
        check_value(config, self.raw_key, self.value)
    }

    fn encode(&self, protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let (wire, opts, value) = (&self.key, self.opts, self.value);
        if protocol == Protocol::Meta {
            let mut flags = Flags::new(wire);
            match self.mode {
                StoreMode::Set => flags.push(MetaFlag::ClientFlags(opts.flags)).push(MetaFlag::Ttl(opts.ttl)),
                StoreMode::Add => flags
                    .push(MetaFlag::ClientFlags(opts.flags))
                    .push(MetaFlag::Ttl(opts.ttl))
                    .push(MetaFlag::Mode(MetaMode::Add)),
                StoreMode::Replace => flags
                    .push(MetaFlag::ClientFlags(opts.flags))
                    .push(MetaFlag::Ttl(opts.ttl))
                    .push(MetaFlag::Mode(MetaMode::Replace)),
                StoreMode::Append => flags.push(MetaFlag::Mode(MetaMode::Append)),
                StoreMode::Prepend => flags.push(MetaFlag::Mode(MetaMode::Prepend)),
            };
            if let Some(Cas(token)) = self.cas {
                flags.push(MetaFlag::CompareCas(token));
            }
            let request = Request::MetaSet { key: &wire.wire, flags: flags.as_slice().into(), data: value };
            return encode_request(&request, buf, tokens);
        }
        let (flags, exptime, noreply) = (opts.flags, opts.ttl, false);
        let request = match self.cas {
            Some(Cas(cas)) => Request::Cas { key: &wire.wire, flags, exptime, data: value, cas, noreply },
            None => Request::Store { mode: self.mode, key: &wire.wire, flags, exptime, data: value, noreply },
        };
        encode_request(&request, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<StoreOutcome, Response> {
        match response {
            Response::Meta(reply) => match reply.code {
                MetaCode::Success => Ok(StoreOutcome::Stored),
                MetaCode::NotStored => Ok(StoreOutcome::NotStored),
                MetaCode::Exists => Ok(StoreOutcome::Exists),
                MetaCode::NotFound => Ok(StoreOutcome::NotFound),
                _ => Err(Response::Meta(reply)),
            },
            Response::Stored => Ok(StoreOutcome::Stored),
            Response::NotStored => Ok(StoreOutcome::NotStored),
            Response::Exists => Ok(StoreOutcome::Exists),
            Response::NotFound => Ok(StoreOutcome::NotFound),
            other => Err(other),
        }
    }
}

impl Keyed for Store<'_, '_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

/// [`Error::ValueTooLarge`] if `value` is over the configured limit (`key` as the caller gave it).
pub(super) fn check_value(config: &Config, key: &[u8], value: &[u8]) -> Result<(), Error> {
    let limit = config.max_value_size;
    if value.len() > limit {
        return Err(Error::ValueTooLarge { key: Bytes::copy_from_slice(key), size: value.len(), limit });
    }
    Ok(())
}

impl Client {
    /// The store op for `key`, checked for the protocol in use.
    fn store_op<'k, 'v, K: AsKey + ?Sized>(
        &self,
        key: &'k K,
        value: &'v [u8],
        mode: StoreMode,
        opts: StoreOptions,
        cas: Option<Cas>,
    ) -> Result<Store<'k, 'v>, Error> {
        Ok(Store { key: self.wire_key(key)?, raw_key: key.key_bytes(), value, mode, opts, cas })
    }

    /// Stores `value` under `key` unconditionally.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] or [`Error::ValueTooLarge`] before anything is sent; connection, timeout and server
    /// errors as they happen.
    ///
    /// ```no_run
    /// # async fn demo(client: memcache_client::Client) -> Result<(), memcache_client::Error> {
    /// use memcache_client::StoreOptions;
    /// let outcome = client.set("greeting", "hello", StoreOptions::default().ttl(60)).await?;
    /// assert!(outcome.is_stored());
    /// # Ok(()) }
    /// ```
    pub async fn set<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: impl AsRef<[u8]>,
        opts: StoreOptions,
    ) -> Result<StoreOutcome, Error> {
        self.execute(self.store_op(key, value.as_ref(), StoreMode::Set, opts, None)?).await
    }

    /// Stores only if `key` is absent; [`StoreOutcome::NotStored`] if it exists.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn add<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: impl AsRef<[u8]>,
        opts: StoreOptions,
    ) -> Result<StoreOutcome, Error> {
        self.execute(self.store_op(key, value.as_ref(), StoreMode::Add, opts, None)?).await
    }

    /// Stores only if `key` exists; [`StoreOutcome::NotStored`] if it is absent.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn replace<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: impl AsRef<[u8]>,
        opts: StoreOptions,
    ) -> Result<StoreOutcome, Error> {
        self.execute(self.store_op(key, value.as_ref(), StoreMode::Replace, opts, None)?).await
    }

    /// Adds `value` after the existing value; [`StoreOutcome::NotStored`] if `key` is absent.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn append<K: AsKey + ?Sized>(&self, key: &K, value: impl AsRef<[u8]>) -> Result<StoreOutcome, Error> {
        self.execute(self.store_op(key, value.as_ref(), StoreMode::Append, StoreOptions::default(), None)?).await
    }

    /// Adds `value` before the existing value; [`StoreOutcome::NotStored`] if `key` is absent.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn prepend<K: AsKey + ?Sized>(&self, key: &K, value: impl AsRef<[u8]>) -> Result<StoreOutcome, Error> {
        self.execute(self.store_op(key, value.as_ref(), StoreMode::Prepend, StoreOptions::default(), None)?).await
    }

    /// Stores only if the item still has the CAS token `cas` (read by [`Client::gets`]):
    /// [`StoreOutcome::Exists`] if it changed since, [`StoreOutcome::NotFound`] if it is gone.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn cas<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: impl AsRef<[u8]>,
        cas: Cas,
        opts: StoreOptions,
    ) -> Result<StoreOutcome, Error> {
        self.execute(self.store_op(key, value.as_ref(), StoreMode::Set, opts, Some(cas))?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{encode, key, meta, tags};
    use crate::proto::ReplyKind;

    const OPTS: StoreOptions = StoreOptions { ttl: 60, flags: 3 };

    fn store(protocol: Protocol, mode: StoreMode, cas: Option<Cas>) -> Store<'static, 'static> {
        Store { key: key("k", protocol), raw_key: b"k", value: b"hello", mode, opts: OPTS, cas }
    }

    #[test]
    fn meta_is_one_tagged_ms_with_the_mode_as_a_flag() {
        let cases: [(StoreMode, Option<Cas>, &[u8]); 6] = [
            (StoreMode::Set, None, b"ms k 5 F3 T60 O7\r\nhello\r\n"),
            (StoreMode::Add, None, b"ms k 5 F3 T60 ME O7\r\nhello\r\n"),
            (StoreMode::Replace, None, b"ms k 5 F3 T60 MR O7\r\nhello\r\n"),
            (StoreMode::Append, None, b"ms k 5 MA O7\r\nhello\r\n"),
            (StoreMode::Prepend, None, b"ms k 5 MP O7\r\nhello\r\n"),
            (StoreMode::Set, Some(Cas(42)), b"ms k 5 F3 T60 C42 O7\r\nhello\r\n"),
        ];
        for (mode, cas, expected) in cases {
            let (bytes, framing) = encode(&store(Protocol::Meta, mode, cas), Protocol::Meta);
            assert_eq!(bytes, expected, "{mode:?} {cas:?}");
            assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Meta, Some((7, 1)), None));
        }
    }

    #[test]
    fn text_is_the_classic_storage_command() {
        let cases: [(StoreMode, Option<Cas>, &[u8]); 6] = [
            (StoreMode::Set, None, b"set k 3 60 5\r\nhello\r\n"),
            (StoreMode::Add, None, b"add k 3 60 5\r\nhello\r\n"),
            (StoreMode::Replace, None, b"replace k 3 60 5\r\nhello\r\n"),
            (StoreMode::Append, None, b"append k 3 60 5\r\nhello\r\n"),
            (StoreMode::Prepend, None, b"prepend k 3 60 5\r\nhello\r\n"),
            (StoreMode::Set, Some(Cas(42)), b"cas k 3 60 5 42\r\nhello\r\n"),
        ];
        for (mode, cas, expected) in cases {
            let (bytes, framing) = encode(&store(Protocol::Text, mode, cas), Protocol::Text);
            assert_eq!(bytes, expected, "{mode:?} {cas:?}");
            assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Storage, None, None));
        }
    }

    #[test]
    fn names_follow_the_text_command() {
        assert_eq!(store(Protocol::Meta, StoreMode::Prepend, None).name(), "prepend");
        assert_eq!(store(Protocol::Meta, StoreMode::Set, Some(Cas(1))).name(), "cas");
    }

    #[test]
    fn a_value_over_the_limit_is_refused() {
        let config = Config { max_value_size: 4, ..Config::default() };
        let error = store(Protocol::Meta, StoreMode::Set, None).check(&config).unwrap_err();
        assert!(matches!(error, Error::ValueTooLarge { size: 5, limit: 4, .. }), "{error:?}");
        assert!(store(Protocol::Meta, StoreMode::Set, None).check(&Config::default()).is_ok());
    }

    #[test]
    fn each_outcome_maps_for_both_protocols() {
        let op = || store(Protocol::Meta, StoreMode::Set, None);
        let meta_cases = [
            (MetaCode::Success, StoreOutcome::Stored),
            (MetaCode::NotStored, StoreOutcome::NotStored),
            (MetaCode::Exists, StoreOutcome::Exists),
            (MetaCode::NotFound, StoreOutcome::NotFound),
        ];
        for (code, outcome) in meta_cases {
            assert_eq!(op().reply(Response::Meta(meta(code, None))), Ok(outcome));
        }
        let text_cases = [
            (Response::Stored, StoreOutcome::Stored),
            (Response::NotStored, StoreOutcome::NotStored),
            (Response::Exists, StoreOutcome::Exists),
            (Response::NotFound, StoreOutcome::NotFound),
        ];
        for (response, outcome) in text_cases {
            assert_eq!(op().reply(response), Ok(outcome));
        }
    }

    #[test]
    fn anything_else_is_unexpected() {
        let miss = Response::Meta(meta(MetaCode::Miss, None));
        assert_eq!(store(Protocol::Meta, StoreMode::Set, None).reply(miss.clone()), Err(miss));
        assert_eq!(store(Protocol::Text, StoreMode::Set, None).reply(Response::Deleted), Err(Response::Deleted));
    }
}
