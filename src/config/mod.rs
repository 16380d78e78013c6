//! Resolved settings: defaults, overridden by the TOML config file, overridden by flags.
//! Bad configuration is reported with the file, the key and what was expected.

pub mod kafka;

use crate::ecapi::event_type::EventType;
use crate::engine::stage::{Stage, StageMap};
use crate::engine::time::parse_duration;
use crate::engine::EngineConfig;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Default longest record accepted: 16 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path}: key `{key}`: {message}")]
    Value {
        path: String,
        key: String,
        message: String,
    },
}

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    batch_key: Option<String>,
    max_line_bytes: Option<usize>,
    dedup_window: Option<String>,
    max_age: Option<String>,
    clock_skew: Option<String>,
    #[serde(default)]
    stages: StagesSection,
    /// TUI key overrides, `action = "key"`; resolved by the TUI (`app::keymap`).
    #[serde(default)]
    keys: BTreeMap<String, toml::Value>,
    /// TUI theme: a built-in name or a path.
    theme: Option<String>,
    /// Per-code severity: `ip_not_public = "error"`.
    #[serde(default)]
    severity: BTreeMap<String, toml::Value>,
    #[serde(default)]
    replay: ReplaySettings,
    #[serde(default)]
    kafka: kafka::KafkaSettings,
}

/// `[replay]`: where replays go and what they carry. Its `Debug` masks the token.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaySettings {
    /// The target when `--to` is not given.
    pub to: Option<String>,
    /// Hosts replays may go to besides loopback: `host`, `host:port`, `*.domain`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// The environment variable holding the bearer token.
    pub token_env: Option<String>,
    /// The bearer token itself (keep the file owner-only).
    pub token: Option<String>,
    /// Extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

impl std::fmt::Debug for ReplaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaySettings")
            .field("to", &self.to)
            .field("allow", &self.allow)
            .field("token_env", &self.token_env)
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
struct StagesSection {
    #[serde(flatten)]
    by_type: BTreeMap<String, toml::Value>,
}

/// Settings in force.
#[derive(Clone, Debug)]
pub struct Settings {
    pub engine: EngineConfig,
    pub max_line_bytes: usize,
    /// The TUI's `[keys]` table as written, and the file it came from (for errors).
    pub keys: BTreeMap<String, toml::Value>,
    pub theme: Option<String>,
    pub path: Option<String>,
    pub replay: ReplaySettings,
    pub kafka: kafka::KafkaSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            engine: EngineConfig::default(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            keys: BTreeMap::new(),
            theme: None,
            path: None,
            replay: ReplaySettings::default(),
            kafka: kafka::KafkaSettings::default(),
        }
    }
}

impl Settings {
    /// Defaults, with the file at `path` applied when given.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        if let Some(path) = path {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
                path: shown.clone(),
                error,
            })?;
            settings.apply_toml(&text, &shown)?;
        }
        Ok(settings)
    }

    /// Applies a config file's text; `path` names it in errors.
    pub fn apply_toml(&mut self, text: &str, path: &str) -> Result<(), ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: parse_message(text, &e),
        })?;
        let bad = |key: &str, message: String| ConfigError::Value {
            path: match line_of(text, key) {
                Some(n) => format!("{path}, line {n}"),
                None => path.to_owned(),
            },
            key: key.to_owned(),
            message,
        };
        let duration = |key: &str, v: &Option<String>| -> Result<Option<Duration>, ConfigError> {
            v.as_deref()
                .map(|t| {
                    parse_duration(t).ok_or_else(|| {
                        bad(
                            key,
                            format!("expected a duration like 48h, 30m or 7d, got {t:?}"),
                        )
                    })
                })
                .transpose()
        };
        self.path = Some(path.to_owned());
        self.keys = file.keys;
        self.replay = file.replay;
        self.kafka = file.kafka;
        if let Some(t) = file.theme {
            self.theme = Some(t);
        }
        if let Some(k) = file.batch_key {
            self.engine.walk.batch_key = k;
        }
        if let Some(n) = file.max_line_bytes {
            if n == 0 {
                return Err(bad("max_line_bytes", "must be more than 0".into()));
            }
            self.max_line_bytes = n;
        }
        if let Some(d) = duration("dedup_window", &file.dedup_window)? {
            self.engine.dedup_window = Some(d);
        }
        if let Some(d) = duration("max_age", &file.max_age)? {
            self.engine.walk.max_age_secs = secs(d);
        }
        if let Some(d) = duration("clock_skew", &file.clock_skew)? {
            self.engine.walk.skew_secs = secs(d);
        }
        for (name, value) in &file.severity {
            let key = format!("severity.{name}");
            let code = crate::engine::severity::parse_code(name).map_err(|e| bad(&key, e))?;
            let level = value
                .as_str()
                .ok_or_else(|| "expected \"error\", \"warning\", \"info\" or \"off\"".to_owned())
                .and_then(crate::engine::severity::parse_level)
                .map_err(|e| bad(&key, e))?;
            self.engine.severity.set(
                code,
                level,
                crate::engine::severity::Source::Config(path.to_owned()),
            );
        }
        apply_stages(&mut self.engine.stages, &file.stages.by_type, &bad)
    }
}

