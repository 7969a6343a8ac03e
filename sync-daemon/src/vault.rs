//! Encryption at rest for store credentials: one operator-held key seals each store's
//! credentials JSON before it reaches the database, bound to the store it belongs to.

use std::fmt;
use std::path::Path;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use chacha20poly1305::aead::{AeadCore, AeadInPlace, KeyInit, OsRng};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use core_model::StoreId;
use secrecy::zeroize::{Zeroize, Zeroizing};
use secrecy::SecretSlice;

const ENV_VAR: &str = "OMSYNC_CREDENTIALS_KEY";
const KEY_FILE_KEY: &str = "credentials.key_file";

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

const KEY_CHECK_AAD: &[u8] = b"omsync/key-check";
const KEY_CHECK_TEXT: &[u8] = b"omsync credentials key check v1";

/// Operators paste keys by hand, so a missing `=` must not make a good key unusable.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why the credentials key could not be loaded or could not open what it was given.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "no credentials key: set {ENV_VAR} or {KEY_FILE_KEY} \
         (create one with `omsync key generate`)"
    )]
    NoKey,
    /// The reason names where the key came from (the variable or the file path), never the key.
    #[error("bad credentials key: {0}")]
    BadKey(String),
    #[error(
        "the credentials key does not open this database's credentials: \
         it is not the key they were sealed with"
    )]
    WrongKey,
    #[error("sealed credentials are damaged or belong to another store")]
    Corrupt,
}

/// Seals store credentials (the connector's credentials JSON) with XChaCha20-Poly1305. The
/// store's id is the associated data, so a ciphertext copied into another store's row fails to
/// open.
pub struct Vault {
    // The cipher owns the only copy of the key and zeroizes it on drop.
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("key", &format_args!("[REDACTED]"))
            .finish()
    }
}

impl Vault {
    pub fn from_key(mut bytes: [u8; 32]) -> Vault {
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&bytes));
        bytes.zeroize();
        Vault { cipher }
    }

    /// `env_key` is the value of OMSYNC_CREDENTIALS_KEY (base64, standard alphabet, padding
    /// optional, surrounding whitespace trimmed) and wins over `key_file` (a file holding the
    /// same base64 text). A blank `env_key` counts as unset, so `OMSYNC_CREDENTIALS_KEY=` in a
    /// unit file clears it rather than failing.
    pub fn load(env_key: Option<&str>, key_file: Option<&Path>) -> Result<Vault, VaultError> {
        if let Some(text) = env_key.filter(|t| !t.trim().is_empty()) {
            return decode_key(text)
                .map_err(|reason| VaultError::BadKey(format!("{ENV_VAR}: {reason}")));
        }
        let Some(path) = key_file else {
            return Err(VaultError::NoKey);
        };
        let source = format!("{KEY_FILE_KEY} {}", path.display());
        let raw = std::fs::read(path)
            .map(Zeroizing::new)
            .map_err(|e| VaultError::BadKey(format!("{source}: cannot read the file: {e}")))?;
        let text = std::str::from_utf8(&raw)
            .map_err(|_| VaultError::BadKey(format!("{source}: {NOT_BASE64}")))?;
        decode_key(text).map_err(|reason| VaultError::BadKey(format!("{source}: {reason}")))
    }

    /// A fresh random key, base64, for `omsync key generate`.
    pub fn generate_key() -> String {
        let mut key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let text = STANDARD.encode(key.as_slice());
        key.as_mut_slice().zeroize();
        text
    }

    /// version byte 1 || 24-byte nonce || ciphertext+tag; AAD = b"omsync/store/" + store id
    /// decimal.
    pub fn seal(&self, store: StoreId, plaintext: &[u8]) -> Vec<u8> {
        self.seal_with(&store_aad(store), plaintext)
    }

    /// The plaintext, wrapped so it is zeroized on drop and redacted in Debug.
    pub fn open(&self, store: StoreId, sealed: &[u8]) -> Result<SecretSlice<u8>, VaultError> {
        self.open_with(&store_aad(store), sealed)
            .map_err(|Unopened| VaultError::Corrupt)
    }

    /// A value to keep in the database once, so that a later start with a different key fails
    /// loudly before any store's credentials are tried.
    pub fn key_check(&self) -> Vec<u8> {
        self.seal_with(KEY_CHECK_AAD, KEY_CHECK_TEXT)
    }

    /// `WrongKey` when this key cannot open a value `key_check` made; `Corrupt` when the value
    /// is not one `key_check` could have made.
    pub fn verify_check(&self, sealed: &[u8]) -> Result<(), VaultError> {
        if split(sealed).is_none() {
            return Err(VaultError::Corrupt);
        }
        let text = self
            .open_with(KEY_CHECK_AAD, sealed)
            .map_err(|Unopened| VaultError::WrongKey)?;
        if secrecy::ExposeSecret::expose_secret(&text) == KEY_CHECK_TEXT {
            Ok(())
        } else {
            Err(VaultError::Corrupt)
        }
    }

    fn seal_with(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let body = &mut out[1 + NONCE_LEN..];
        // XChaCha20-Poly1305 refuses only messages over 256 GiB; credentials are kilobytes.
        #[allow(clippy::expect_used)]
        let tag = self
            .cipher
            .encrypt_in_place_detached(&nonce, aad, body)
            .expect("credentials are far below the XChaCha20 message limit");
        out.extend_from_slice(&tag);
        out
    }

    fn open_with(&self, aad: &[u8], sealed: &[u8]) -> Result<SecretSlice<u8>, Unopened> {
        let (nonce, ciphertext, tag) = split(sealed).ok_or(Unopened)?;
        // An exact-size buffer, so turning it into the secret's box never reallocates and
        // leaves an unzeroized copy of the plaintext behind.
        let mut buf = ciphertext.to_vec();
        self.cipher
            .decrypt_in_place_detached(nonce, aad, &mut buf, tag)
            .map_err(|_| Unopened)?;
        Ok(SecretSlice::from(buf))
    }
}

