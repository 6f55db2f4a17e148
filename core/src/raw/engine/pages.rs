//! Reading one page of a query or scan: Limit before the filter, 1 MB pages, the last
//! evaluated key, parallel-scan segments.

use std::borrow::Cow;

use super::checks::project;
use super::keys::lek_of;
use super::keys::table_key;
use super::storage::{Space, StorageRead, Stored, StoredEntries};
use crate::error::Result;
use crate::expr::{Condition, Path};
use crate::item::{Item, ReadItemText, Value};
use crate::raw::{eval, keycodec};
use crate::repository::*;
use crate::schema::{KeyAttribute, TableSchema};

/// Largest page, in bytes of evaluated items.
pub const PAGE_SIZE_LIMIT: usize = 1_048_576;

pub(super) fn segment_of(schema: &TableSchema, item: &Item, total: u32) -> u32 {
    match item.get(&schema.partition_key.name) {
        Some(pk) => keycodec::local_segment(&keycodec::local_hash(pk), total),
        None => 0,
    }
}

pub(super) struct PageSpec {
    /// The sort attribute and the inclusive bound at the end of the range in the direction
    /// of travel: stopping by Limit on that value gives no last key (DynamoDB Local, R44).
    pub(super) end_bound: Option<(String, Value)>,
    pub(super) filter: Option<Condition>,
    pub(super) projection: Option<Vec<Path>>,
    pub(super) limit: Option<u32>,
    pub(super) count_only: bool,
    pub(super) lek_keys: Vec<KeyAttribute>,
    pub(super) segment: Option<Segment>,
    /// Read the projected attributes from the table's item (a local index that does not
    /// hold them all).
    pub(super) fetch_from_table: bool,
    /// Evaluate the filter on the table's item (a Scan of a local index whose filter names
    /// attributes the index does not hold).
    pub(super) filter_on_table: bool,
}

impl PageSpec {
    /// True when each entry must be read as an item (a filter, a projection, a segment, the
    /// table's item): otherwise a stored text is read only for its size, and for the last
    /// key at the end of a page.
    fn reads_items(&self) -> bool {
        self.filter.is_some()
            || self.projection.is_some()
            || self.segment.is_some()
            || self.fetch_from_table
            || self.filter_on_table
    }
}

/// An entry a page keeps: an item, or a canonical stored text read once.
pub(super) enum Kept<'a> {
    Item(Cow<'a, Item>),
    Read(ReadItemText),
}

impl<'a> Kept<'a> {
    /// A stored entry as kept: its text read once, unless the reader needs the item
    /// (`items`) or the text is not canonical; else the item, as the store reads it.
    pub(super) fn of(view: &dyn StorageRead, stored: Stored<'a>, items: bool) -> Result<Self> {
        match stored {
            Stored::Text(text) if !items => match ReadItemText::read(text) {
                Ok(read) => Ok(Kept::Read(read)),
                Err(text) => Ok(Kept::Item(Cow::Owned(view.item_of_text(&text)?))),
            },
            stored => view.item_of(stored).map(Kept::Item),
        }
    }

    /// The item (built from the text if read from one).
    fn into_item(self) -> Cow<'a, Item> {
        match self {
            Kept::Item(item) => item,
            Kept::Read(read) => Cow::Owned(read.to_item()),
        }
    }
}

/// Reads one page from `entries`, handing each entry it returns to `keep` in order: as an
/// item (lent by a store that holds items), or, where no item was needed, as the store's
/// text read once; the page's `items` stay empty.
pub(super) fn read_page<'a>(
    schema: &TableSchema,
    view: &'a dyn StorageRead,
    entries: StoredEntries<'a>,
    spec: &PageSpec,
    keep: &mut dyn FnMut(Kept<'a>) -> Result<()>,
) -> Result<Page> {
    let mut page = Page::default();
    let mut bytes = 0usize;
    let keys: Vec<&KeyAttribute> = spec.lek_keys.iter().collect();
    let reads_items = spec.reads_items();
    for entry in entries {
        let (_, stored) = entry?;
        let mut kept = Kept::of(view, stored, reads_items)?;
        let size = match &kept {
            Kept::Item(item) => item.size(),
            Kept::Read(read) => read.size(),
        };
        if let (Some(seg), Kept::Item(item)) = (spec.segment, &kept) {
            if segment_of(schema, item, seg.total) != seg.segment {
                continue;
            }
        }
        page.scanned_count += 1;
        bytes += size;
        let by_limit = spec.limit.is_some_and(|l| page.scanned_count >= l as usize);
        let full = by_limit || bytes >= PAGE_SIZE_LIMIT;
        if full {
            let item = kept.into_item();
            let at_end_bound = spec
                .end_bound
                .as_ref()
                .is_some_and(|(attr, bound)| item.get(attr) == Some(bound));
            if !(by_limit && at_end_bound && bytes < PAGE_SIZE_LIMIT) {
                page.last_evaluated_key = Some(lek_of(&keys, &item));
            }
            kept = Kept::Item(item);
        }
        let item = match kept {
            Kept::Item(item) => item,
            Kept::Read(_) => {
                // No filter, projection or table read to make.
                page.count += 1;
                if !spec.count_only {
                    keep(kept)?;
                }
                continue;
            }
        };
        let table_item = if spec.filter_on_table || (spec.fetch_from_table && !spec.count_only) {
            view.get(Space::Table, &table_key(schema, &item))?
        } else {
            None
        };
        let filtered = match (&table_item, spec.filter_on_table) {
            (Some(t), true) => t,
            _ => &item,
        };
        if spec
            .filter
            .as_ref()
            .is_none_or(|f| eval::evaluate(f, filtered))
        {
            page.count += 1;
            if !spec.count_only {
                let item = match table_item {
                    Some(t) if spec.fetch_from_table => t,
                    _ => item,
                };
                keep(Kept::Item(project(item, &spec.projection)))?;
            }
        }
        if full {
            break;
        }
    }
    Ok(page)
}

/// [`read_page`] with the page's items copied into it.
pub(super) fn read_owned_page<'a>(
    schema: &TableSchema,
    view: &'a dyn StorageRead,
    entries: StoredEntries<'a>,
    spec: &PageSpec,
) -> Result<Page> {
    let mut items = Vec::new();
    let mut page = read_page(schema, view, entries, spec, &mut |kept| {
        items.push(kept.into_item().into_owned());
        Ok(())
    })?;
    page.items = items;
    Ok(page)
}
