//! Meta protocol flags: the ones a request carries and the ones a reply returns.

use bytes::{BufMut, Bytes};

use super::ProtocolError;

/// One flag of a meta request (`mg`, `ms`, `md`, `ma`, `me`).
///
/// Which flags a command accepts is memcached's business; the encoder writes what it is given. Flags that take a
/// token carry it as a number, so no flag can smuggle a space or a line break onto the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaFlag {
    /// `b`: the key is base64-encoded binary.
    Base64Key,
    /// `c`: return the item's CAS token.
    ReturnCas,
    /// `C(token)`: compare this CAS token before acting.
    CompareCas(u64),
    /// `E(token)`: use this as the new CAS token if the item is modified.
    NewCas(u64),
    /// `f`: return the client flags.
    ReturnClientFlags,
    /// `F(token)`: set the client flags (`ms`).
    ClientFlags(u32),
    /// `h`: return whether the item has been hit before.
    ReturnHit,
    /// `I`: invalidate (mark stale) rather than delete or overwrite.
    Invalidate,
    /// `J(token)`: initial value when `ma` auto-creates an item.
    InitialValue(u64),
    /// `D(token)`: delta for `ma`.
    Delta(u64),
    /// `k`: return the key.
    ReturnKey,
    /// `l`: return the seconds since the item was last accessed.
    ReturnLastAccess,
    /// `M(token)`: mode switch (`ms` add/append/..., `ma` incr/decr).
    Mode(MetaMode),
    /// `N(token)`: vivify on miss with this TTL.
    Vivify(u32),
    /// `O(token)`: opaque value copied back in the reply.
    Opaque(u32),
    /// `q`: noreply semantics (hide misses and successes); pair with a trailing `mn`.
    Quiet,
    /// `R(token)`: win the recache right if the remaining TTL is below this.
    Recache(u32),
    /// `s`: return the item size.
    ReturnSize,
    /// `t`: return the remaining TTL (-1 for unlimited).
    ReturnTtl,
    /// `T(token)`: set or update the TTL.
    Ttl(u32),
    /// `u`: don't bump the item in the LRU.
    NoLruBump,
    /// `v`: return the value.
    ReturnValue,
    /// `x`: (`md`) remove the value but keep the item.
    RemoveValue,
}

/// The token of the `M` (mode) flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaMode {
    /// `ms` mode `E`: store only if absent (add).
    Add,
    /// `ms` mode `A`: append to the existing value.
    Append,
    /// `ms` mode `P`: prepend to the existing value.
    Prepend,
    /// `ms` mode `R`: store only if present (replace).
    Replace,
    /// `ms` mode `S`: store unconditionally (the default).
    Set,
    /// `ma` mode `I`: increment (the default).
    Increment,
    /// `ma` mode `D`: decrement.
    Decrement,
}

impl MetaMode {
    pub(crate) fn token(self) -> u8 {
        match self {
            MetaMode::Add => b'E',
            MetaMode::Append => b'A',
            MetaMode::Prepend => b'P',
            MetaMode::Replace => b'R',
            MetaMode::Set => b'S',
            MetaMode::Increment => b'I',
            MetaMode::Decrement => b'D',
        }
    }

    /// Parses a mode token. `ms` and `ma` share letters only where they agree on meaning, except `E`/`D`/`I`,
    /// which the caller disambiguates with `for_arithmetic`.
    pub(crate) fn from_token(token: &[u8], for_arithmetic: bool) -> Option<Self> {
        Some(match (token, for_arithmetic) {
            (b"I" | b"i" | b"+", true) => MetaMode::Increment,
            (b"D" | b"d" | b"-", true) => MetaMode::Decrement,
            (b"E" | b"e", false) => MetaMode::Add,
            (b"A" | b"a", false) => MetaMode::Append,
            (b"P" | b"p", false) => MetaMode::Prepend,
            (b"R" | b"r", false) => MetaMode::Replace,
            (b"S" | b"s", false) => MetaMode::Set,
            _ => return None,
        })
    }
}

impl MetaFlag {
    /// Writes ` <flag>` (with its leading space).
    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u8(b' ');
        let mut num = itoa::Buffer::new();
        let (letter, token): (u8, Option<&str>) = match *self {
            MetaFlag::Base64Key => (b'b', None),
            MetaFlag::ReturnCas => (b'c', None),
            MetaFlag::CompareCas(v) => (b'C', Some(num.format(v))),
            MetaFlag::NewCas(v) => (b'E', Some(num.format(v))),
            MetaFlag::ReturnClientFlags => (b'f', None),
            MetaFlag::ClientFlags(v) => (b'F', Some(num.format(v))),
            MetaFlag::ReturnHit => (b'h', None),
            MetaFlag::Invalidate => (b'I', None),
            MetaFlag::InitialValue(v) => (b'J', Some(num.format(v))),
            MetaFlag::Delta(v) => (b'D', Some(num.format(v))),
            MetaFlag::ReturnKey => (b'k', None),
            MetaFlag::ReturnLastAccess => (b'l', None),
            MetaFlag::Mode(mode) => {
                dst.put_slice(&[b'M', mode.token()]);
                return;
            }
            MetaFlag::Vivify(v) => (b'N', Some(num.format(v))),
            MetaFlag::Opaque(v) => (b'O', Some(num.format(v))),
            MetaFlag::Quiet => (b'q', None),
            MetaFlag::Recache(v) => (b'R', Some(num.format(v))),
            MetaFlag::ReturnSize => (b's', None),
            MetaFlag::ReturnTtl => (b't', None),
            MetaFlag::Ttl(v) => (b'T', Some(num.format(v))),
            MetaFlag::NoLruBump => (b'u', None),
            MetaFlag::ReturnValue => (b'v', None),
            MetaFlag::RemoveValue => (b'x', None),
        };
        dst.put_u8(letter);
        if let Some(token) = token {
            dst.put_slice(token.as_bytes());
        }
    }
}

