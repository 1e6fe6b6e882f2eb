//! Item commands: get, set and friends, over the meta protocol (or the text protocol when configured).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
pub use cache_schema::StoreOutcome;
use futures_util::future::join_all;

use crate::Error;
use crate::client::Client;
use crate::config::{Protocol, ServerAddr};
use crate::connection::{Fence, Tags};
use crate::key::{AsKey, WireKey};
use crate::multi::MultiGet;
use crate::proto::{MetaCode, MetaFlag, MetaMode, MetaResponse, ReplyKind, Request, Response, StoreMode, Value};
use crate::server::Server;

/// A CAS ("compare and swap") token: the item's version as `gets` read it. Pass it to [`Client::cas`] to store only
/// if nobody changed the item since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cas(pub u64);

/// An item read from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub value: Bytes,
    /// The 32-bit client flags stored with it.
    pub flags: u32,
    /// Its CAS token, when asked for (`gets`, `gats`).
    pub cas: Option<Cas>,
}

/// Expiry and client flags for a store. `StoreOptions::default()` never expires and has flags 0.
///
/// ```
/// use memcache_client::StoreOptions;
/// let opts = StoreOptions::default().ttl(300).flags(1);
/// assert_eq!((opts.ttl, opts.flags), (300, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StoreOptions {
    /// Expiry: 0 never; up to 30 days (2,592,000) seconds from now; above that a Unix timestamp.
    pub ttl: u32,
    /// 32-bit client flags stored with the value and returned with it.
    pub flags: u32,
}

impl StoreOptions {
    /// These options with expiry `ttl` (seconds, or a Unix timestamp past 30 days).
    pub const fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl;
        self
    }

    /// These options with client flags `flags`.
    pub const fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }
}

/// A handful of meta flags on the stack, so building a request allocates nothing.
struct Flags {
    buf: [MetaFlag; 8],
    len: usize,
}

impl Flags {
    fn new(key: &WireKey<'_>) -> Self {
        let mut flags = Self { buf: [MetaFlag::Quiet; 8], len: 0 };
        if key.binary {
            flags.push(MetaFlag::Base64Key);
        }
        flags
    }

    fn push(&mut self, flag: MetaFlag) -> &mut Self {
        self.buf[self.len] = flag;
        self.len += 1;
        self
    }

    fn as_slice(&self) -> &[MetaFlag] {
        &self.buf[..self.len]
    }
}

fn item_from_meta(reply: MetaResponse) -> Item {
    Item {
        value: reply.value.unwrap_or_default(),
        flags: reply.flags.client_flags.unwrap_or(0),
        cas: reply.flags.cas.map(Cas),
    }
}

fn item_from_value(value: Value) -> Item {
    Item { value: value.data, flags: value.flags, cas: value.cas.map(Cas) }
}

impl Client {
    fn meta(&self) -> bool {
        self.inner.config.protocol == Protocol::Meta
    }

