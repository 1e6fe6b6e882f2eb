//! `get`, `gets`, `gat` and `gats`: one item, read (and touched). Meta: `mg <key> v f [c] [T<ttl>]`, answered `VA`
//! or `EN`. Text: the classic retrieval, fenced, answered by at most one `VALUE` block and `END`.

use bytes::BytesMut;

use super::{Flags, Framing, Keyed, Op, Tokens, encode_fence, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::Protocol;
use crate::item::{Cas, Item};
use crate::key::{AsKey, WireKey};
use crate::proto::{MetaCode, MetaFlag, MetaResponse, ReplyKind, Request, Response, Value};

/// Reads one item, with its CAS token if `cas`, setting its expiry to `touch` if given.
pub(crate) struct Get<'k> {
    /// The key, validated.
    pub(crate) key: WireKey<'k>,
    /// Whether to ask for the CAS token (`gets`, `gats`).
    pub(crate) cas: bool,
    /// The new expiry, for a get-and-touch (`gat`, `gats`).
    pub(crate) touch: Option<u32>,
}

impl Op for Get<'_> {
    type Output = Option<Item>;

    fn name(&self) -> &'static str {
        match (self.cas, self.touch) {
            (false, None) => "get",
            (true, None) => "gets",
            (false, Some(_)) => "gat",
            (true, Some(_)) => "gats",
        }
    }

    fn encode(&self, protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        let wire = &self.key;
        if protocol == Protocol::Meta {
            let mut flags = Flags::new(wire);
            flags.push(MetaFlag::ReturnValue).push(MetaFlag::ReturnClientFlags);
            if self.cas {
                flags.push(MetaFlag::ReturnCas);
            }
            if let Some(ttl) = self.touch {
                flags.push(MetaFlag::Ttl(ttl));
            }
            return encode_request(&Request::MetaGet { key: &wire.wire, flags: flags.as_slice().into() }, buf, tokens);
        }
        let keys: &[&[u8]] = &[&wire.wire];
        let request = match (self.cas, self.touch) {
            (false, None) => Request::Get { keys: keys.into() },
            (true, None) => Request::Gets { keys: keys.into() },
            (false, Some(exptime)) => Request::Gat { exptime, keys: keys.into() },
            (true, Some(exptime)) => Request::Gats { exptime, keys: keys.into() },
        };
        // A text retrieval names no request in its reply: fenced like a multi-get (see `get_many`'s batches).
        buf.reserve(request.size_hint() + 16);
        request.encode(buf);
        let fence = encode_fence(protocol, buf, &wire.wire, tokens);
        Ok(Framing { kind: ReplyKind::Retrieval, tags: None, fence: Some(fence) })
    }

    fn reply(self, response: Response) -> Result<Option<Item>, Response> {
        match response {
            Response::Meta(reply) if reply.code == MetaCode::Value => Ok(Some(item_from_meta(reply))),
            Response::Meta(MetaResponse { code: MetaCode::Miss, .. }) => Ok(None),
            Response::Values(values) if values.len() <= 1 => match values.into_iter().next() {
                Some(value) if value.key[..] == self.key.wire[..] => Ok(Some(item_from_value(value))),
                Some(value) => Err(Response::Values(vec![value])),
                None => Ok(None),
            },
            other => Err(other),
        }
    }
}

impl Keyed for Get<'_> {
    fn key(&self) -> &[u8] {
        &self.key.wire
    }
}

/// The item a meta hit carries.
pub(super) fn item_from_meta(reply: MetaResponse) -> Item {
    Item {
        value: reply.value.unwrap_or_default(),
        flags: reply.flags.client_flags.unwrap_or(0),
        cas: reply.flags.cas.map(Cas),
    }
}

/// The item a `VALUE` block carries.
pub(super) fn item_from_value(value: Value) -> Item {
    Item { value: value.data, flags: value.flags, cas: value.cas.map(Cas) }
}

