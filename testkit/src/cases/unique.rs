//! Unique fields: guard items written, swapped and removed in the same transaction as the
//! entity; a violation is a typed error naming the field and value; a failed write leaves
//! no guard behind and no value unguarded.

use monotable_core::{Error, Path, Repository, RepositoryExt, Scan, TransactionContext, Update};
use monotable_derive::Entity;
use serde::{Deserialize, Serialize};

use crate::Harness;

/// An account: email and handle each unique; versioned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Account",
    pk = "ACCOUNT#{id}",
    sk = "ACCOUNT",
    unique = "email, handle",
    version = "version"
)]
pub struct Account {
    /// Id.
    pub id: String,
    /// Unique email.
    pub email: String,
    /// Unique handle, if chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Optimistic-locking version.
    #[serde(default)]
    pub version: u64,
}

fn account(id: &str, email: &str, handle: Option<&str>) -> Account {
    Account {
        id: id.into(),
        email: email.into(),
        handle: handle.map(str::to_string),
        version: 0,
    }
}

fn key(id: &str) -> AccountKey {
    AccountKey { id: id.into() }
}

/// The guard items in the table, as `field=value` sorted.
async fn guards(repo: &dyn Repository) -> Vec<String> {
    let page = repo
        .scan(Scan {
            filter: Some(Path::attr("_et").eq("_Unique")),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut out: Vec<String> = page
        .items
        .iter()
        .map(|i| {
            let pk = i["pk"].as_s().unwrap_or_default().to_string();
            pk.trim_start_matches("_UNIQUE#Account#")
                .replacen('#', "=", 1)
        })
        .collect();
    out.sort();
    out
}

fn violation<T: std::fmt::Debug>(r: monotable_core::Result<T>, field: &str, value: &str) {
    assert!(
        matches!(&r, Err(Error::UniqueViolation { field: f, value: v, .. }) if f == field && v == value),
        "{r:?}"
    );
}

/// create writes one guard per unique value; a second entity with a taken value is a
/// UniqueViolation and writes nothing.
pub async fn create_guards_each_unique_value(h: &Harness) {
    let repo = h.app().await;
    repo.create(&account("a1", "ada@x.org", Some("ada")))
        .await
        .unwrap();
    assert_eq!(guards(&*repo).await, ["email=ada@x.org", "handle=ada"]);
    violation(
        repo.create(&account("a2", "ada@x.org", None)).await,
        "email",
        "ada@x.org",
    );
    violation(
        repo.create(&account("a2", "eve@x.org", Some("ada"))).await,
        "handle",
        "ada",
    );
    assert_eq!(repo.get::<Account>(&key("a2")).await.unwrap(), None);
    assert_eq!(guards(&*repo).await, ["email=ada@x.org", "handle=ada"]);
}

/// put and update swap the guards of changed values atomically; a removed value is
/// released; delete releases every guard.
pub async fn writes_swap_and_release_guards(h: &Harness) {
    let repo = h.app().await;
    let a1 = repo
        .create(&account("a1", "ada@x.org", Some("ada")))
        .await
        .unwrap();
    let mut moved = a1.clone();
    moved.email = "lovelace@x.org".into();
    let a1 = repo.put(&moved).await.unwrap();
    assert_eq!(guards(&*repo).await, ["email=lovelace@x.org", "handle=ada"]);
    repo.create(&account("a2", "ada@x.org", None))
        .await
        .unwrap();
    let a1 = repo
        .patch_versioned::<Account>(
            &key("a1"),
            a1.version,
            Update::new().remove(Account::HANDLE),
        )
        .await
        .unwrap();
    assert_eq!(a1.handle, None);
    assert_eq!(
        guards(&*repo).await,
        ["email=ada@x.org", "email=lovelace@x.org"]
    );
    violation(
        repo.update_versioned::<Account>(
            &key("a1"),
            a1.version,
            Update::new().set(Account::EMAIL, "ada@x.org"),
        )
        .await,
        "email",
        "ada@x.org",
    );
    repo.delete_versioned::<Account>(&key("a1"), a1.version)
        .await
        .unwrap();
    assert_eq!(guards(&*repo).await, ["email=ada@x.org"]);
    repo.create(&account("a3", "lovelace@x.org", Some("ada")))
        .await
        .unwrap();
}

/// A write that fails (a stale version) leaves no guard behind for its new value and keeps
/// the old value guarded.
pub async fn failed_write_leaves_guards_as_they_were(h: &Harness) {
    let repo = h.app().await;
    let a1 = repo
        .create(&account("a1", "ada@x.org", None))
        .await
        .unwrap();
    repo.put(&a1).await.unwrap();
    let mut stale = a1.clone();
    stale.email = "new@x.org".into();
    let r = repo.put(&stale).await;
    assert!(matches!(r, Err(Error::VersionConflict { .. })), "{r:?}");
    assert_eq!(guards(&*repo).await, ["email=ada@x.org"]);
    violation(
        repo.create(&account("a2", "ada@x.org", None)).await,
        "email",
        "ada@x.org",
    );
    repo.create(&account("a2", "new@x.org", None))
        .await
        .unwrap();
}

/// Paths that cannot keep guards refuse before writing: batches, and transaction actions
/// that would need the stored item; a transaction's create writes the guards with it.
pub async fn paths_without_guards_refuse(h: &Harness) {
    let repo = h.app().await;
    let r = repo.batch_put(&[account("a1", "ada@x.org", None)]).await;
    assert!(matches!(r, Err(Error::Validation { .. })), "{r:?}");
    let r = repo.transaction(|tx| {
        tx.put(&account("a1", "ada@x.org", None), None)?;
        Ok(())
    });
    assert!(matches!(r.await, Err(Error::Validation { .. })));
    assert!(guards(&*repo).await.is_empty());
    repo.transaction(|tx| {
        tx.create(&account("a1", "ada@x.org", None))?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(guards(&*repo).await, ["email=ada@x.org"]);
    let r = repo.transaction(|tx| {
        tx.create(&account("a2", "ada@x.org", None))?;
        Ok(())
    });
    assert!(matches!(r.await, Err(Error::TransactionCanceled { .. })));
    assert_eq!(repo.get::<Account>(&key("a2")).await.unwrap(), None);
}

/// A member whose email is unique and sensitive.
#[derive(Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Member",
    pk = "MEMBER#{id}",
    sk = "MEMBER",
    unique = "email",
    debug
)]
pub struct Member {
    /// Id.
    pub id: String,
    /// Unique, sensitive email.
    #[monotable(sensitive)]
    pub email: String,
}

/// Sensitive values are redacted in Debug and in monotable's errors.
pub async fn sensitive_values_are_redacted(h: &Harness) {
    let repo = h.app().await;
    let m = Member {
        id: "m1".into(),
        email: "secret@x.org".into(),
    };
    assert_eq!(
        format!("{m:?}"),
        r#"Member { id: "m1", email: "<redacted>" }"#
    );
    repo.create(&m).await.unwrap();
    let r = repo
        .create(&Member {
            id: "m2".into(),
            email: "secret@x.org".into(),
        })
        .await;
    let e = r.expect_err("the email is taken");
    assert!(matches!(&e, Error::UniqueViolation { value, .. } if value == "<redacted>"));
    assert!(!e.to_string().contains("secret@x.org"), "{e}");
}

/// A patient record whose diagnosis is stored encrypted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Patient",
    pk = "PATIENT#{id}",
    sk = "PATIENT"
)]
pub struct Patient {
    /// Id.
    pub id: String,
    /// Encrypted.
    #[monotable(encrypt)]
    pub diagnosis: String,
}

