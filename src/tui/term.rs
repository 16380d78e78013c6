//! The terminal, entered and always left: raw mode, the alternate screen and mouse capture are
//! undone when the guard drops, and by a panic hook that restores before the message prints.

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::layout::Size;
use std::io::{self, Stdout};
use std::sync::Once;

/// Puts the terminal back; safe to call more than once, never panics.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

pub struct Terminal {
    inner: ratatui::Terminal<CrosstermBackend<Stdout>>,
}

impl Terminal {
    pub fn enter() -> io::Result<Terminal> {
        install_panic_hook();
        enable_raw_mode()?;
        let entered = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
            .and_then(|()| ratatui::Terminal::new(CrosstermBackend::new(io::stdout())));
        match entered {
            Ok(mut inner) => {
                let _ = inner.hide_cursor();
                let _ = inner.clear();
                Ok(Terminal { inner })
            }
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    /// Gives the terminal back for `f` (an editor), then takes it again and redraws all.
    pub fn suspended<T>(&mut self, f: impl FnOnce() -> T) -> T {
        restore();
        let out = f();
        let _ = enable_raw_mode();
        let _ = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture);
        let _ = self.inner.hide_cursor();
        let _ = self.inner.clear();
        out
    }

    pub fn draw(&mut self, f: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        self.inner.draw(f).map(drop)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        restore();
    }
}