/// The sealed value did not authenticate (or was not a sealed value at all).
struct Unopened;

const NOT_BASE64: &str = "not base64 (standard alphabet)";

fn decode_key(text: &str) -> Result<Vault, String> {
    let bytes = Zeroizing::new(
        KEY_BASE64
            .decode(text.trim())
            // The decoder's message quotes the offending character, which is part of the key.
            .map_err(|_| NOT_BASE64.to_string())?,
    );
    let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        format!(
            "decodes to {} bytes, a key is {KEY_LEN} (create one with `omsync key generate`)",
            bytes.len()
        )
    })?;
    Ok(Vault::from_key(key))
}

fn store_aad(store: StoreId) -> Vec<u8> {
    format!("omsync/store/{}", store.0).into_bytes()
}

fn split(sealed: &[u8]) -> Option<(&XNonce, &[u8], &Tag)> {
    let (&version, rest) = sealed.split_first()?;
    if version != VERSION || rest.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    Some((XNonce::from_slice(nonce), ciphertext, Tag::from_slice(tag)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CREDS: &[u8] = br#"{"refresh_token":"Atzr|abc","client_secret":"s3cr3t"}"#;

    fn vault(byte: u8) -> Vault {
        Vault::from_key([byte; 32])
    }

    fn key_text(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    fn bad_key(result: Result<Vault, VaultError>) -> String {
        match result {
            Err(VaultError::BadKey(reason)) => reason,
            other => panic!("expected BadKey, got {other:?}"),
        }
    }

    fn key_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    /// Which key a loaded vault holds, judged by whether it opens what that key sealed.
    fn holds_key(v: &Vault, byte: u8) -> bool {
        v.verify_check(&vault(byte).key_check()).is_ok()
    }

    #[test]
    fn round_trip() {
        let v = vault(7);
        let sealed = v.seal(StoreId(42), CREDS);
        let opened = v.open(StoreId(42), &sealed).unwrap();
        assert_eq!(opened.expose_secret(), CREDS);
    }

    #[test]
    fn sealed_layout_is_version_nonce_ciphertext_tag() {
        let sealed = vault(7).seal(StoreId(1), CREDS);
        assert_eq!(sealed[0], 1);
        assert_eq!(sealed.len(), 1 + 24 + CREDS.len() + 16);
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let v = vault(7);
        let opened = v.open(StoreId(1), &v.seal(StoreId(1), b"")).unwrap();
        assert!(opened.expose_secret().is_empty());
    }

    #[test]
    fn another_store_id_is_corrupt() {
        let v = vault(7);
        let sealed = v.seal(StoreId(1), CREDS);
        assert!(matches!(
            v.open(StoreId(2), &sealed),
            Err(VaultError::Corrupt)
        ));
    }

    #[test]
    fn any_flipped_byte_is_corrupt() {
        let v = vault(7);
        let sealed = v.seal(StoreId(1), CREDS);
        for i in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[i] ^= 0x01;
            assert!(
                matches!(v.open(StoreId(1), &damaged), Err(VaultError::Corrupt)),
                "flipping byte {i} still opened"
            );
        }
    }

    #[test]
    fn unknown_version_is_corrupt() {
        let v = vault(7);
        let mut sealed = v.seal(StoreId(1), CREDS);
        sealed[0] = 2;
        assert!(matches!(
            v.open(StoreId(1), &sealed),
            Err(VaultError::Corrupt)
        ));
    }

    #[test]
    fn truncated_is_corrupt() {
        let v = vault(7);
        let sealed = v.seal(StoreId(1), CREDS);
        for len in [0, 1, 1 + 24, 1 + 24 + 15, sealed.len() - 1] {
            assert!(
                matches!(v.open(StoreId(1), &sealed[..len]), Err(VaultError::Corrupt)),
                "{len} bytes still opened"
            );
        }
    }

    #[test]
    fn another_key_cannot_open_credentials() {
        let sealed = vault(7).seal(StoreId(1), CREDS);
        assert!(matches!(
            vault(8).open(StoreId(1), &sealed),
            Err(VaultError::Corrupt)
        ));
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let v = vault(7);
        let a = v.seal(StoreId(1), CREDS);
        let b = v.seal(StoreId(1), CREDS);
        assert_ne!(a[1..25], b[1..25], "nonces repeated");
        assert_ne!(a, b);
    }

    #[test]
    fn key_check_verifies_with_its_own_key() {
        let v = vault(7);
        v.verify_check(&v.key_check()).unwrap();
    }

    #[test]
    fn wrong_key_fails_verify_check_with_wrong_key() {
        let check = vault(7).key_check();
        assert!(matches!(
            vault(8).verify_check(&check),
            Err(VaultError::WrongKey)
        ));
    }

    #[test]
    fn malformed_key_check_is_corrupt() {
        let v = vault(7);
        let mut check = v.key_check();
        check[0] = 9;
        assert!(matches!(v.verify_check(&check), Err(VaultError::Corrupt)));
        assert!(matches!(v.verify_check(&[]), Err(VaultError::Corrupt)));
    }

    #[test]
    fn store_credentials_do_not_pass_as_a_key_check() {
        let v = vault(7);
        let sealed = v.seal(StoreId(1), KEY_CHECK_TEXT);
        assert!(v.verify_check(&sealed).is_err());
    }

    #[test]
    fn load_from_env_wins_over_file() {
        let file = key_file(&key_text(2));
        let v = Vault::load(Some(&key_text(1)), Some(file.path())).unwrap();
        assert!(holds_key(&v, 1));
        assert!(!holds_key(&v, 2));
    }

    #[test]
    fn load_from_file() {
        let file = key_file(&format!("{}\n", key_text(3)));
        let v = Vault::load(None, Some(file.path())).unwrap();
        assert!(holds_key(&v, 3));
    }

    #[test]
    fn blank_env_falls_back_to_file() {
        let file = key_file(&key_text(3));
        let v = Vault::load(Some("  \n"), Some(file.path())).unwrap();
        assert!(holds_key(&v, 3));
    }

    #[test]
    fn env_key_is_trimmed_and_padding_optional() {
        let padded = key_text(4);
        let unpadded = padded.trim_end_matches('=');
        assert_ne!(padded, unpadded);
        for text in [format!("  {padded}\n"), format!("\t{unpadded} ")] {
            let v = Vault::load(Some(&text), None).unwrap();
            assert!(holds_key(&v, 4), "{text:?} did not load");
        }
    }

    #[test]
    fn bad_base64_in_env_names_env_and_hides_key() {
        let text = "not-a-key!!secretish";
        let reason = bad_key(Vault::load(Some(text), None));
        assert!(reason.contains("OMSYNC_CREDENTIALS_KEY"), "{reason}");
        assert!(reason.contains("base64"), "{reason}");
        assert!(!reason.contains(text), "{reason}");
        assert!(!reason.contains("secretish"), "{reason}");
    }

    #[test]
    fn wrong_length_in_env_names_env_and_hides_key() {
        let text = STANDARD.encode([5u8; 16]);
        let err = Vault::load(Some(&text), None).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("OMSYNC_CREDENTIALS_KEY"), "{shown}");
        assert!(shown.contains("16 bytes"), "{shown}");
        assert!(!shown.contains(&text), "{shown}");
    }

    #[test]
    fn bad_base64_in_file_names_path_and_hides_key() {
        let text = "zzzz$$$$hiddenvalue";
        let file = key_file(text);
        let reason = bad_key(Vault::load(None, Some(file.path())));
        assert!(
            reason.contains(&file.path().display().to_string()),
            "{reason}"
        );
        assert!(reason.contains("credentials.key_file"), "{reason}");
        assert!(!reason.contains("hiddenvalue"), "{reason}");
    }

    #[test]
    fn wrong_length_in_file_names_path_and_hides_key() {
        let text = STANDARD.encode([6u8; 33]);
        let file = key_file(&text);
        let reason = bad_key(Vault::load(None, Some(file.path())));
        assert!(
            reason.contains(&file.path().display().to_string()),
            "{reason}"
        );
        assert!(reason.contains("33 bytes"), "{reason}");
        assert!(!reason.contains(&text), "{reason}");
    }

    #[test]
    fn unreadable_file_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such.key");
        let reason = bad_key(Vault::load(None, Some(&missing)));
        assert!(reason.contains(&missing.display().to_string()), "{reason}");
        assert!(reason.contains("cannot read"), "{reason}");
    }

    #[test]
    fn no_key_when_neither() {
        assert!(matches!(Vault::load(None, None), Err(VaultError::NoKey)));
        assert!(matches!(
            Vault::load(Some(""), None),
            Err(VaultError::NoKey)
        ));
        let shown = VaultError::NoKey.to_string();
        assert!(shown.contains("OMSYNC_CREDENTIALS_KEY"), "{shown}");
        assert!(shown.contains("omsync key generate"), "{shown}");
    }

    #[test]
    fn debug_of_vault_hides_the_key() {
        let bytes = [0xABu8; 32];
        let text = STANDARD.encode(bytes);
        let v = Vault::load(Some(&text), None).unwrap();
        let shown = format!("{v:?} {v:#?}");
        assert_eq!(format!("{v:?}"), "Vault { key: [REDACTED] }");
        assert!(!shown.contains(&text), "{shown}");
        assert!(!shown.contains(&text[..8]), "{shown}");
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
    }

    #[test]
    fn generate_key_loads_back() {
        let text = Vault::generate_key();
        assert_eq!(STANDARD.decode(&text).unwrap().len(), 32);
        let v = Vault::load(Some(&text), None).unwrap();
        let sealed = v.seal(StoreId(9), CREDS);
        let again = Vault::load(Some(&text), None).unwrap();
        assert_eq!(
            again.open(StoreId(9), &sealed).unwrap().expose_secret(),
            CREDS
        );
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Vault::generate_key(), Vault::generate_key());
    }
}