/// Encrypted fields are stored sealed (the plaintext is nowhere in the item), read back
/// opened, sealed by updates too; after a key rotation old values still open and new ones
/// use the new key; a value whose key is gone is a Decode error that does not show it.
pub async fn encrypted_fields_are_sealed_and_keys_rotate(h: &Harness) {
    use monotable_core::entity::encrypt::{install_keyring, Keyring};
    use monotable_core::Value;
    install_keyring(Keyring::new("k1", [1; 32]));
    let repo = h.app().await;
    let key = PatientKey { id: "p1".into() };
    repo.create(&Patient {
        id: "p1".into(),
        diagnosis: "secret-measles".into(),
    })
    .await
    .unwrap();
    let sealed = |raw: &monotable_core::Item| match &raw["diagnosis"] {
        Value::B(b) => b.clone(),
        other => panic!("stored in the clear: {other:?}"),
    };
    let raw = crate::fixtures::get(&*repo, "PATIENT#p1", "PATIENT")
        .await
        .unwrap();
    let bytes = sealed(&raw);
    assert!(!String::from_utf8_lossy(&bytes).contains("measles"));
    assert_eq!(&bytes[1..4], b"\x02k1");
    let p = repo.get::<Patient>(&key).await.unwrap().unwrap();
    assert_eq!(p.diagnosis, "secret-measles");
    repo.patch::<Patient>(&key, Update::new().set(Patient::DIAGNOSIS, "secret-flu"))
        .await
        .unwrap();
    let raw = crate::fixtures::get(&*repo, "PATIENT#p1", "PATIENT")
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&sealed(&raw)).contains("flu"));
    // Rotation: a new current key, the old one kept for reading.
    install_keyring(Keyring::new("k2", [2; 32]).with_previous("k1", [1; 32]));
    assert_eq!(
        repo.get::<Patient>(&key).await.unwrap().unwrap().diagnosis,
        "secret-flu"
    );
    repo.create(&Patient {
        id: "p2".into(),
        diagnosis: "secret-cold".into(),
    })
    .await
    .unwrap();
    let raw2 = crate::fixtures::get(&*repo, "PATIENT#p2", "PATIENT")
        .await
        .unwrap();
    assert_eq!(&sealed(&raw2)[1..4], b"\x02k2");
    // Without the old key, its values do not open, and the error does not show them.
    install_keyring(Keyring::new("k2", [2; 32]));
    let e = repo.get::<Patient>(&key).await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("\"k1\"") && !text.contains("flu"), "{text}");
    assert_eq!(
        repo.get::<Patient>(&PatientKey { id: "p2".into() })
            .await
            .unwrap()
            .unwrap()
            .diagnosis,
        "secret-cold"
    );
}
