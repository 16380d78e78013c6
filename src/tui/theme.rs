//! Themes: TOML files of named styles (`themes/*.toml`, embedded), loaded into one [`Theme`].
//! A user theme may set only some styles; the rest come from the dark default. `NO_COLOR`
//! keeps the modifiers (bold, reversed) and drops every colour.

use crate::ecapi::codes::Severity;
use crate::engine::report::Status;
use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::str::FromStr;

const DARK: &str = include_str!("../../themes/dark.toml");
const LIGHT: &str = include_str!("../../themes/light.toml");
const HIGH_CONTRAST: &str = include_str!("../../themes/high-contrast.toml");

pub const BUILT_IN: [(&str, &str); 3] = [
    ("dark", DARK),
    ("light", LIGHT),
    ("high-contrast", HIGH_CONTRAST),
];

macro_rules! styles {
    ($($name:ident),* $(,)?) => {
        /// Every named style of a theme.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct Theme { $(pub $name: Style,)* pub name: String }

        const NAMES: &[&str] = &[$(stringify!($name)),*];

        impl Theme {
            fn set(&mut self, name: &str, style: Style) -> bool {
                match name {
                    $(stringify!($name) => self.$name = style,)*
                    _ => return false,
                }
                true
            }

            fn map(&mut self, f: impl Fn(Style) -> Style) {
                $(self.$name = f(self.$name);)*
            }
        }
    };
}

styles!(
    text,
    dim,
    title,
    tab,
    tab_active,
    header,
    label,
    selected,
    column,
    ok,
    warning,
    error,
    malformed,
    info,
    duplicate,
    mark,
    key,
    hint,
    message,
    banner,
    input,
    input_error,
    sparkline,
    diff_add,
    diff_del,
    json_key,
    json_string,
    json_number,
    json_literal,
    json_punct,
    finding_line,
    finding_value,
    gutter,
);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    styles: BTreeMap<String, String>,
}

/// `bold yellow on blue`, `#ff8800`, `reversed`, `none`.
pub fn parse_style(text: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        let lower = w.to_ascii_lowercase();
        let modifier = match lower.as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underlined" => Some(Modifier::UNDERLINED),
            "reversed" => Some(Modifier::REVERSED),
            "none" => Some(Modifier::empty()),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
            continue;
        }
        if lower == "on" {
            let bg = words
                .next()
                .ok_or_else(|| format!("{text:?}: `on` needs a colour after it"))?;
            style = style.bg(colour(bg)?);
            continue;
        }
        style = style.fg(colour(w)?);
    }
    Ok(style)
}

fn colour(text: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| {
        format!("unknown colour {text:?}: use a name (red, lightblue, darkgray…), #rrggbb or 0-255")
    })
}

impl Theme {
    /// Loads a theme by built-in name or path. `no_color` drops every colour.
    pub fn load(name_or_path: Option<&str>, no_color: bool) -> Result<Theme, String> {
        let mut theme = Theme::parse(DARK, "themes/dark.toml")?;
        if let Some(choice) = name_or_path {
            let (text, shown) = match BUILT_IN.iter().find(|(n, _)| *n == choice) {
                Some((_, text)) => ((*text).to_owned(), format!("themes/{choice}.toml")),
                None => {
                    let text = std::fs::read_to_string(choice).map_err(|e| {
                        let names: Vec<_> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                        format!(
                            "theme {choice:?}: {e} (built-in themes: {})",
                            names.join(", ")
                        )
                    })?;
                    (text, choice.to_owned())
                }
            };
            theme.apply(&text, &shown)?;
        }
        if no_color {
            theme.map(|s| Style {
                fg: None,
                bg: None,
                underline_color: None,
                ..s
            });
            theme.selected = theme.selected.add_modifier(Modifier::REVERSED);
            theme.finding_value = theme.finding_value.add_modifier(Modifier::UNDERLINED);
        }
        Ok(theme)
    }

    pub fn parse(text: &str, shown: &str) -> Result<Theme, String> {
        let mut t = Theme::default();
        t.apply(text, shown)?;
        Ok(t)
    }

    fn apply(&mut self, text: &str, shown: &str) -> Result<(), String> {
        let file: ThemeFile =
            toml::from_str(text).map_err(|e| format!("theme {shown}: {}", e.message()))?;
        if let Some(n) = file.name {
            self.name = n;
        }
        for (key, value) in &file.styles {
            let style = parse_style(value)
                .map_err(|e| format!("theme {shown}: key `styles.{key}`: {e}"))?;
            if !self.set(key, style) {
                let hint = crate::ecapi::suggest::closest(key, NAMES.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "theme {shown}: key `styles.{key}`: no such style{hint}"
                ));
            }
        }
        Ok(())
    }

    pub fn status(&self, s: Status) -> Style {
        match s {
            Status::Ok => self.ok,
            Status::Warning => self.warning,
            Status::Error => self.error,
            Status::Malformed => self.malformed,
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Info => self.info,
            Severity::Warning => self.warning,
            Severity::Error => self.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_sets_every_style() {
        for (name, text) in BUILT_IN {
            let file: ThemeFile = toml::from_str(text).unwrap();
            for style in NAMES {
                assert!(file.styles.contains_key(*style), "{name} lacks {style}");
            }
            Theme::load(Some(name), false).unwrap();
        }
    }

    #[test]
    fn styles_parse() {
        let s = parse_style("bold yellow on #102030").unwrap();
        assert_eq!(s.fg, Some(Color::Yellow));
        assert_eq!(s.bg, Some(Color::Rgb(0x10, 0x20, 0x30)));
        assert!(s.add_modifier.contains(Modifier::BOLD));
        assert_eq!(parse_style("42").unwrap().fg, Some(Color::Indexed(42)));
        assert!(parse_style("blod").is_err());
        assert!(parse_style("red on").is_err());
    }

    #[test]
    fn bad_theme_files_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "[styles]\nerror = \"redd\"\n").unwrap();
        let e = Theme::load(path.to_str(), false).unwrap_err();
        assert!(e.contains("mine.toml") && e.contains("styles.error"), "{e}");
        std::fs::write(&path, "[styles]\neror = \"red\"\n").unwrap();
        let e = Theme::load(path.to_str(), false).unwrap_err();
        assert!(e.contains("did you mean `error`"), "{e}");
        std::fs::write(&path, "[styles]\nerror = \"bold red\"\n").unwrap();
        let t = Theme::load(path.to_str(), false).unwrap();
        assert_eq!(t.error.fg, Some(Color::Red));
        assert_eq!(t.ok, Theme::load(None, false).unwrap().ok);
        assert!(Theme::load(Some("nope"), false)
            .unwrap_err()
            .contains("built-in"));
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::load(None, true).unwrap();
        assert_eq!(t.error.fg, None);
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
        assert!(t.title.add_modifier.contains(Modifier::BOLD));
    }
}
