//! Reads through the lending methods (`get_item_with`, `query_with`, `scan_with`), gathered
//! back into the shape the copying methods return, so that every read the cases, the
//! vectors and the fuzzer make can be held to both paths.

use monotable_core::{GetItem, Item, Page, Query, Repository, Result, Scan};

/// [`Repository::get_item_with`], the lent item copied out.
pub async fn get_item(repo: &dyn Repository, request: GetItem) -> Result<Option<Item>> {
    let mut lent = None;
    let found = repo
        .get_item_with(request, &mut |item| {
            lent = Some(item.to_item().into_owned());
            Ok(())
        })
        .await?;
    assert_eq!(
        found,
        lent.is_some(),
        "get_item_with says found iff it lent"
    );
    Ok(lent)
}

/// [`Repository::query_with`], the lent items gathered into the page.
pub async fn query(repo: &dyn Repository, request: Query) -> Result<Page> {
    let mut items = Vec::new();
    let page = repo
        .query_with(request, &mut |item| {
            items.push(item.to_item().into_owned());
            Ok(())
        })
        .await?;
    assert!(page.items.is_empty(), "query_with returns no items itself");
    Ok(Page { items, ..page })
}

/// [`Repository::scan_with`], the lent items gathered into the page.
pub async fn scan(repo: &dyn Repository, request: Scan) -> Result<Page> {
    let mut items = Vec::new();
    let page = repo
        .scan_with(request, &mut |item| {
            items.push(item.to_item().into_owned());
            Ok(())
        })
        .await?;
    assert!(page.items.is_empty(), "scan_with returns no items itself");
    Ok(Page { items, ..page })
}

/// `copied`, after asserting that the lent read's outcome is the same (items, counts, last
/// key, or the same error).
pub fn same<T: std::fmt::Debug>(copied: Result<T>, lent: Result<T>, what: &str) -> Result<T> {
    assert_eq!(
        format!("{lent:?}"),
        format!("{copied:?}"),
        "{what}: the lent read differs from the copied one"
    );
    copied
}
