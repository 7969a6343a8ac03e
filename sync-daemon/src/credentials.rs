//! Credentials files: read for `omsync pull`, and rewritten when a platform rotates the
//! refresh token, so a single-use refresh token is never lost.

use std::path::{Path, PathBuf};

use anyhow::Context;
use async_trait::async_trait;
use connector_kit::{ExposeSecret, TokenGrant, TokenSink};
use core_model::MarketplaceError;

/// Read a credentials JSON file; errors name the file, never its contents.
pub fn read(path: &Path) -> anyhow::Result<serde_json::Value> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read credentials file {}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "credentials file {} is not valid JSON (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Puts a refreshed access token, and the refresh token when the platform rotated it, into a
/// credentials object under the keys every connector reads. `None` when it is not an object.
pub fn apply_grant(value: &mut serde_json::Value, grant: &TokenGrant) -> Option<()> {
    let obj = value.as_object_mut()?;
    if let Some(refresh) = &grant.refresh_token {
        obj.insert("refresh_token".into(), refresh.expose_secret().into());
    }
    obj.insert(
        "access_token".into(),
        grant.access_token.expose_secret().into(),
    );
    Some(())
}

/// Writes rotated tokens back into the credentials file (atomically: temp file + rename).
#[derive(Debug)]
pub struct FileTokenSink {
    path: PathBuf,
}

impl FileTokenSink {
    pub fn new(path: PathBuf) -> Self {
        FileTokenSink { path }
    }

    fn write(&self, grant: &TokenGrant) -> anyhow::Result<()> {
        let mut value = read(&self.path)?;
        apply_grant(&mut value, grant).context("credentials file is not a JSON object")?;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("credentials")
        ));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&value)?)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }
}

#[async_trait]
impl TokenSink for FileTokenSink {
    async fn rotated(&self, grant: &TokenGrant) -> Result<(), MarketplaceError> {
        self.write(grant).map_err(|e| {
            MarketplaceError::permanent(format!(
                "the platform rotated the refresh token but {} could not be updated: {e:#}",
                self.path.display()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_kit::SecretString;

    #[tokio::test]
    async fn rotation_rewrites_the_file_and_keeps_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.json");
        std::fs::write(&path, r#"{"partner_id": 2001887, "refresh_token": "old"}"#).unwrap();
        let sink = FileTokenSink::new(path.clone());
        sink.rotated(&TokenGrant {
            access_token: SecretString::from("new-access".to_owned()),
            expires_in: None,
            refresh_token: Some(SecretString::from("new-refresh".to_owned())),
        })
        .await
        .unwrap();
        let v = read(&path).unwrap();
        assert_eq!(v["refresh_token"], "new-refresh");
        assert_eq!(v["access_token"], "new-access");
        assert_eq!(v["partner_id"], 2001887);
        assert!(format!("{sink:?}").contains("shop.json"));

        std::fs::write(&path, "{not json").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("not valid JSON"), "{err}");
    }
}
