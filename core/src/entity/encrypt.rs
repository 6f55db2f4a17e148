//! Field encryption (OneTable's `crypt`): fields marked `#[monotable(encrypt)]` are stored
//! as AES-256-GCM ciphertext (the `aes-gcm` crate) under the keys of a [`Keyring`] the
//! application installs. Each value carries the id of the key that sealed it, so keys can
//! rotate: new writes use the current key, older values still open with theirs. An
//! encrypted field is never part of a key template (the derive refuses it), and its value
//! never appears in an error message or a span.
//!
//! Stored form: binary `[1][key id length][key id][12-byte nonce][ciphertext and tag]`,
//! the plaintext being the value in DynamoDB JSON.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use crate::error::{Error, Result};
use crate::item::{Item, Value};

const FORMAT: u8 = 1;

/// The keys that seal and open encrypted fields: one current key (used for writes) and any
/// number of older ones (for reading what they sealed). Its `Debug` shows key ids only.
///
/// ```
/// use monotable_core::entity::encrypt::{install_keyring, open_fields, seal_fields, Keyring};
/// use monotable_core::{Item, Value};
/// install_keyring(Keyring::new("2024", [1; 32]));
/// let mut item = Item::from([("card", "4111 1111")]);
/// seal_fields(&mut item, &["card"], "Customer")?;
/// // Rotation: new writes use key 2025; what key 2024 sealed still opens.
/// let ring = Keyring::new("2025", [2; 32]).with_previous("2024", [1; 32]);
/// assert_eq!(format!("{ring:?}"), r#"Keyring { current: "2025", key_ids: ["2024", "2025"] }"#);
/// install_keyring(ring);
/// open_fields(&mut item, &["card"], "Customer")?;
/// assert_eq!(item.get("card"), Some(&Value::from("4111 1111")));
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: HashMap<String, [u8; 32]>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("key_ids", &ids)
            .finish()
    }
}

impl Keyring {
    /// A keyring whose current key is `key` (32 bytes), named `id`.
    pub fn new(id: impl Into<String>, key: [u8; 32]) -> Self {
        let id = id.into();
        Keyring {
            keys: HashMap::from([(id.clone(), key)]),
            current: id,
        }
    }

    /// Adds an older key, still used to open the values it sealed.
    pub fn with_previous(mut self, id: impl Into<String>, key: [u8; 32]) -> Self {
        self.keys.insert(id.into(), key);
        self
    }
}

static KEYRING: RwLock<Option<Arc<Keyring>>> = RwLock::new(None);

/// Installs the process's keyring (replacing any earlier one, for rotation).
///
/// ```
/// # use monotable_core::entity::{decode, entity_item};
/// # use monotable_core::{Entity, EntityKeys, KeySchema, TableSchema, Value};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Customer { id: String, card: String }
/// # #[derive(serde::Serialize)] struct CustomerKey { id: String }
/// # impl KeySchema for Customer { fn key_templates() -> EntityKeys { EntityKeys::new("CUSTOMER#{id}").with_sort("CUSTOMER") } }
/// use monotable_core::entity::encrypt::{install_keyring, Keyring};
/// impl Entity for Customer {
///     const ENTITY_TYPE: &'static str = "Customer";
///     type Key = CustomerKey;
///     const ENCRYPTED: &'static [&'static str] = &["card"];
/// }
/// install_keyring(Keyring::new("k1", [7; 32]));
/// let customer = Customer { id: "c1".into(), card: "4111 1111".into() };
/// let item = entity_item(&TableSchema::single_table("app"), &customer, "2024-05-01T12:00:00Z")?;
/// assert!(matches!(item.get("card"), Some(Value::B(_)))); // stored as ciphertext
/// assert_eq!(decode::<Customer>(&item)?.card, "4111 1111");
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn install_keyring(keyring: Keyring) {
    if let Ok(mut k) = KEYRING.write() {
        *k = Some(Arc::new(keyring));
    }
}

fn keyring() -> Result<Arc<Keyring>> {
    KEYRING
        .read()
        .ok()
        .and_then(|k| k.clone())
        .ok_or_else(|| Error::Configuration {
            message: "an entity has encrypted fields but no keyring is installed: call \
                      monotable::entity::encrypt::install_keyring"
                .into(),
        })
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
}

/// Replaces each named field of `item` by its sealed form (absent and null fields stay).
///
/// ```
/// use monotable_core::entity::encrypt::{install_keyring, open_fields, seal_fields, Keyring};
/// use monotable_core::{Item, Value};
/// install_keyring(Keyring::new("k1", [7; 32]));
/// let mut item = Item::from([("card", "4111 1111")]);
/// seal_fields(&mut item, &["card", "absent"], "Customer")?;
/// let sealed = item.get("card").and_then(|v| if let Value::B(b) = v { Some(b) } else { None });
/// assert_eq!(sealed.map(|b| &b[..4]), Some(&[1, 2, b'k', b'1'][..])); // format 1, key "k1"
/// assert!(!item.contains_key("absent"));
/// open_fields(&mut item, &["card"], "Customer")?;
/// assert_eq!(item, Item::from([("card", "4111 1111")]));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn seal_fields(item: &mut Item, fields: &[&str], entity: &str) -> Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let ring = keyring()?;
    let key = &ring.keys[&ring.current];
    for field in fields {
        let Some(v) = item.get(*field).filter(|v| !matches!(v, Value::Null)) else {
            continue;
        };
        let plain = v.to_json().to_string();
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher(key)
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| sealing_error(entity, field, "cannot encrypt"))?;
        let mut out = vec![FORMAT, ring.current.len() as u8];
        out.extend_from_slice(ring.current.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        item.insert(field.to_string(), Value::B(out));
    }
    Ok(())
}

/// Replaces each named field of `item` by its opened value.
pub fn open_fields(item: &mut Item, fields: &[&str], entity: &str) -> Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let ring = keyring()?;
    for field in fields {
        let Some(Value::B(bytes)) = item.get(*field) else {
            continue;
        };
        let bad = || sealing_error(entity, field, "not a sealed value of this format");
        let (&format, rest) = bytes.split_first().ok_or_else(bad)?;
        let (&id_len, rest) = rest.split_first().ok_or_else(bad)?;
        if format != FORMAT || rest.len() < id_len as usize + 12 {
            return Err(bad());
        }
        let (id, rest) = rest.split_at(id_len as usize);
        let (nonce, sealed) = rest.split_at(12);
        let id = String::from_utf8_lossy(id).to_string();
        let key = ring.keys.get(&id).ok_or_else(|| {
            sealing_error(
                entity,
                field,
                &format!("sealed with key {id:?}, not in the keyring"),
            )
        })?;
        let plain = cipher(key)
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| sealing_error(entity, field, "the value does not open with its key"))?;
        let json: serde_json::Value = serde_json::from_slice(&plain).map_err(|_| bad())?;
        let value = Value::from_json(&json).map_err(|_| bad())?;
        item.insert(field.to_string(), value);
    }
    Ok(())
}

/// An error about an encrypted field that names the field, never its value.
fn sealing_error(entity: &str, field: &str, why: &str) -> Error {
    Error::Decode {
        source: format!("{entity}.{field} (encrypted): {why}").into(),
    }
}
