//! The daemon's configuration: built-in defaults, then a TOML file, then `OMSYNC_*` environment
//! variables, with errors that name the offending key and never echo a secret.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use serde::{Deserialize, Serialize};

const ENV_PREFIX: &str = "OMSYNC_";
/// Separates nesting levels in environment names: `OMSYNC_SYNC__INTERVAL` is `sync.interval`.
const ENV_NESTING: &str = "__";
/// The name errors from [`EnvPairs`] carry, to tell them from the file's.
const ENV_PROVIDER: &str = "environment variable";
/// Top-level keys that hold a value rather than a table.
const ENV_LEAF_KEYS: &[&str] = &["database_url", "instance_id"];
/// Top-level tables; only `OMSYNC_<TABLE>__<KEY>` reaches them, so that `OMSYNC_LOG` (the CLI's
/// log filter) is not mistaken for the `log` table.
const ENV_TABLES: &[&str] = &["credentials", "admin", "sync", "log", "platforms"];
/// Keys whose environment value stays a string: figment would otherwise read `info,sqlx=warn`
/// as a list or an all-digit instance id as a number.
const ENV_STRING_KEYS: &[&str] = &[
    "database_url",
    "instance_id",
    "credentials.key_file",
    "admin.listen",
    "log.format",
    "log.filter",
];
/// Keys whose values may hold a password and so never appear in an error.
const SECRET_KEYS: &[&str] = &["database_url"];
const REDACTED: &str = "REDACTED";
/// Below this a lease can lapse while its holder is still writing a page, letting a second
/// replica pull the same store.
const MIN_LEASE_TTL: Duration = Duration::from_secs(10);

/// The daemon's configuration: defaults, then a TOML file, then OMSYNC_* environment variables
/// (nested keys with `__`: OMSYNC_SYNC__INTERVAL=5m, OMSYNC_ADMIN__LISTEN=0.0.0.0:8080).
#[derive(Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...` (`OMSYNC_DATABASE_URL`).
    pub database_url: String,
    /// This replica's name in leases.
    pub instance_id: String,
    pub credentials: CredentialsConfig,
    pub admin: AdminConfig,
    pub sync: SyncConfig,
    pub oms: OmsConfig,
    pub log: LogConfig,
    /// Per-platform settings by slug: `[platforms.amazon] base_url = "https://sandbox..."`
    /// (`OMSYNC_PLATFORMS__AMAZON__BASE_URL`), for sandboxes and local mocks.
    pub platforms: BTreeMap<String, PlatformConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Replaces every host the connector calls (API, token and download hosts).
    pub base_url: Option<url::Url>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// A file holding the base64 32-byte key; the env var `OMSYNC_CREDENTIALS_KEY` (the key
    /// itself, base64) wins when set. Neither set is an error only when the key is needed.
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Schedule initial and incremental pulls.
    pub enabled: bool,
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    #[serde(with = "humantime_serde")]
    pub initial_lookback: Duration,
    #[serde(with = "humantime_serde")]
    pub incremental_lookback: Duration,
    /// How often due stores are looked for.
    #[serde(with = "humantime_serde")]
    pub tick: Duration,
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// Update-time cursor overlap for quota-bound stores.
    #[serde(with = "humantime_serde")]
    pub safety_margin: Duration,
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Stores pulled at once by this replica.
    pub concurrency: usize,
    /// Enforce the platforms' declared quotas.
    pub rate_limits: bool,
}

/// The OMS workers: platform-label fetches and auto-submit.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OmsConfig {
    /// "Auto-submit to warehouse after review": the longest a draft in Pending submit of a
    /// seller who turned it on waits before it is submitted.
    #[serde(with = "humantime_serde")]
    pub auto_submit_delay: Duration,
    /// Platform-label fetch attempts (with backoff) before the order goes to Exception.
    pub label_attempts: u32,
}