    /// Validates the key and picks its server.
    fn prepare<'k, K: AsKey + ?Sized>(&self, key: &'k K) -> Result<(WireKey<'k>, Arc<Server>), Error> {
        let wire = WireKey::new(key, self.meta())?;
        let server = self.route(&wire.wire);
        Ok((wire, server))
    }

    fn check_value(&self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        let limit = self.inner.config.max_value_size;
        if value.len() > limit {
            return Err(Error::ValueTooLarge { key: Bytes::copy_from_slice(key), size: value.len(), limit });
        }
        Ok(())
    }

    /// Reads an item. `Ok(None)` is a miss.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] before anything is sent; connection, timeout and server errors as they happen.
    ///
    /// ```no_run
    /// # async fn demo(client: memcache_client::Client) -> Result<(), memcache_client::Error> {
    /// if let Some(item) = client.get("greeting").await? {
    ///     println!("{:?} (flags {})", item.value, item.flags);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get<K: AsKey + ?Sized>(&self, key: &K) -> Result<Option<Item>, Error> {
        self.read_one(key, false, None, "get").await
    }

    /// Reads an item with its CAS token, for a later [`Client::cas`].
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn gets<K: AsKey + ?Sized>(&self, key: &K) -> Result<Option<Item>, Error> {
        self.read_one(key, true, None, "gets").await
    }

    /// Reads an item and sets its expiry to `ttl` ("get and touch").
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn gat<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<Option<Item>, Error> {
        self.read_one(key, false, Some(ttl), "gat").await
    }

    /// Reads an item with its CAS token and sets its expiry to `ttl`.
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn gats<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<Option<Item>, Error> {
        self.read_one(key, true, Some(ttl), "gats").await
    }

    async fn read_one<K: AsKey + ?Sized>(
        &self,
        key: &K,
        cas: bool,
        touch: Option<u32>,
        command: &'static str,
    ) -> Result<Option<Item>, Error> {
        let (wire, server) = self.prepare(key)?;
        if self.meta() {
            let mut flags = Flags::new(&wire);
            flags.push(MetaFlag::ReturnValue).push(MetaFlag::ReturnClientFlags);
            if cas {
                flags.push(MetaFlag::ReturnCas);
            }
            if let Some(ttl) = touch {
                flags.push(MetaFlag::Ttl(ttl));
            }
            let request = Request::MetaGet { key: &wire.wire, flags: flags.as_slice().into() };
            return match self.call(&server, &request, command).await? {
                Response::Meta(reply) if reply.code == MetaCode::Value => Ok(Some(item_from_meta(reply))),
                Response::Meta(MetaResponse { code: MetaCode::Miss, .. }) => Ok(None),
                other => Err(self.unexpected(&server, command, &other)),
            };
        }
        let keys: &[&[u8]] = &[&wire.wire];
        let request = match (cas, touch) {
            (false, None) => Request::Get { keys: keys.into() },
            (true, None) => Request::Gets { keys: keys.into() },
            (false, Some(exptime)) => Request::Gat { exptime, keys: keys.into() },
            (true, Some(exptime)) => Request::Gats { exptime, keys: keys.into() },
        };
        // A text retrieval names no request in its reply: fenced like a multi-get (see `encode_multi_get`).
        let mut buf = BytesMut::with_capacity(request.size_hint() + 16);
        request.encode(&mut buf);
        let fence = self.encode_fence(&mut buf, &wire.wire);
        let response = self.call_raw(&server, buf.freeze(), ReplyKind::Retrieval, None, Some(fence), command).await?;
        match response {
            Response::Values(values) if values.len() <= 1 => match values.into_iter().next() {
                Some(value) if value.key[..] == wire.wire[..] => Ok(Some(item_from_value(value))),
                Some(value) => Err(self.unexpected(&server, command, &Response::Values(vec![value]))),
                None => Ok(None),
            },
            other => Err(self.unexpected(&server, command, &other)),
        }
    }

    /// Reads many items at once: the keys are split by server, each server gets one batch, and the servers are
    /// queried concurrently. A server that fails gives an error for each of its keys (in
    /// [`MultiGet::errors`]) while the other servers' hits still come back: the call as a whole fails only on
    /// invalid input. A reply that answers another request (a value for a key the batch did not ask for, a meta
    /// reply without its command's token, a fence answered out of place) is such a failure: [`Error::Protocol`]
    /// for each of that server's keys, never a hit and never a miss, and the connection is replaced.
    ///
    /// Each server's batch is framed so that a lost, repeated or injected reply is noticed at once: plain keys go as
    /// one classic `get` followed by a fence (`mg <key> O<token>`, whose tokened reply must come right after the
    /// `END`), binary keys as one `mg` per key, each answered with its own token, closed by `mn`. With
    /// [`Protocol::Text`] the fence is `version`, which carries no token: a reply lost or injected inside a
    /// batch's reply is caught, and so is any value for a key the batch did not ask for; but the loss of exactly
    /// whole batch-and-fence replies ahead of an all-miss reply cannot be told from misses by the text protocol.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for the first bad key, before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: memcache_client::Client) -> Result<(), memcache_client::Error> {
    /// let result = client.get_many(["a", "b", "c"]).await?;
    /// if let Some(item) = result.get(b"b") {
    ///     println!("b = {:?}", item.value);
    /// }
    /// for (key, error) in result.errors() {
    ///     eprintln!("{key:?} unavailable: {error}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_many<I>(&self, keys: I) -> impl Future<Output = Result<MultiGet, Error>> + Send
    where
        I: IntoIterator,
        I::Item: AsKey + Send + Sync,
    {
        // Collect before the future starts, so the future holds a plain Vec (and stays Send) whatever the iterator.
        let keys: Vec<I::Item> = keys.into_iter().collect();
        self.get_many_collected(keys)
    }

    async fn get_many_collected<K: AsKey + Send + Sync>(&self, keys: Vec<K>) -> Result<MultiGet, Error> {
        let mut wires = Vec::with_capacity(keys.len());
        for key in &keys {
            wires.push(WireKey::new(key, self.meta())?);
        }
        // One snapshot of the topology for the whole batch, so every key is grouped by the same map.
        let topology = self.topology();
        let mut by_server: Vec<Vec<usize>> = vec![Vec::new(); topology.servers.len()];
        for (index, wire) in wires.iter().enumerate() {
            by_server[topology.route(&wire.wire)].push(index);
        }
        let mut batches = Vec::new();
        let mut calls = Vec::new();
        for (server, indices) in by_server.into_iter().enumerate() {
            if indices.is_empty() {
                continue;
            }
            let (bytes, kind, tags, fence) = self.encode_multi_get(&indices, &wires);
            let server = &topology.servers[server];
            calls.push(self.call_raw(server, bytes, kind, tags, fence, "get_many"));
            batches.push((server, indices, tags));
        }
        drop(wires);
        let results = join_all(calls).await;
        let mut out = MultiGet { hits: HashMap::with_capacity(keys.len()), errors: HashMap::new() };
        for ((server, indices, tags), result) in batches.into_iter().zip(results) {
            let mut failure = None;
            match result {
                Ok(Response::MetaBatch(replies)) => {
                    for reply in replies {
                        let reply = match reply {
                            Ok(reply) => reply,
                            Err(e) => {
                                failure = Some(crate::client::error_reply(e, &server.name));
                                continue;
                            }
                        };
                        // The connection has checked that each reply carries its own command's token.
                        let index = tags.zip(reply.flags.opaque).map(|(tags, o)| o.wrapping_sub(tags.first) as usize);
                        match index {
                            Some(i) if reply.code == MetaCode::Value && i < indices.len() => {
                                let key = keys[indices[i]].key_bytes();
                                out.hits.insert(Bytes::copy_from_slice(key), item_from_meta(reply));
                            }
                            Some(i) if reply.code == MetaCode::Miss && i < indices.len() => {}
                            _ => failure = Some(self.unexpected(server, "get_many", &Response::Meta(reply))),
                        }
                    }
                }
                Ok(Response::Values(values)) => {
                    // The connection has checked every echoed key against the request (text keys are sent as
                    // given) and the fence behind it, so these are this batch's hits.
                    for value in values {
                        out.hits.insert(value.key.clone(), item_from_value(value));
                    }
                }
                Ok(other) => failure = Some(self.unexpected(server, "get_many", &other)),
                Err(error) => failure = Some(error),
            }
            // A reply that cannot be matched to its key spoils the server's whole batch: every key of it without a
            // hit gets the error.
            if let Some(error) = failure {
                for index in indices {
                    let key = keys[index].key_bytes();
                    if !out.hits.contains_key(key) {
                        out.errors.insert(Bytes::copy_from_slice(key), error.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    fn encode_multi_get(
        &self,
        indices: &[usize],
        wires: &[WireKey<'_>],
    ) -> (Bytes, ReplyKind, Option<Tags>, Option<Fence>) {
        let mut buf = BytesMut::with_capacity(indices.len() * 48 + 32);
        // One `get k1 k2 ...` is answered as one batch and beats a run of `mg`s (see BENCHMARKS.md), so the meta
        // run is kept for what only it can carry: binary keys. Its reply names no request, so a fence follows it.
        if !self.meta() || indices.iter().all(|&i| !wires[i].binary) {
            let keys: Vec<&[u8]> = indices.iter().map(|&i| &wires[i].wire[..]).collect();
            Request::Get { keys: keys.into() }.encode(&mut buf);
            let fence = self.encode_fence(&mut buf, &wires[indices[0]].wire);
            return (buf.freeze(), ReplyKind::Retrieval, None, Some(fence));
        }
        // Each `mg` carries its own token, `first + position in the batch`, and is not quiet: every key is answered,
        // in order, so the connection can check that no reply is missing, repeated or foreign (a quiet run would
        // hide a lost hit as a miss). Replies match keys whatever the echo (base64, repeats).
        let count = u32::try_from(indices.len()).unwrap_or(u32::MAX);
        let tags = Tags { first: self.next_tags(count), count };
        for (position, &index) in (0u32..).zip(indices) {
            let wire = &wires[index];
            let mut flags = Flags::new(wire);
            flags
                .push(MetaFlag::ReturnValue)
                .push(MetaFlag::ReturnClientFlags)
                .push(MetaFlag::Opaque(tags.first.wrapping_add(position)));
            Request::MetaGet { key: &wire.wire, flags: flags.as_slice().into() }.encode(&mut buf);
        }
        Request::MetaNoOp.encode(&mut buf);
        (buf.freeze(), ReplyKind::MetaBatch, Some(tags), None)
    }

    /// Appends the fence that closes a classic retrieval of `key` (a text key, as sent): `mg <key> O<token>` with a
    /// fresh token, or `version` with the text protocol. The key is one the retrieval asked for, so a proxy routes
    /// the fence to the same server.
    fn encode_fence(&self, buf: &mut BytesMut, key: &[u8]) -> Fence {
        if !self.meta() {
            Request::Version.encode(buf);
            return Fence::Version;
        }
        let token = self.next_tags(1);
        Request::MetaGet { key, flags: [MetaFlag::Opaque(token)][..].into() }.encode(buf);
        Fence::Token(token)
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
        self.store(key, value.as_ref(), StoreMode::Set, opts, None).await
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
        self.store(key, value.as_ref(), StoreMode::Add, opts, None).await
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
        self.store(key, value.as_ref(), StoreMode::Replace, opts, None).await
    }

    /// Adds `value` after the existing value; [`StoreOutcome::NotStored`] if `key` is absent.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn append<K: AsKey + ?Sized>(&self, key: &K, value: impl AsRef<[u8]>) -> Result<StoreOutcome, Error> {
        self.store(key, value.as_ref(), StoreMode::Append, StoreOptions::default(), None).await
    }

    /// Adds `value` before the existing value; [`StoreOutcome::NotStored`] if `key` is absent.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub async fn prepend<K: AsKey + ?Sized>(&self, key: &K, value: impl AsRef<[u8]>) -> Result<StoreOutcome, Error> {
        self.store(key, value.as_ref(), StoreMode::Prepend, StoreOptions::default(), None).await
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
        self.store(key, value.as_ref(), StoreMode::Set, opts, Some(cas)).await
    }

    async fn store<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: &[u8],
        mode: StoreMode,
        opts: StoreOptions,
        cas: Option<Cas>,
    ) -> Result<StoreOutcome, Error> {
        let command = if cas.is_some() { "cas" } else { std::str::from_utf8(mode.command()).unwrap_or("store") };
        let (wire, server) = self.prepare(key)?;
        self.check_value(key.key_bytes(), value)?;
        if self.meta() {
            let mut flags = Flags::new(&wire);
            match mode {
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
            if let Some(Cas(token)) = cas {
                flags.push(MetaFlag::CompareCas(token));
            }
            let request = Request::MetaSet { key: &wire.wire, flags: flags.as_slice().into(), data: value };
            return match self.call(&server, &request, command).await? {
                Response::Meta(reply) => match reply.code {
                    MetaCode::Success => Ok(StoreOutcome::Stored),
                    MetaCode::NotStored => Ok(StoreOutcome::NotStored),
                    MetaCode::Exists => Ok(StoreOutcome::Exists),
                    MetaCode::NotFound => Ok(StoreOutcome::NotFound),
                    _ => Err(self.unexpected(&server, command, &Response::Meta(reply))),
                },
                other => Err(self.unexpected(&server, command, &other)),
            };
        }
        let (flags, exptime, noreply) = (opts.flags, opts.ttl, false);
        let request = match cas {
            Some(Cas(cas)) => Request::Cas { key: &wire.wire, flags, exptime, data: value, cas, noreply },
            None => Request::Store { mode, key: &wire.wire, flags, exptime, data: value, noreply },
        };
        match self.call(&server, &request, command).await? {
            Response::Stored => Ok(StoreOutcome::Stored),
            Response::NotStored => Ok(StoreOutcome::NotStored),
            Response::Exists => Ok(StoreOutcome::Exists),
            Response::NotFound => Ok(StoreOutcome::NotFound),
            other => Err(self.unexpected(&server, command, &other)),
        }
    }

    /// Deletes `key`. `Ok(true)` if it existed, `Ok(false)` if not.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] before anything is sent; connection, timeout and server errors as they happen.
    pub async fn delete<K: AsKey + ?Sized>(&self, key: &K) -> Result<bool, Error> {
        let (wire, server) = self.prepare(key)?;
        if self.meta() {
            let flags = Flags::new(&wire);
            let request = Request::MetaDelete { key: &wire.wire, flags: flags.as_slice().into() };
            return match self.call(&server, &request, "delete").await? {
                Response::Meta(MetaResponse { code: MetaCode::Success, .. }) => Ok(true),
                Response::Meta(MetaResponse { code: MetaCode::NotFound, .. }) => Ok(false),
                other => Err(self.unexpected(&server, "delete", &other)),
            };
        }
        match self.call(&server, &Request::Delete { key: &wire.wire, noreply: false }, "delete").await? {
            Response::Deleted => Ok(true),
            Response::NotFound => Ok(false),
            other => Err(self.unexpected(&server, "delete", &other)),
        }
    }

    /// Adds `delta` to the decimal number stored under `key` (wrapping at 2^64) and returns the new value;
    /// `Ok(None)` if `key` is absent.
    ///
    /// # Errors
    /// [`Error::ClientError`] if the stored value is not a decimal number; otherwise as [`Client::delete`].
    pub async fn incr<K: AsKey + ?Sized>(&self, key: &K, delta: u64) -> Result<Option<u64>, Error> {
        self.arithmetic(key, delta, true).await
    }

    /// Subtracts `delta` from the decimal number stored under `key` (flooring at 0) and returns the new value;
    /// `Ok(None)` if `key` is absent.
    ///
    /// # Errors
    /// As [`Client::incr`].
    pub async fn decr<K: AsKey + ?Sized>(&self, key: &K, delta: u64) -> Result<Option<u64>, Error> {
        self.arithmetic(key, delta, false).await
    }

    async fn arithmetic<K: AsKey + ?Sized>(&self, key: &K, delta: u64, incr: bool) -> Result<Option<u64>, Error> {
        let command = if incr { "incr" } else { "decr" };
        let (wire, server) = self.prepare(key)?;
        if self.meta() {
            let mut flags = Flags::new(&wire);
            let mode = if incr { MetaMode::Increment } else { MetaMode::Decrement };
            flags.push(MetaFlag::ReturnValue).push(MetaFlag::Delta(delta)).push(MetaFlag::Mode(mode));
            let request = Request::MetaArithmetic { key: &wire.wire, flags: flags.as_slice().into() };
            return match self.call(&server, &request, command).await? {
                Response::Meta(reply) if reply.code == MetaCode::Value => {
                    let digits = reply.value.as_deref().unwrap_or_default();
                    match crate::proto::parse_num::<u64>(digits) {
                        Some(n) => Ok(Some(n)),
                        None => Err(self.unexpected(&server, command, &Response::Meta(reply))),
                    }
                }
                Response::Meta(MetaResponse { code: MetaCode::NotFound, .. }) => Ok(None),
                other => Err(self.unexpected(&server, command, &other)),
            };
        }
        let (key, noreply) = (&wire.wire[..], false);
        let request = if incr { Request::Incr { key, delta, noreply } } else { Request::Decr { key, delta, noreply } };
        match self.call(&server, &request, command).await? {
            Response::Number(n) => Ok(Some(n)),
            Response::NotFound => Ok(None),
            other => Err(self.unexpected(&server, command, &other)),
        }
    }

    /// Sets the expiry of `key` to `ttl` without reading it. `Ok(true)` if it exists, `Ok(false)` if not.
    ///
    /// # Errors
    /// As [`Client::delete`].
    pub async fn touch<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<bool, Error> {
        let (wire, server) = self.prepare(key)?;
        if self.meta() {
            let mut flags = Flags::new(&wire);
            flags.push(MetaFlag::Ttl(ttl));
            let request = Request::MetaGet { key: &wire.wire, flags: flags.as_slice().into() };
            return match self.call(&server, &request, "touch").await? {
                Response::Meta(MetaResponse { code: MetaCode::Success, .. }) => Ok(true),
                Response::Meta(MetaResponse { code: MetaCode::Miss, .. }) => Ok(false),
                other => Err(self.unexpected(&server, "touch", &other)),
            };
        }
        match self.call(&server, &Request::Touch { key: &wire.wire, exptime: ttl, noreply: false }, "touch").await? {
            Response::Touched => Ok(true),
            Response::NotFound => Ok(false),
            other => Err(self.unexpected(&server, "touch", &other)),
        }
    }

    /// Sends `request` to every server concurrently; results in server order.
    async fn broadcast(
        &self,
        request: Request<'_>,
        command: &'static str,
    ) -> Result<Vec<(Arc<Server>, Response)>, Error> {
        let topology = self.topology();
        let calls: Vec<_> = topology.servers.iter().map(|server| self.call(server, &request, command)).collect();
        join_all(calls)
            .await
            .into_iter()
            .zip(&topology.servers)
            .map(|(result, server)| result.map(|response| (server.clone(), response)))
            .collect()
    }

    /// Invalidates every item on every server, now (`None`) or after `delay` seconds.
    ///
    /// # Errors
    /// The first server's failure.
    pub async fn flush_all(&self, delay: Option<u32>) -> Result<(), Error> {
        for (server, response) in self.broadcast(Request::FlushAll { delay, noreply: false }, "flush_all").await? {
            if response != Response::Ok {
                return Err(self.unexpected(&server, "flush_all", &response));
            }
        }
        Ok(())
    }

    /// Each server's version string, in server order.
    ///
    /// # Errors
    /// The first server's failure.
    pub async fn version(&self) -> Result<Vec<(ServerAddr, String)>, Error> {
        self.broadcast(Request::Version, "version")
            .await?
            .into_iter()
            .map(|(server, response)| match response {
                Response::Version(v) => Ok((server.addr.clone(), String::from_utf8_lossy(&v).into_owned())),
                other => Err(self.unexpected(&server, "version", &other)),
            })
            .collect()
    }

    /// Each server's statistics (`stats`, or `stats <arg>` such as `items`, `slabs`, `settings`), in server order.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `arg` is empty or holds whitespace or control characters; otherwise the first
    /// server's failure (an unknown argument is a server error reply).
    pub async fn stats(&self, arg: Option<&str>) -> Result<Vec<(ServerAddr, BTreeMap<String, String>)>, Error> {
        if let Some(arg) = arg
            && crate::key::check_text_key(arg.as_bytes()).is_err()
        {
            return Err(Error::InvalidArgument("stats argument must be one word of printable characters"));
        }
        self.broadcast(Request::Stats { arg: arg.map(str::as_bytes) }, "stats")
            .await?
            .into_iter()
            .map(|(server, response)| match response {
                Response::Stats(pairs) => {
                    let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
                    Ok((server.addr.clone(), pairs.iter().map(|(k, v)| (text(k), text(v))).collect()))
                }
                other => Err(self.unexpected(&server, "stats", &other)),
            })
            .collect()
    }

    /// Sets every server's logging verbosity.
    ///
    /// # Errors
    /// The first server's failure.
    pub async fn verbosity(&self, level: u32) -> Result<(), Error> {
        for (server, response) in self.broadcast(Request::Verbosity { level, noreply: false }, "verbosity").await? {
            if response != Response::Ok {
                return Err(self.unexpected(&server, "verbosity", &response));
            }
        }
        Ok(())
    }

    /// `mg <key> v f c t` plus `extra` flags; the raw meta reply (meta protocol only).
    pub(crate) async fn meta_get_with<K: AsKey + ?Sized>(
        &self,
        key: &K,
        extra: &[MetaFlag],
    ) -> Result<MetaResponse, Error> {
        let (wire, server) = self.prepare(key)?;
        let mut flags = Flags::new(&wire).as_slice().to_vec();
        flags.extend([MetaFlag::ReturnValue, MetaFlag::ReturnClientFlags, MetaFlag::ReturnCas, MetaFlag::ReturnTtl]);
        flags.extend_from_slice(extra);
        match self.call(&server, &Request::MetaGet { key: &wire.wire, flags: flags.into() }, "mg").await? {
            Response::Meta(reply) => Ok(reply),
            other => Err(self.unexpected(&server, "mg", &other)),
        }
    }

    /// `ms <key>` with `flags`; the reply code (meta protocol only).
    pub(crate) async fn meta_set_with<K: AsKey + ?Sized>(
        &self,
        key: &K,
        value: &[u8],
        extra: &[MetaFlag],
    ) -> Result<MetaCode, Error> {
        let (wire, server) = self.prepare(key)?;
        self.check_value(key.key_bytes(), value)?;
        let mut flags = Flags::new(&wire).as_slice().to_vec();
        flags.extend_from_slice(extra);
        match self.call(&server, &Request::MetaSet { key: &wire.wire, flags: flags.into(), data: value }, "ms").await? {
            Response::Meta(reply) => Ok(reply.code),
            other => Err(self.unexpected(&server, "ms", &other)),
        }
    }

    /// `md <key>` with `flags`; the reply code (meta protocol only).
    pub(crate) async fn meta_delete_with<K: AsKey + ?Sized>(
        &self,
        key: &K,
        extra: &[MetaFlag],
    ) -> Result<MetaCode, Error> {
        let (wire, server) = self.prepare(key)?;
        let mut flags = Flags::new(&wire).as_slice().to_vec();
        flags.extend_from_slice(extra);
        match self.call(&server, &Request::MetaDelete { key: &wire.wire, flags: flags.into() }, "md").await? {
            Response::Meta(reply) => Ok(reply.code),
            other => Err(self.unexpected(&server, "md", &other)),
        }
    }

    /// Deletes `key` only if its CAS token is still `cas`; `Ok(false)` if it changed or is gone. With the text
    /// protocol, which has no conditional delete, nothing is deleted.
    pub(crate) async fn delete_if_unchanged<K: AsKey + ?Sized>(&self, key: &K, Cas(cas): Cas) -> Result<bool, Error> {
        if !self.meta() {
            return Ok(false);
        }
        Ok(self.meta_delete_with(key, &[MetaFlag::CompareCas(cas)]).await? == MetaCode::Success)
    }
}
