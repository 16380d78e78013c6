//! The help overlay, generated from the keymap and the filter language's own table.

use super::theme::Theme;
use super::views::popup;
use crate::app::keymap::{Action, Scope};
use crate::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub struct Help<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
    pub scroll: usize,
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines = Vec::new();
        for (scope, title) in [
            (Scope::Everywhere, "Everywhere"),
            (Scope::Lists, "Moving"),
            (Scope::Live, "Live view"),
            (Scope::Detail, "Event detail"),
            (Scope::Analysis, "Funnel, Problems, Duplicates"),
        ] {
            lines.push(Line::from(Span::styled(title, t.title)));
            for a in Action::ALL.iter().filter(|a| a.scope() == scope) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<16}", self.app.keymap.keys_of(*a)), t.key),
                    Span::styled(a.describe(), t.text),
                ]));
            }
            lines.push(Line::default());
        }
        lines.push(Line::from(Span::styled(
            "Filter (/): terms joined by AND",
            t.title,
        )));
        for (key, what) in crate::filter::KEYS {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", format!("{key}:")), t.key),
                Span::styled(*what, t.text),
            ]));
        }
        for (key, what) in [
            (
                "text",
                "part of the payload (any case unless it has capitals)",
            ),
            ("\"two words\"", "quoted text or values"),
            ("-term", "negates a term"),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<16}"), t.key),
                Span::styled(what, t.text),
            ]));
        }
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "Keys can be changed in the config file's [keys] table.",
            t.dim,
        )));
        let height = (lines.len() as u16 + 2).min(area.height);
        let inner = popup(area, 100, height, "Keys — esc closes, j/k scroll", buf, t);
        let scroll = self
            .scroll
            .min(lines.len().saturating_sub(inner.height as usize));
        Paragraph::new(lines)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .render(inner, buf);
    }
}