impl Default for OmsConfig {
    fn default() -> Self {
        OmsConfig {
            auto_submit_delay: Duration::from_secs(5 * 60),
            label_attempts: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// tracing `EnvFilter` syntax.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://omsync.db".to_owned(),
            instance_id: default_instance_id(),
            credentials: CredentialsConfig::default(),
            admin: AdminConfig::default(),
            sync: SyncConfig::default(),
            oms: OmsConfig::default(),
            log: LogConfig::default(),
            platforms: BTreeMap::new(),
        }
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            enabled: true,
        }
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        const MINUTE: u64 = 60;
        const DAY: u64 = 24 * 60 * MINUTE;
        SyncConfig {
            enabled: true,
            interval: Duration::from_secs(15 * MINUTE),
            initial_lookback: Duration::from_secs(5 * DAY),
            incremental_lookback: Duration::from_secs(2 * DAY),
            tick: Duration::from_secs(1),
            lease_ttl: Duration::from_secs(2 * MINUTE),
            safety_margin: Duration::from_secs(10 * MINUTE),
            shutdown_grace: Duration::from_secs(30),
            concurrency: 16,
            rate_limits: true,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Human,
            filter: "info".to_owned(),
        }
    }
}

/// `<hostname>-<pid>`: unique per process, and readable in the lease table.
fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "omsync".to_owned());
    format!("{host}-{}", std::process::id())
}

impl fmt::Debug for Config {
    // Hand-written so a password in the database URL never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url_redacted())
            .field("instance_id", &self.instance_id)
            .field("credentials", &self.credentials)
            .field("admin", &self.admin)
            .field("sync", &self.sync)
            .field("log", &self.log)
            .field("platforms", &self.platforms)
            .finish()
    }
}

/// A configuration key that is missing, malformed or out of range. An empty `key` means the
/// error concerns the whole file (missing, unreadable, not TOML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    fn new(key: &str, reason: impl Into<String>) -> Self {
        ConfigError {
            key: key.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "config: {}", self.reason)
        } else {
            write!(f, "config key `{}`: {}", self.key, self.reason)
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Defaults, then `file` (if Some; a missing file is an error naming the path), then the
    /// process environment. Call [`Config::validate`] on the result.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env = std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        });
        Self::load_with_env(file, env)
    }

    /// [`Config::load`] with the environment given as pairs, so tests need not mutate the
    /// process environment.
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_file() => {}
                Ok(_) => {
                    return Err(ConfigError::new(
                        "",
                        format!("config file {} is not a regular file", path.display()),
                    ))
                }
                Err(e) => {
                    return Err(ConfigError::new(
                        "",
                        format!("cannot read config file {}: {e}", path.display()),
                    ))
                }
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(EnvPairs::new(env));
        figment
            .extract::<Config>()
            .map_err(|e| from_figment(e, file))
    }

    /// Checks beyond types: things that parse but would make the daemon misbehave.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for slug in self.platforms.keys() {
            if slug.parse::<core_model::Platform>().is_err() {
                return Err(ConfigError::new(
                    &format!("platforms.{slug}"),
                    "unknown platform (slugs: amazon, shopee, tiktok-shop, ...)",
                ));
            }
        }
        match self.database_scheme().as_deref() {
            Some("sqlite") => {}
            Some("postgres" | "postgresql") => {
                // url's messages describe the fault ("invalid port number"), not the input,
                // so they are safe to show even with a password in the URL.
                if let Err(e) = url::Url::parse(&self.database_url) {
                    return Err(ConfigError::new(
                        "database_url",
                        format!("not a valid PostgreSQL URL: {e}"),
                    ));
                }
            }
            _ => {
                return Err(ConfigError::new(
                    "database_url",
                    "must start with sqlite://, postgres:// or postgresql://",
                ))
            }
        }
        if self.instance_id.trim().is_empty() {
            return Err(ConfigError::new("instance_id", "must not be empty"));
        }

        let sync = &self.sync;
        let durations = [
            ("sync.interval", sync.interval),
            ("sync.initial_lookback", sync.initial_lookback),
            ("sync.incremental_lookback", sync.incremental_lookback),
            ("sync.tick", sync.tick),
            ("sync.lease_ttl", sync.lease_ttl),
            ("sync.safety_margin", sync.safety_margin),
            ("sync.shutdown_grace", sync.shutdown_grace),
            ("oms.auto_submit_delay", self.oms.auto_submit_delay),
        ];
        for (key, value) in durations {
            if value.is_zero() {
                return Err(ConfigError::new(key, "must be greater than zero"));
            }
        }
        if self.oms.label_attempts == 0 {
            return Err(ConfigError::new("oms.label_attempts", "must be at least 1"));
        }
        if sync.incremental_lookback < sync.interval {
            return Err(ConfigError::new(
                "sync.incremental_lookback",
                format!(
                    "must be at least sync.interval ({}): a shorter lookback skips orders updated \
                     between two pulls",
                    humantime_serde::re::humantime::format_duration(sync.interval)
                ),
            ));
        }
        if sync.tick > sync.interval {
            return Err(ConfigError::new(
                "sync.tick",
                format!(
                    "must not exceed sync.interval ({})",
                    humantime_serde::re::humantime::format_duration(sync.interval)
                ),
            ));
        }
        if sync.lease_ttl < MIN_LEASE_TTL {
            return Err(ConfigError::new(
                "sync.lease_ttl",
                "must be at least 10s: a shorter lease can lapse while its replica is still \
                 pulling",
            ));
        }
        if sync.concurrency == 0 {
            return Err(ConfigError::new("sync.concurrency", "must be at least 1"));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.filter) {
            return Err(ConfigError::new(
                "log.filter",
                format!("not a valid tracing filter: {e}"),
            ));
        }
        Ok(())
    }

    /// The base-URL overrides, by platform.
    pub fn platform_base_urls(&self) -> std::collections::HashMap<core_model::Platform, url::Url> {
        self.platforms
            .iter()
            .filter_map(|(slug, p)| Some((slug.parse().ok()?, p.base_url.clone()?)))
            .collect()
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_scheme().as_deref() == Some("sqlite")
    }

    /// The database URL with any password replaced, for logs and status output.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url)
    }

    fn database_scheme(&self) -> Option<String> {
        self.database_url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase())
    }
}

fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Unparsable means we cannot tell where a password would be: hide all of it.
        return REDACTED.to_owned();
    };
    if url.password().is_some() && url.set_password(Some(REDACTED)).is_err() {
        return REDACTED.to_owned();
    }
    // libpq-style URLs may also carry the password as a query parameter.
    let has_password_param = url
        .query_pairs()
        .any(|(k, _)| k.eq_ignore_ascii_case("password"));
    if has_password_param {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    REDACTED.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// `OMSYNC_*` pairs as a figment provider. figment's own `Env` reads only the process
/// environment; this takes any pairs and keeps just the names that are config keys.
struct EnvPairs(Vec<(String, Value)>);

impl EnvPairs {
    fn new(env: impl IntoIterator<Item = (String, String)>) -> Self {
        let pairs = env
            .into_iter()
            .filter_map(|(name, raw)| {
                let key = env_config_key(&name)?;
                let value = if ENV_STRING_KEYS.contains(&key.as_str()) {
                    Value::from(raw)
                } else {
                    match raw.parse::<Value>() {
                        Ok(v) => v,
                        Err(never) => match never {},
                    }
                };
                Some((key, value))
            })
            .collect();
        EnvPairs(pairs)
    }
}

/// `OMSYNC_SYNC__INTERVAL` -> `sync.interval`; `None` for names that are not config keys.
fn env_config_key(name: &str) -> Option<String> {
    let name = name.trim();
    let prefix = name.get(..ENV_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(ENV_PREFIX) {
        return None;
    }
    let key = name[ENV_PREFIX.len()..]
        .to_ascii_lowercase()
        .replace(ENV_NESTING, ".");
    if key.split('.').any(str::is_empty) {
        return None;
    }
    let known = ENV_LEAF_KEYS.contains(&key.as_str())
        || ENV_TABLES.iter().any(|table| {
            key.strip_prefix(table)
                .is_some_and(|rest| rest.starts_with('.'))
        });
    known.then_some(key)
}

fn env_name(keys: &[&str]) -> String {
    let upper: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
    format!("{ENV_PREFIX}{}", upper.join(ENV_NESTING))
}

impl Provider for EnvPairs {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_PROVIDER).interpolater(|_: &Profile, keys: &[&str]| env_name(keys))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (key, value) in &self.0 {
            let path: Vec<&str> = key.split('.').collect();
            insert_nested(&mut dict, &path, value.clone());
        }
        Ok(Profile::Default.collect(dict))
    }
}

