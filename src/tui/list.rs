//! What the analysis views' lists share: a title line above the table, a note when the list
//! is empty, and which rows are shown so that the selected one stays in view.

use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Widget};

/// Draws `title` on the first line of `area`; the rest of the area.
pub fn titled(title: Line, area: Rect, buf: &mut Buffer) -> Rect {
    Paragraph::new(title).render(Rect { height: 1, ..area }, buf);
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    }
}

/// A sorted list's title line: what it is, its order, what Enter does, and (warning) what it
/// could not hold.
pub fn sorted_title(
    what: String,
    (sort, descending): (&str, bool),
    enter: &str,
    overflow: Option<String>,
    t: &Theme,
) -> Line<'static> {
    let mut spans = vec![
        Span::styled(what, t.title),
        Span::styled(
            format!("  sorted by {sort}{}", if descending { "▼" } else { "▲" }),
            t.key,
        ),
        Span::styled(format!("  {enter}"), t.dim),
    ];
    if let Some(o) = overflow {
        spans.push(Span::styled(format!("  {o}"), t.warning));
    }
    Line::from(spans)
}

/// Under the table's header: what an empty list means.
pub fn empty(note: &str, style: Style, area: Rect, buf: &mut Buffer) {
    let r = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    Paragraph::new(Span::styled(note.to_owned(), style)).render(r, buf);
}

/// The first row shown when `pos` is selected and `height` rows (the header included) fit.
pub fn first_shown(pos: usize, height: u16) -> usize {
    (pos + 1).saturating_sub(height.saturating_sub(1) as usize)
}

/// Rows shown under a header in `height` lines.
pub fn shown(height: u16) -> usize {
    height.saturating_sub(1) as usize
}

/// The row styled as selected or not.
pub fn styled<'a>(row: Row<'a>, selected: bool, t: &Theme) -> Row<'a> {
    row.style(if selected { t.selected } else { t.text })
}