impl Client {
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
        self.execute(Get { key: self.wire_key(key)?, cas: false, touch: None }).await
    }

    /// Reads an item with its CAS token, for a later [`Client::cas`].
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn gets<K: AsKey + ?Sized>(&self, key: &K) -> Result<Option<Item>, Error> {
        self.execute(Get { key: self.wire_key(key)?, cas: true, touch: None }).await
    }

    /// Reads an item and sets its expiry to `ttl` ("get and touch").
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn gat<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<Option<Item>, Error> {
        self.execute(Get { key: self.wire_key(key)?, cas: false, touch: Some(ttl) }).await
    }

    /// Reads an item with its CAS token and sets its expiry to `ttl`.
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn gats<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<Option<Item>, Error> {
        self.execute(Get { key: self.wire_key(key)?, cas: true, touch: Some(ttl) }).await
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::BinaryKey;
    use crate::cmd::testing::{encode, key, meta, tags};
    use crate::connection::Fence;

    fn get(protocol: Protocol, cas: bool, touch: Option<u32>) -> Get<'static> {
        Get { key: key("k", protocol), cas, touch }
    }

    #[test]
    fn meta_is_one_tagged_mg() {
        let (bytes, framing) = encode(&get(Protocol::Meta, false, None), Protocol::Meta);
        assert_eq!(bytes, b"mg k v f O7\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Meta, Some((7, 1)), None));
        assert_eq!(encode(&get(Protocol::Meta, true, None), Protocol::Meta).0, b"mg k v f c O7\r\n");
        assert_eq!(encode(&get(Protocol::Meta, false, Some(9)), Protocol::Meta).0, b"mg k v f T9 O7\r\n");
        assert_eq!(encode(&get(Protocol::Meta, true, Some(9)), Protocol::Meta).0, b"mg k v f c T9 O7\r\n");
    }

    #[test]
    fn meta_sends_a_binary_key_as_base64() {
        let binary = BinaryKey(*b"\0\x01");
        let op = Get { key: WireKey::new(&binary, true).unwrap(), cas: false, touch: None };
        assert_eq!(encode(&op, Protocol::Meta).0, b"mg AAE= b v f O7\r\n");
    }

    #[test]
    fn text_is_the_classic_command_fenced_by_version() {
        let (bytes, framing) = encode(&get(Protocol::Text, false, None), Protocol::Text);
        assert_eq!(bytes, b"get k\r\nversion\r\n");
        assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Retrieval, None, Some(Fence::Version)));
        assert_eq!(encode(&get(Protocol::Text, true, None), Protocol::Text).0, b"gets k\r\nversion\r\n");
        assert_eq!(encode(&get(Protocol::Text, false, Some(9)), Protocol::Text).0, b"gat 9 k\r\nversion\r\n");
        assert_eq!(encode(&get(Protocol::Text, true, Some(9)), Protocol::Text).0, b"gats 9 k\r\nversion\r\n");
    }

    #[test]
    fn names_follow_the_text_command() {
        let names: Vec<_> = [(false, None), (true, None), (false, Some(1)), (true, Some(1))]
            .into_iter()
            .map(|(cas, touch)| get(Protocol::Meta, cas, touch).name())
            .collect();
        assert_eq!(names, ["get", "gets", "gat", "gats"]);
    }

    #[test]
    fn a_meta_hit_is_the_item_and_en_a_miss() {
        let mut hit = meta(MetaCode::Value, Some("hello"));
        hit.flags.client_flags = Some(3);
        hit.flags.cas = Some(42);
        let item = get(Protocol::Meta, true, None).reply(Response::Meta(hit)).unwrap();
        assert_eq!(item, Some(Item { value: Bytes::from_static(b"hello"), flags: 3, cas: Some(Cas(42)) }));
        assert_eq!(get(Protocol::Meta, false, None).reply(Response::Meta(meta(MetaCode::Miss, None))), Ok(None));
    }

    #[test]
    fn a_text_value_for_the_key_is_the_item_and_none_a_miss() {
        let value = Value { key: Bytes::from_static(b"k"), flags: 1, cas: None, data: Bytes::from_static(b"v") };
        let item = get(Protocol::Text, false, None).reply(Response::Values(vec![value])).unwrap();
        assert_eq!(item, Some(Item { value: Bytes::from_static(b"v"), flags: 1, cas: None }));
        assert_eq!(get(Protocol::Text, false, None).reply(Response::Values(vec![])), Ok(None));
    }

    #[test]
    fn anything_else_is_unexpected() {
        let other = Value { key: Bytes::from_static(b"other"), flags: 0, cas: None, data: Bytes::new() };
        let foreign = Response::Values(vec![other]);
        assert_eq!(get(Protocol::Text, false, None).reply(foreign.clone()), Err(foreign));
        let two = Value { key: Bytes::from_static(b"k"), flags: 0, cas: None, data: Bytes::new() };
        let many = Response::Values(vec![two.clone(), two]);
        assert_eq!(get(Protocol::Text, false, None).reply(many.clone()), Err(many));
        let stored = Response::Meta(meta(MetaCode::Success, None));
        assert_eq!(get(Protocol::Meta, false, None).reply(stored.clone()), Err(stored));
        assert_eq!(get(Protocol::Meta, false, None).reply(Response::Stored), Err(Response::Stored));
    }
}
