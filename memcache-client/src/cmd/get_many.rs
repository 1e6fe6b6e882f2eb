//! `get_many`: many items at once, fanned out by server. Not one [`Op`](super::Op) but one [`Batch`] per server,
//! all encoded before any is sent and all folded into one [`MultiGet`], so the hits need no buffer of their own.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use futures_util::future::join_all;

use super::get::{item_from_meta, item_from_value};
use super::{Flags, Framing, Tokens, encode_fence};
use crate::Error;
use crate::client::{Client, error_reply};
use crate::config::Protocol;
use crate::connection::Tags;
use crate::item::Item;
use crate::key::{AsKey, WireKey};
use crate::multi::MultiGet;
use crate::proto::{ErrorReply, MetaCode, MetaFlag, ReplyKind, Request, Response};

/// One server's share of a multi-get: the positions of its keys among the caller's, and the tokens its `mg`s carry.
struct Batch {
    /// Where this server's keys are among the caller's, in the order sent.
    indices: Vec<usize>,
    /// The tokens of the `mg` run, `first + position`; `None` for a classic `get`.
    tags: Option<Tags>,
}

/// Why a batch's reply cannot be trusted; the last one seen is the one reported.
#[derive(Debug, PartialEq)]
enum Failure {
    /// An error reply in place of one `mg`'s.
    Error(ErrorReply),
    /// A reply that answers another request.
    Unexpected(Response),
}

