//! Hash maps and sets whose iteration order is the same in every process.
//!
//! std's `HashMap::new()` seeds its hasher (`RandomState`) from the OS, so iterating one visits the entries in an
//! order that changes from process to process, and a handler that lets that order reach an event, a stored
//! record or a response has a trace that no seed reproduces. The handler clippy list bans std's `HashMap`,
//! `HashSet` and `RandomState` by name; these aliases are the same std types with a fixed hasher
//! ([`FixedState`]: SipHash with zero keys), so the order depends only on what was inserted, in what order, and
//! the std version the binary was built with. Reach for `BTreeMap`/`BTreeSet` first when the order reaches an
//! output (it is then sorted, not merely repeatable); use these when a hash map is the better structure.
//!
//! ```
//! use effects::collections::HashMap;
//!
//! let mut stock: HashMap<&str, u32> = HashMap::default(); // no `new()`: that one is RandomState's
//! stock.insert("lamp", 2);
//! stock.insert("desk", 1);
//! let order: Vec<&str> = stock.keys().copied().collect();
//! let mut again: HashMap<&str, u32> = HashMap::default();
//! again.insert("lamp", 2);
//! again.insert("desk", 1);
//! assert_eq!(again.keys().copied().collect::<Vec<_>>(), order);
//! ```

use std::hash::{BuildHasherDefault, DefaultHasher};

/// A hasher builder with fixed keys: every map built with it hashes a key the same way in every process.
pub type FixedState = BuildHasherDefault<DefaultHasher>;

/// std's `HashMap` with [`FixedState`]: build one with `HashMap::default()` or `HashMap::from_iter(..)`.
pub type HashMap<K, V> = std::collections::HashMap<K, V, FixedState>;

/// std's `HashSet` with [`FixedState`]: build one with `HashSet::default()` or `HashSet::from_iter(..)`.
pub type HashSet<T> = std::collections::HashSet<T, FixedState>;
