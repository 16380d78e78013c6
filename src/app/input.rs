//! A one-line editor for the filter and the command line.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    Editing,
    Submit(String),
    Cancel,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
    /// Cursor position, in characters.
    pub cursor: usize,
    /// What is wrong with the text so far (the filter parses as you type).
    pub error: Option<String>,
}

impl LineInput {
    pub fn with(text: String) -> LineInput {
        LineInput {
            cursor: text.chars().count(),
            text,
            error: None,
        }
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Edits with a key; Enter submits, Esc cancels.
    pub fn key(&mut self, k: &KeyEvent) -> Edit {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Enter => return Edit::Submit(self.text.clone()),
            KeyCode::Esc => return Edit::Cancel,
            KeyCode::Char('c') if ctrl => return Edit::Cancel,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.chars().count(),
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            _ => {}
        }
        Edit::Editing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(l: &mut LineInput, code: KeyCode) -> Edit {
        l.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn edits_in_characters() {
        let mut l = LineInput::default();
        for c in "tépe".chars() {
            press(&mut l, KeyCode::Char(c));
        }
        press(&mut l, KeyCode::Left);
        press(&mut l, KeyCode::Backspace);
        assert_eq!(l.text, "tée");
        press(&mut l, KeyCode::Home);
        press(&mut l, KeyCode::Delete);
        assert_eq!(l.text, "ée");
        assert_eq!(press(&mut l, KeyCode::Enter), Edit::Submit("ée".into()));
        assert_eq!(press(&mut l, KeyCode::Esc), Edit::Cancel);
        press(&mut l, KeyCode::Backspace);
        press(&mut l, KeyCode::Char('\u{1b}'));
        assert_eq!(l.text, "ée");
    }
}