/// The flags a meta reply returned, parsed. Each is `None`/`false` unless the server sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaReplyFlags {
    /// `O`: the opaque token the request carried.
    pub opaque: Option<u32>,
    /// `k`: the key (still base64 when `base64_key` is set).
    pub key: Option<Bytes>,
    /// `b`: the returned key is base64-encoded.
    pub base64_key: bool,
    /// `c`: the item's CAS token.
    pub cas: Option<u64>,
    /// `f`: the client flags.
    pub client_flags: Option<u32>,
    /// `t`: the remaining TTL in seconds; -1 means no expiry.
    pub ttl: Option<i64>,
    /// `s`: the item size.
    pub size: Option<u64>,
    /// `l`: seconds since last access.
    pub last_access: Option<u64>,
    /// `h`: whether the item had been hit before.
    pub hit_before: Option<bool>,
    /// `W`: this client won the right to recache.
    pub won: bool,
    /// `X`: the item is stale.
    pub stale: bool,
    /// `Z`: a winning flag was already sent to another client.
    pub win_sent: bool,
}

impl MetaReplyFlags {
    /// Parses the space-separated flag tokens after a meta reply's code (and size, for `VA`).
    pub(crate) fn parse(tokens: &[u8], line: &[u8]) -> Result<Self, ProtocolError> {
        let mut out = Self::default();
        for token in tokens.split(|&b| b == b' ').filter(|t| !t.is_empty()) {
            let (letter, rest) = (token[0], &token[1..]);
            let bad = || ProtocolError::new("malformed meta reply flag", line);
            match letter {
                b'O' => out.opaque = Some(parse_num(rest).ok_or_else(bad)?),
                b'k' => out.key = Some(Bytes::copy_from_slice(rest)),
                b'b' => out.base64_key = true,
                b'c' => out.cas = Some(parse_num(rest).ok_or_else(bad)?),
                b'f' => out.client_flags = Some(parse_num(rest).ok_or_else(bad)?),
                b't' => out.ttl = Some(parse_signed(rest).ok_or_else(bad)?),
                b's' => out.size = Some(parse_num(rest).ok_or_else(bad)?),
                b'l' => out.last_access = Some(parse_num(rest).ok_or_else(bad)?),
                b'h' => {
                    out.hit_before = Some(match rest {
                        b"0" => false,
                        b"1" => true,
                        _ => return Err(bad()),
                    })
                }
                b'W' => out.won = true,
                b'X' => out.stale = true,
                b'Z' => out.win_sent = true,
                // Flags added by later servers are ignored rather than fatal: the reply is still framed correctly.
                _ => {}
            }
        }
        Ok(out)
    }
}

impl MetaReplyFlags {
    /// Writes each flag that is set as ` <letter><token>`, in a fixed order (O, k, b, c, f, t, s, l, h, W, X, Z).
    /// memcached echoes flags in request order instead; the decoder accepts any order.
    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        fn put(dst: &mut impl BufMut, letter: u8, token: &[u8]) {
            dst.put_slice(&[b' ', letter]);
            dst.put_slice(token);
        }
        let mut num = itoa::Buffer::new();
        if let Some(opaque) = self.opaque {
            put(dst, b'O', num.format(opaque).as_bytes());
        }
        if let Some(key) = &self.key {
            put(dst, b'k', key);
        }
        if self.base64_key {
            put(dst, b'b', b"");
        }
        if let Some(cas) = self.cas {
            put(dst, b'c', num.format(cas).as_bytes());
        }
        if let Some(client_flags) = self.client_flags {
            put(dst, b'f', num.format(client_flags).as_bytes());
        }
        if let Some(ttl) = self.ttl {
            put(dst, b't', num.format(ttl).as_bytes());
        }
        if let Some(size) = self.size {
            put(dst, b's', num.format(size).as_bytes());
        }
        if let Some(last_access) = self.last_access {
            put(dst, b'l', num.format(last_access).as_bytes());
        }
        if let Some(hit_before) = self.hit_before {
            put(dst, b'h', if hit_before { b"1" } else { b"0" });
        }
        for (set, letter) in [(self.won, b'W'), (self.stale, b'X'), (self.win_sent, b'Z')] {
            if set {
                put(dst, letter, b"");
            }
        }
    }
}

/// Parses an unsigned decimal with no sign, no spaces and no overflow.
pub(crate) fn parse_num<T: TryFrom<u64>>(digits: &[u8]) -> Option<T> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    T::try_from(n).ok()
}

fn parse_signed(digits: &[u8]) -> Option<i64> {
    match digits.strip_prefix(b"-") {
        // Subtracting from zero (rather than negating an i64) also accepts i64::MIN, whose magnitude is no i64.
        Some(rest) => parse_num::<u64>(rest).and_then(|n| 0i64.checked_sub_unsigned(n)),
        None => parse_num::<u64>(digits).and_then(|n| i64::try_from(n).ok()),
    }
}