fn insert_nested(dict: &mut Dict, path: &[&str], value: Value) {
    match path {
        [] => {}
        [leaf] => {
            dict.insert((*leaf).to_owned(), value);
        }
        [table, rest @ ..] => {
            let entry = dict
                .entry((*table).to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if !matches!(entry, Value::Dict(..)) {
                *entry = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = entry {
                insert_nested(inner, rest, value);
            }
        }
    }
}

fn from_figment(error: figment::Error, file: Option<&Path>) -> ConfigError {
    // figment may chain several errors; the first is enough to act on.
    let Some(e) = error.into_iter().next() else {
        return ConfigError::new("", "invalid configuration");
    };
    let mut path = e.path.clone();
    let reason = match &e.kind {
        figment::error::Kind::UnknownField(field, expected) => {
            // figment usually puts the field on the path already; not always for the root.
            if path.last() != Some(field) {
                path.push(field.clone());
            }
            format!("unknown key; expected one of {}", expected.join(", "))
        }
        kind if path.is_empty() => file_error_reason(&kind.to_string()),
        kind if SECRET_KEYS
            .iter()
            .any(|k| path.first().is_some_and(|p| p == k)) =>
        {
            redacted_reason(kind)
        }
        kind => kind.to_string(),
    };
    let key = path.join(".");
    let origin = match (e.metadata.as_ref(), e.profile.as_ref()) {
        (Some(md), _) if matches!(md.source, Some(Source::File(_))) => {
            md.source.as_ref().map(|source| format!("in {source}"))
        }
        (Some(md), Some(profile)) if md.name == ENV_PROVIDER && !path.is_empty() => Some(format!(
            "from environment variable {}",
            md.interpolate(profile, &path)
        )),
        // Errors raised while reading a provider carry no metadata; the file is the only
        // provider that can fail that way.
        (None, _) if key.is_empty() => file.map(|p| format!("in {}", p.display())),
        _ => None,
    };
    match origin {
        Some(origin) => ConfigError::new(&key, format!("{reason} ({origin})")),
        None => ConfigError::new(&key, reason),
    }
}

/// A reason that says what was wrong without showing the value.
fn redacted_reason(kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    match kind {
        Kind::InvalidType(_, expected) => format!("invalid type: expected {expected}"),
        Kind::InvalidValue(_, expected) => format!("invalid value: expected {expected}"),
        _ => "invalid value".to_owned(),
    }
}

/// TOML syntax errors quote the offending source line, which may be the database URL with its
/// password: keep the position and the message, drop the quoted lines.
fn file_error_reason(message: &str) -> String {
    let kept: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_quoted_source(line))
        .collect();
    kept.join(": ")
}

fn is_quoted_source(line: &str) -> bool {
    let gutter = line.trim_start_matches(|c: char| c.is_ascii_digit());
    gutter.trim_start().starts_with('|')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn toml_file(contents: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents.as_bytes()).unwrap();
        file
    }

    fn load(contents: Option<&str>, pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let file = contents.map(toml_file);
        Config::load_with_env(file.as_ref().map(|f| f.path()), env(pairs))
    }

    #[test]
    fn defaults_are_valid() {
        let config = load(None, &[]).unwrap();
        assert_eq!(config, Config::default());
        config.validate().unwrap();
        assert!(config.is_sqlite());
        assert_eq!(config.database_url, "sqlite://omsync.db");
        assert_eq!(config.admin.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.sync.interval, Duration::from_secs(15 * 60));
        assert_eq!(config.log.format, LogFormat::Human);
        assert!(config
            .instance_id
            .ends_with(&format!("-{}", std::process::id())));
    }

    #[test]
    fn toml_overrides_defaults() {
        let config = load(
            Some(
                r#"
                database_url = "postgres://omsync@db/omsync"
                instance_id = "replica-a"
                [credentials]
                key_file = "/etc/omsync/credentials.key"
                [admin]
                listen = "0.0.0.0:9090"
                enabled = false
                [sync]
                interval = "5m"
                initial_lookback = "120h"
                concurrency = 4
                [log]
                format = "json"
                filter = "info,sqlx=warn"
                "#,
            ),
            &[],
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://omsync@db/omsync");
        assert!(!config.is_sqlite());
        assert_eq!(config.instance_id, "replica-a");
        assert_eq!(
            config.credentials.key_file.as_deref(),
            Some(Path::new("/etc/omsync/credentials.key"))
        );
        assert_eq!(config.admin.listen, "0.0.0.0:9090".parse().unwrap());
        assert!(!config.admin.enabled);
        assert_eq!(config.sync.interval, Duration::from_secs(5 * 60));
        assert_eq!(
            config.sync.initial_lookback,
            Duration::from_secs(120 * 3600)
        );
        assert_eq!(config.sync.concurrency, 4);
        // Keys the file leaves out keep their defaults.
        assert_eq!(config.sync.lease_ttl, Duration::from_secs(120));
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(config.log.filter, "info,sqlx=warn");
        config.validate().unwrap();
    }

    #[test]
    fn env_beats_toml() {
        let config = load(
            Some("database_url = \"sqlite://from-file.db\"\ninstance_id = \"file\"\n"),
            &[
                ("OMSYNC_DATABASE_URL", "postgres://u@h/db"),
                ("OMSYNC_INSTANCE_ID", "42"),
            ],
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://u@h/db");
        // An all-digit id stays a string rather than failing as a number.
        assert_eq!(config.instance_id, "42");
    }

    #[test]
    fn nested_env_keys() {
        let config = load(
            Some("[sync]\ninterval = \"10m\"\n"),
            &[
                ("OMSYNC_SYNC__INTERVAL", "5m"),
                ("OMSYNC_SYNC__CONCURRENCY", "3"),
                ("OMSYNC_SYNC__RATE_LIMITS", "false"),
                ("OMSYNC_ADMIN__LISTEN", "0.0.0.0:8080"),
                (
                    "OMSYNC_CREDENTIALS__KEY_FILE",
                    "/run/credentials/omsync/credentials.key",
                ),
                ("OMSYNC_LOG__FILTER", "debug,hyper=info"),
            ],
        )
        .unwrap();
        assert_eq!(config.sync.interval, Duration::from_secs(5 * 60));
        assert_eq!(config.sync.concurrency, 3);
        assert!(!config.sync.rate_limits);
        assert_eq!(config.admin.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(
            config.credentials.key_file.as_deref(),
            Some(Path::new("/run/credentials/omsync/credentials.key"))
        );
        assert_eq!(config.log.filter, "debug,hyper=info");
    }

    #[test]
    fn non_config_env_vars_are_ignored() {
        let config = load(
            None,
            &[
                ("OMSYNC_LOG", "debug"),
                ("OMSYNC_FIXTURES", "/srv/fixtures"),
                ("OMSYNC_CREDENTIALS_KEY", "c2VjcmV0"),
                ("DATABASE_URL", "postgres://elsewhere/db"),
            ],
        )
        .unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn unknown_nested_env_key_is_rejected() {
        let err = load(None, &[("OMSYNC_SYNC__INTERVL", "5m")]).unwrap_err();
        assert_eq!(err.key, "sync.intervl");
        assert!(err.reason.contains("unknown key"), "{err}");
    }

    #[test]
    fn bad_duration_names_sync_interval() {
        let err = load(Some("[sync]\ninterval = \"soon\"\n"), &[]).unwrap_err();
        assert_eq!(err.key, "sync.interval");
        assert!(err.to_string().starts_with("config key `sync.interval`: "));

        let err = load(None, &[("OMSYNC_SYNC__INTERVAL", "fortnight")]).unwrap_err();
        assert_eq!(err.key, "sync.interval");
        assert!(err.reason.contains("OMSYNC_SYNC__INTERVAL"), "{err}");
    }

    #[test]
    fn unknown_key_in_file_is_rejected() {
        let err = load(Some("[sync]\nintervall = \"5m\"\n"), &[]).unwrap_err();
        assert_eq!(err.key, "sync.intervall");
        assert!(err.reason.starts_with("unknown key"), "{err}");

        let err = load(Some("colour = \"blue\"\n"), &[]).unwrap_err();
        assert_eq!(err.key, "colour");
    }

    #[test]
    fn bad_listen_address_names_admin_listen() {
        let err = load(Some("[admin]\nlisten = \"localhost\"\n"), &[]).unwrap_err();
        assert_eq!(err.key, "admin.listen");
        assert!(err.to_string().contains("`admin.listen`"));
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.toml");
        let err = Config::load_with_env(Some(&path), []).unwrap_err();
        assert!(err.reason.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn validation_errors_name_the_key() {
        fn invalid(change: impl FnOnce(&mut Config)) -> String {
            let mut config = Config::default();
            change(&mut config);
            config.validate().unwrap_err().key
        }
        assert_eq!(
            invalid(|c| c.database_url = "mysql://h/db".into()),
            "database_url"
        );
        assert_eq!(
            invalid(|c| c.database_url = "omsync.db".into()),
            "database_url"
        );
        assert_eq!(invalid(|c| c.instance_id = " ".into()), "instance_id");
        assert_eq!(
            invalid(|c| c.sync.safety_margin = Duration::ZERO),
            "sync.safety_margin"
        );
        assert_eq!(
            invalid(|c| c.sync.shutdown_grace = Duration::ZERO),
            "sync.shutdown_grace"
        );
        assert_eq!(
            invalid(|c| c.sync.incremental_lookback = Duration::from_secs(60)),
            "sync.incremental_lookback"
        );
        assert_eq!(invalid(|c| c.sync.concurrency = 0), "sync.concurrency");
        assert_eq!(
            invalid(|c| c.sync.lease_ttl = Duration::from_secs(9)),
            "sync.lease_ttl"
        );
        assert_eq!(
            invalid(|c| c.sync.tick = Duration::from_secs(16 * 60)),
            "sync.tick"
        );
        assert_eq!(invalid(|c| c.log.filter = "[[".into()), "log.filter");

        let postgres = Config {
            database_url: "postgresql://u:p@db:5432/omsync".into(),
            ..Config::default()
        };
        postgres.validate().unwrap();
        assert!(!postgres.is_sqlite());
    }

    #[test]
    fn debug_hides_database_password() {
        let config = Config {
            database_url: "postgres://u:secret@h/db".into(),
            ..Config::default()
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("postgres://u:REDACTED@h/db"), "{debug}");

        let in_query = Config {
            database_url: "postgres://h/db?user=u&password=secret".into(),
            ..Config::default()
        };
        assert!(!format!("{in_query:?}").contains("secret"));
    }

    #[test]
    fn errors_never_show_the_database_url() {
        let err = load(Some("database_url = \"postgres://u:secret@h/db\n"), &[]).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");

        let err = load(Some("database_url = [\"postgres://u:secret@h/db\"]\n"), &[]).unwrap_err();
        assert_eq!(err.key, "database_url");
        assert!(!err.to_string().contains("secret"), "{err}");

        let mut config = Config {
            database_url: "mysql://u:secret@h/db".into(),
            ..Config::default()
        };
        assert!(!config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("secret"));
        config.database_url = "postgres://u:secret@h:port/db".into();
        assert!(!config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("secret"));
    }
}
