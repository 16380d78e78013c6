//! Where things go on screen. Drawing and the update function both use it, so that a mouse
//! click lands on the row it was drawn on and paging moves by what is visible.

use ratatui::layout::Rect;

/// The smallest terminal the UI draws in; smaller shows a message.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    /// The filter or command being typed, a message, or the banner.
    pub status: Rect,
    pub hints: Rect,
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

pub fn areas(area: Rect) -> Areas {
    let h = area.height;
    let header = Rect::new(area.x, area.y, area.width, 3.min(h));
    let body_h = h.saturating_sub(5);
    let body = Rect::new(area.x, area.y + 3, area.width, body_h);
    let status = Rect::new(
        area.x,
        area.y + 3 + body_h,
        area.width,
        1.min(h.saturating_sub(4)),
    );
    let hints = Rect::new(area.x, area.y + h.saturating_sub(1), area.width, 1.min(h));
    Areas {
        header,
        body,
        status,
        hints,
    }
}

/// Table rows that fit in the body (one line is the column header).
pub fn table_rows(area: Rect) -> usize {
    areas(area).body.height.saturating_sub(1) as usize
}