impl Batch {
    /// The batch for the keys at `indices` of `wires`: its bytes, and how its reply is read.
    ///
    /// Plain keys go as one classic `get` closed by a fence; binary keys (meta only) as one `mg` per key closed by
    /// `mn`.
    fn encode(
        protocol: Protocol,
        indices: Vec<usize>,
        wires: &[WireKey<'_>],
        tokens: &impl Tokens,
    ) -> (Self, Bytes, Framing) {
        let mut buf = BytesMut::with_capacity(indices.len() * 48 + 32);
        // One `get k1 k2 ...` is answered as one batch and beats a run of `mg`s (see BENCHMARKS.md), so the meta
        // run is kept for what only it can carry: binary keys. Its reply names no request, so a fence follows it.
        if protocol != Protocol::Meta || indices.iter().all(|&i| !wires[i].binary) {
            let keys: Vec<&[u8]> = indices.iter().map(|&i| &wires[i].wire[..]).collect();
            Request::Get { keys: keys.into() }.encode(&mut buf);
            let fence = encode_fence(protocol, &mut buf, &wires[indices[0]].wire, tokens);
            let framing = Framing { kind: ReplyKind::Retrieval, tags: None, fence: Some(fence) };
            return (Self { indices, tags: None }, buf.freeze(), framing);
        }
        // Each `mg` carries its own token, `first + position in the batch`, and is not quiet: every key is answered,
        // in order, so the connection can check that no reply is missing, repeated or foreign (a quiet run would
        // hide a lost hit as a miss). Replies match keys whatever the echo (base64, repeats).
        let count = u32::try_from(indices.len()).unwrap_or(u32::MAX);
        let tags = Tags { first: tokens.reserve(count), count };
        for (position, &index) in (0u32..).zip(&indices) {
            let wire = &wires[index];
            let mut flags = Flags::new(wire);
            flags
                .push(MetaFlag::ReturnValue)
                .push(MetaFlag::ReturnClientFlags)
                .push(MetaFlag::Opaque(tags.first.wrapping_add(position)));
            Request::MetaGet { key: &wire.wire, flags: flags.as_slice().into() }.encode(&mut buf);
        }
        Request::MetaNoOp.encode(&mut buf);
        let framing = Framing { kind: ReplyKind::MetaBatch, tags: Some(tags), fence: None };
        (Self { indices, tags: Some(tags) }, buf.freeze(), framing)
    }

    /// Adds the hits in `response` to `hits` (keyed by the caller's key bytes, `keys` being all the caller's keys);
    /// the failure that spoils the batch, if any. The hits read before a failure still count.
    fn read<K: AsKey>(&self, response: Response, keys: &[K], hits: &mut HashMap<Bytes, Item>) -> Option<Failure> {
        let mut failure = None;
        match response {
            Response::MetaBatch(replies) => {
                for reply in replies {
                    let reply = match reply {
                        Ok(reply) => reply,
                        Err(e) => {
                            failure = Some(Failure::Error(e));
                            continue;
                        }
                    };
                    // The connection has checked that each reply carries its own command's token.
                    let index = self.tags.zip(reply.flags.opaque).map(|(tags, o)| o.wrapping_sub(tags.first) as usize);
                    match index {
                        Some(i) if reply.code == MetaCode::Value && i < self.indices.len() => {
                            let key = keys[self.indices[i]].key_bytes();
                            hits.insert(Bytes::copy_from_slice(key), item_from_meta(reply));
                        }
                        Some(i) if reply.code == MetaCode::Miss && i < self.indices.len() => {}
                        _ => failure = Some(Failure::Unexpected(Response::Meta(reply))),
                    }
                }
            }
            Response::Values(values) => {
                // The connection has checked every echoed key against the request (text keys are sent as given) and
                // the fence behind it, so these are this batch's hits.
                for value in values {
                    hits.insert(value.key.clone(), item_from_value(value));
                }
            }
            other => failure = Some(Failure::Unexpected(other)),
        }
        failure
    }
}

impl Client {
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
            wires.push(self.wire_key(key)?);
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
            let (batch, bytes, Framing { kind, tags, fence }) = Batch::encode(self.protocol(), indices, &wires, self);
            let server = &topology.servers[server];
            calls.push(self.call_raw(server, bytes, kind, tags, fence, "get_many"));
            batches.push((server, batch));
        }
        drop(wires);
        let results = join_all(calls).await;
        let mut out = MultiGet { hits: HashMap::with_capacity(keys.len()), errors: HashMap::new() };
        for ((server, batch), result) in batches.into_iter().zip(results) {
            let failure = match result {
                Ok(response) => match batch.read(response, &keys, &mut out.hits) {
                    Some(Failure::Error(e)) => Some(error_reply(e, &server.name)),
                    Some(Failure::Unexpected(reply)) => Some(self.unexpected(server, "get_many", &reply)),
                    None => None,
                },
                Err(error) => Some(error),
            };
            // A reply that cannot be matched to its key spoils the server's whole batch: every key of it without a
            // hit gets the error.
            if let Some(error) = failure {
                for index in batch.indices {
                    let key = keys[index].key_bytes();
                    if !out.hits.contains_key(key) {
                        out.errors.insert(Bytes::copy_from_slice(key), error.clone());
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BinaryKey;
    use crate::cmd::testing::{Counter, meta, tags};
    use crate::connection::Fence;
    use crate::proto::Value;

    fn encode(protocol: Protocol, wires: &[WireKey<'_>]) -> (Batch, Vec<u8>, Framing) {
        let (batch, bytes, framing) = Batch::encode(protocol, (0..wires.len()).collect(), wires, &Counter::default());
        (batch, bytes.to_vec(), framing)
    }

    fn text(keys: &[&'static str], over_meta: bool) -> Vec<WireKey<'static>> {
        keys.iter().map(|k| WireKey::new(*k, over_meta).unwrap()).collect()
    }

    #[test]
    fn plain_keys_are_one_get_fenced_by_a_tokened_mg_or_version() {
        let (_, bytes, framing) = encode(Protocol::Meta, &text(&["a", "b"], true));
        assert_eq!(bytes, b"get a b\r\nmg a O7\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Retrieval, None, Some(Fence::Token(7))));
        let (_, bytes, framing) = encode(Protocol::Text, &text(&["a", "b"], false));
        assert_eq!(bytes, b"get a b\r\nversion\r\n");
        assert_eq!(framing.fence, Some(Fence::Version));
    }

    #[test]
    fn binary_keys_are_a_run_of_tokened_mgs_closed_by_mn() {
        let binary = BinaryKey(*b"\xff");
        let wires = vec![WireKey::new("a", true).unwrap(), WireKey::new(&binary, true).unwrap()];
        let (batch, bytes, framing) = encode(Protocol::Meta, &wires);
        assert_eq!(bytes, b"mg a v f O7\r\nmg /w== b v f O8\r\nmn\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::MetaBatch, Some((7, 2)), None));
        assert_eq!(batch.tags.map(|t| (t.first, t.count)), Some((7, 2)));
    }

    #[test]
    fn meta_replies_are_matched_by_token_to_the_callers_keys() {
        let keys = [BinaryKey(&b"a"[..]), BinaryKey(&b"\xff"[..])];
        let wires: Vec<_> = keys.iter().map(|k| WireKey::new(k, true).unwrap()).collect();
        let (batch, _, _) = encode(Protocol::Meta, &wires);
        let mut miss = meta(MetaCode::Miss, None);
        miss.flags.opaque = Some(7);
        let mut hit = meta(MetaCode::Value, Some("v"));
        hit.flags.opaque = Some(8);
        let mut hits = HashMap::new();
        assert_eq!(batch.read(Response::MetaBatch(vec![Ok(miss), Ok(hit)]), &keys, &mut hits), None);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[&b"\xff"[..]].value, "v");
    }

    #[test]
    fn text_values_are_hits() {
        let (batch, _, _) = encode(Protocol::Text, &text(&["a"], false));
        let value = Value { key: Bytes::from_static(b"a"), flags: 2, cas: None, data: Bytes::from_static(b"v") };
        let mut hits = HashMap::new();
        assert_eq!(batch.read(Response::Values(vec![value]), &["a"], &mut hits), None);
        assert_eq!(hits[&b"a"[..]], Item { value: Bytes::from_static(b"v"), flags: 2, cas: None });
    }

    #[test]
    fn an_error_reply_or_a_foreign_reply_spoils_the_batch_but_keeps_its_hits() {
        let binary = BinaryKey(*b"\xff");
        let wires = vec![WireKey::new(&binary, true).unwrap(), WireKey::new("b", true).unwrap()];
        let (batch, _, _) = encode(Protocol::Meta, &wires);
        let keys = [BinaryKey(&b"\xff"[..]), BinaryKey(&b"b"[..])];
        let mut hit = meta(MetaCode::Value, Some("v"));
        hit.flags.opaque = Some(7);
        let mut foreign = meta(MetaCode::Value, Some("w"));
        foreign.flags.opaque = Some(99);
        let mut hits = HashMap::new();
        let replies = vec![Ok(hit), Err(ErrorReply::Server(Bytes::from_static(b"busy"))), Ok(foreign.clone())];
        let failure = batch.read(Response::MetaBatch(replies), &keys, &mut hits);
        assert_eq!(failure, Some(Failure::Unexpected(Response::Meta(foreign))));
        assert_eq!(hits.len(), 1);
        let replies = vec![Err(ErrorReply::Server(Bytes::from_static(b"busy")))];
        let failure = batch.read(Response::MetaBatch(replies), &keys, &mut HashMap::new());
        assert_eq!(failure, Some(Failure::Error(ErrorReply::Server(Bytes::from_static(b"busy")))));
        let failure = batch.read(Response::Stored, &keys, &mut HashMap::new());
        assert_eq!(failure, Some(Failure::Unexpected(Response::Stored)));
    }
}
