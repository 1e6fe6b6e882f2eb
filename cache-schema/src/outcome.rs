//! [`StoreOutcome`]: what a storage command did.

/// What a storage command did. Only [`StoreOutcome::Stored`] means the value was written; the others are normal
/// outcomes to match on, not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "a store may not have stored anything; check the outcome"]
pub enum StoreOutcome {
    /// The value was stored.
    Stored,
    /// Not stored because the condition failed: `add` of an existing key, `replace`/`append`/`prepend` of a
    /// missing one.
    NotStored,
    /// `cas`: the item changed since the token was read.
    Exists,
    /// `cas`: the item no longer exists.
    NotFound,
}

impl StoreOutcome {
    /// Whether the value was stored.
    ///
    /// ```
    /// use cache_schema::StoreOutcome;
    /// assert!(StoreOutcome::Stored.is_stored());
    /// assert!(!StoreOutcome::Exists.is_stored());
    /// ```
    pub fn is_stored(self) -> bool {
        self == StoreOutcome::Stored
    }
}
