//! An item's stored text in DynamoDB's JSON form, as the SQLite backend stores it.

use crate::item::{Item, Value};

/// An item's stored text in DynamoDB JSON (what the SQLite backend stores), read without
/// building the [`Item`] where it can be.
#[derive(Debug, Clone, Copy)]
pub struct ItemText<'a> {
    text: &'a str,
}

impl<'a> ItemText<'a> {
    /// The text of an item.
    pub fn new(text: &'a str) -> Self {
        ItemText { text }
    }

    /// The text.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The item: exactly what `Item::from_json(&serde_json::from_str(text)?)` gives, or its
    /// error as a `String`.
    pub fn to_item(&self) -> Result<Item, String> {
        let json: serde_json::Value = serde_json::from_str(self.text).map_err(|e| e.to_string())?;
        Item::from_json(&json)
    }

    /// `T` decoded straight from the text: exactly `self.to_item()?.deserialize_into::<T>()`'s
    /// result (same value, same error), or `None` when the text is not in the canonical form
    /// the direct reader takes (the caller then builds the item).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, crate::Error>> {
        let item = self.to_item().ok()?;
        Some(item.deserialize_into::<T>())
    }

    /// The value of the top-level attribute `name`: `Some(None)` if absent, `None` if the
    /// text is not canonical.
    pub fn attribute(&self, name: &str) -> Option<Option<Value>> {
        let item = self.to_item().ok()?;
        Some(item.get(name).cloned())
    }

    /// The item's DynamoDB size ([`Item::size`]), `None` if the text is not canonical.
    pub fn size(&self) -> Option<usize> {
        self.to_item().ok().map(|item| item.size())
    }
}