/// The line (1-based) where `key` (`a.b.c`: its last part, under its table) is set.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (table, name) = match key.rsplit_once('.') {
        Some((t, n)) => (Some(t), n),
        None => (None, key),
    };
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(t) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            current = Some(t.trim().to_owned());
            continue;
        }
        let Some((k, _)) = l.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_matches('"');
        if k == name && current.as_deref() == table {
            return Some(i + 1);
        }
    }
    None
}

/// A TOML error as people read it: where (line, column), which key, and what was expected in
/// words rather than Rust types.
fn parse_message(text: &str, e: &toml::de::Error) -> String {
    let message = e
        .message()
        .replace("expected usize", "expected a positive integer")
        .replace("expected u64", "expected a positive integer")
        .replace("expected a string", "expected a quoted string");
    let Some(span) = e.span() else {
        return message;
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match key {
        Some(k) => format!("line {line}, column {column}: key `{k}`: {message}"),
        None => format!("line {line}, column {column}: {message}"),
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn stage_of(v: &toml::Value) -> Option<Stage> {
    v.as_str().and_then(Stage::parse)
}

fn apply_stages(
    map: &mut StageMap,
    entries: &BTreeMap<String, toml::Value>,
    bad: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    const EXPECTED: &str = "expected \"upper\", \"mid\", \"lower\" or \"custom\"";
    for (name, value) in entries {
        if name == "custom" {
            let table = value.as_table().ok_or_else(|| {
                bad(
                    "stages.custom",
                    "expected a table of custom_event names".into(),
                )
            })?;
            for (custom, v) in table {
                let stage = stage_of(v).ok_or_else(|| {
                    bad(
                        &format!("stages.custom.{custom}"),
                        format!("{EXPECTED}, got {v}"),
                    )
                })?;
                map.set_custom(custom, stage);
            }
            continue;
        }
        let key = format!("stages.{name}");
        let t =
            EventType::parse(name).ok_or_else(|| bad(&key, "not an ECAPI event type".into()))?;
        let stage = stage_of(value).ok_or_else(|| bad(&key, format!("{EXPECTED}, got {value}")))?;
        map.set(t, stage);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_every_key() {
        let mut s = Settings::default();
        s.apply_toml(
            r#"
batch_key = "data"
max_line_bytes = 1024
dedup_window = "48h"
max_age = "2d"
clock_skew = "1m"
[stages]
sign_up = "lower"
[stages.custom]
quote_requested = "mid"
"#,
            "test.toml",
        )
        .unwrap();
        assert_eq!(s.engine.walk.batch_key, "data");
        assert_eq!(s.max_line_bytes, 1024);
        assert_eq!(s.engine.dedup_window, Some(Duration::from_secs(172_800)));
        assert_eq!(s.engine.walk.max_age_secs, 172_800);
        assert_eq!(s.engine.walk.skew_secs, 60);
        let t = |n| EventType::parse(n).unwrap();
        assert_eq!(s.engine.stages.stage(t("sign_up"), None), Stage::Lower);
        assert_eq!(
            s.engine.stages.stage(t("custom"), Some("quote_requested")),
            Stage::Mid
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let err = |text: &str| {
            Settings::default()
                .apply_toml(text, "c.toml")
                .unwrap_err()
                .to_string()
        };
        assert!(err("[stages]\npurchase = \"bottom\"")
            .contains("c.toml, line 2: key `stages.purchase`"));
        assert!(err("[stages]\nbuy = \"lower\"").contains("stages.buy"));
        assert!(err("dedup_window = \"soon\"").contains("key `dedup_window`"));
        assert!(err("colour = 1").contains("c.toml"));
        assert!(err("max_line_bytes = 0").contains("max_line_bytes"));
    }
}
