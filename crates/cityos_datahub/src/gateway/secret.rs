//! Upstream credentials at rest: AES-256-GCM under a key derived from the
//! server's seal key, bound to the service's id (as associated data), so a
//! copied database row alone reveals nothing and a ciphertext moved to another
//! service does not open. The API never returns them.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore as _;

const PREFIX: &str = "v1:";

/// Seals and opens upstream credentials.
#[derive(Clone)]
pub struct SecretBox([u8; 32]);

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

impl SecretBox {
    /// The box whose key derives from `seal_key`.
    #[must_use]
    pub fn derive(seal_key: &[u8]) -> Self {
        Self(super::log::derive_key(seal_key, b"cityos/gateway/upstream-credentials/v1"))
    }

    /// Encrypts `secret` for service `service_id`: `v1:` + hex(nonce ‖ ciphertext).
    ///
    /// # Errors
    /// Only if the cipher fails, which it does not for inputs this size.
    pub fn seal(&self, service_id: &str, secret: &str) -> Result<String, aes_gcm::Error> {
        let cipher = Aes256Gcm::new(&self.0.into());
        let mut nonce = [0_u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: service_id.as_bytes() })?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// Decrypts what [`Self::seal`] made for `service_id`; `None` when it was
    /// sealed under another key (the seal key changed) or for another service.
    #[must_use]
    pub fn open(&self, service_id: &str, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(12);
        let cipher = Aes256Gcm::new(&self.0.into());
        let plain = cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: service_id.as_bytes() }).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_to_service_and_key() {
        let b = SecretBox::derive(b"seal");
        let sealed = b.seal("svc-1", "Bearer s3cret").unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("s3cret"));
        assert_ne!(sealed, b.seal("svc-1", "Bearer s3cret").unwrap(), "fresh nonce each time");
        assert_eq!(b.open("svc-1", &sealed).as_deref(), Some("Bearer s3cret"));
        assert_eq!(b.open("svc-2", &sealed), None);
        assert_eq!(SecretBox::derive(b"other").open("svc-1", &sealed), None);
        assert_eq!(b.open("svc-1", "v1:00"), None);
        assert_eq!(b.open("svc-1", "plain"), None);
    }
}
