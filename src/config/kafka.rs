//! `[kafka]`: client properties for `kafka://` sources (TLS, SASL, timeouts), and secrets read
//! from the environment rather than written in the file:
//!
//! ```toml
//! [kafka.properties]
//! "security.protocol" = "SASL_SSL"
//! "sasl.mechanism" = "SCRAM-SHA-512"
//! "sasl.username" = "ecapi-reader"
//! [kafka.from_env]
//! "sasl.password" = "KAFKA_PASSWORD"
//! ```
//!
//! Its `Debug` shows no value of a property that looks secret.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSettings {
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Property → the environment variable holding its value.
    #[serde(default)]
    pub from_env: BTreeMap<String, String>,
}

/// Whether a property's value is a secret, never to be shown.
pub fn is_secret(key: &str) -> bool {
    ["password", "secret", "token", "key"]
        .iter()
        .any(|w| key.contains(w))
}

impl KafkaSettings {
    /// Every property, the secrets read from the environment (a missing or empty variable is
    /// an error that names it, not the value).
    pub fn properties(&self) -> Result<Vec<(String, String)>, String> {
        let mut out: Vec<(String, String)> = self
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, var) in &self.from_env {
            match std::env::var(var) {
                Ok(v) if !v.is_empty() => out.push((key.clone(), v)),
                _ => {
                    return Err(format!(
                        "[kafka.from_env] {key}: environment variable {var} is not set or empty"
                    ))
                }
            }
        }
        Ok(out)
    }
}

impl std::fmt::Debug for KafkaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), if is_secret(k) { "****" } else { v.as_str() }))
            .collect();
        f.debug_struct("KafkaSettings")
            .field("properties", &shown)
            .field("from_env", &self.from_env)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_the_environment_and_are_never_shown() {
        let mut k = KafkaSettings::default();
        k.properties
            .insert("sasl.password".into(), "hunter2".into());
        k.properties
            .insert("security.protocol".into(), "SASL_SSL".into());
        let shown = format!("{k:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("SASL_SSL"),
            "{shown}"
        );
        k.from_env.insert(
            "ssl.key.password".into(),
            "ECAPI_SCOPE_TEST_NO_SUCH_VAR".into(),
        );
        let e = k.properties().unwrap_err();
        assert!(e.contains("ECAPI_SCOPE_TEST_NO_SUCH_VAR"), "{e}");
    }
}
