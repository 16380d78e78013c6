//! Per-code severity overrides, as linters have them (clippy's `-W`/`-A`, ESLint's rule
//! levels): the config file's `[severity]` table and `--severity CODE=LEVEL`. The engine
//! applies them to every finding as it commits an event, so status, `--fail-on`, aggregates
//! and every output see the same effective severity.

use crate::ecapi::codes::{Code, Severity, RULES};
use crate::ecapi::suggest::closest;
use crate::engine::report::Finding;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "off" => Some(Level::Off),
            "info" => Some(Level::Info),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Info => Some(Severity::Info),
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }

    fn of(s: Severity) -> Level {
        match s {
            Severity::Info => Level::Info,
            Severity::Warning => Level::Warning,
            Severity::Error => Level::Error,
        }
    }
}

/// Where an override came from, for `rules`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The config file at this path.
    Config(String),
    /// `--severity` on the command line.
    Flag,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Config(path) => write!(f, "config {path}"),
            Source::Flag => f.write_str("--severity"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    by_code: Vec<Option<(Level, Source)>>,
    any: bool,
}

/// `ip_not_public`, or an error with a did-you-mean.
pub fn parse_code(name: &str) -> Result<Code, String> {
    Code::parse(name).ok_or_else(|| {
        let hint = closest(name, RULES.iter().map(|r| r.name))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        format!("unknown finding code `{name}`{hint}; `ecapi-scope rules` lists them")
    })
}

pub fn parse_level(text: &str) -> Result<Level, String> {
    Level::parse(text).ok_or_else(|| {
        format!("unknown severity {text:?}: expected \"error\", \"warning\", \"info\" or \"off\"")
    })
}

impl Overrides {
    pub fn set(&mut self, code: Code, level: Level, source: Source) {
        if self.by_code.len() < RULES.len() {
            self.by_code.resize(RULES.len(), None);
        }
        self.by_code[code as usize] = Some((level, source));
        self.any = true;
    }

    /// `CODE=LEVEL`, as `--severity` takes it.
    pub fn set_from_flag(&mut self, text: &str) -> Result<(), String> {
        let (code, level) = text.split_once('=').ok_or_else(|| {
            format!("--severity {text:?}: expected CODE=LEVEL, e.g. ip_not_public=error")
        })?;
        let code = parse_code(code.trim()).map_err(|e| format!("--severity {text:?}: {e}"))?;
        let level = parse_level(level.trim()).map_err(|e| format!("--severity {text:?}: {e}"))?;
        self.set(code, level, Source::Flag);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        !self.any
    }

    /// The level in force for a code, and where it came from (`None`: the default).
    pub fn get(&self, code: Code) -> (Level, Option<&Source>) {
        match self.by_code.get(code as usize).and_then(Option::as_ref) {
            Some((level, source)) => (*level, Some(source)),
            None => (Level::of(code.severity()), None),
        }
    }

    /// The severity in force for a code; `None` when it is off.
    pub fn severity(&self, code: Code) -> Option<Severity> {
        self.get(code).0.severity()
    }

    /// Gives each finding its severity in force and drops those turned off.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        if !self.any {
            return;
        }
        findings.retain_mut(|f| match self.severity(f.code) {
            Some(s) => {
                f.severity = s;
                true
            }
            None => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: Code) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            path: "$".into(),
            value: None,
            message: String::new().into(),
            hint: None,
        }
    }

    #[test]
    fn overrides_raise_lower_and_silence() {
        let mut o = Overrides::default();
        o.set_from_flag("ip_not_public=error").unwrap();
        o.set_from_flag("id_missing = off").unwrap();
        let mut f = vec![
            finding(Code::IpNotPublic),
            finding(Code::IdMissing),
            finding(Code::CurrencyMissing),
        ];
        o.apply(&mut f);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[1].severity, Code::CurrencyMissing.severity());
        assert_eq!(o.get(Code::IpNotPublic).1, Some(&Source::Flag));
        assert_eq!(o.get(Code::CurrencyMissing).1, None);
    }

    #[test]
    fn bad_overrides_are_clear() {
        let mut o = Overrides::default();
        let e = o.set_from_flag("ip_not_publik=error").unwrap_err();
        assert!(e.contains("did you mean `ip_not_public`"), "{e}");
        assert!(o
            .set_from_flag("ip_not_public=fatal")
            .unwrap_err()
            .contains("expected"));
        assert!(o
            .set_from_flag("ip_not_public")
            .unwrap_err()
            .contains("CODE=LEVEL"));
        assert!(o.is_empty());
    }
}
