//! JSON paths kept as a stack while walking, rendered to text only when a finding needs one.

#[derive(Clone, Copy, Debug)]
pub enum Seg {
    Field(&'static str),
    Index(u32),
}

#[derive(Default)]
pub struct PathStack {
    segs: Vec<Seg>,
}

impl PathStack {
    #[inline]
    pub fn push(&mut self, seg: Seg) {
        self.segs.push(seg);
    }

    #[inline]
    pub fn pop(&mut self) {
        self.segs.pop();
    }

    pub fn clear(&mut self) {
        self.segs.clear();
    }

    /// Takes the stack away (to walk a batch element from `$`), to be put back with `restore`.
    pub fn take(&mut self) -> Vec<Seg> {
        std::mem::take(&mut self.segs)
    }

    pub fn restore(&mut self, segs: Vec<Seg>) {
        self.segs = segs;
    }

    /// `$.user_data.address[0].city`, with `extra` appended as a member name when given.
    /// Sized at once (a plain `extra` fits): every event of a stale capture has a path made.
    pub fn render(&self, extra: Option<&str>) -> String {
        let size = self
            .segs
            .iter()
            .map(|seg| match seg {
                Seg::Field(name) => name.len() + 1,
                Seg::Index(_) => 12,
            })
            .sum::<usize>();
        let mut out = String::with_capacity(1 + size + extra.map_or(0, |name| name.len() + 1));
        out.push('$');
        for seg in &self.segs {
            match seg {
                Seg::Field(name) => push_member(&mut out, name),
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(']');
                }
            }
        }
        if let Some(name) = extra {
            push_member(&mut out, name);
        }
        out
    }
}

/// `.name` for plain names, `["odd name"]` (JSON-escaped) for anything else, so that a hostile
/// key cannot forge a path or carry control characters.
pub fn push_member(out: &mut String, name: &str) {
    let plain = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        out.push('.');
        out.push_str(name);
    } else {
        out.push('[');
        let shown: String = name.chars().take(128).collect();
        out.push_str(&crate::jsontext::quote(&shown));
        out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_members_and_indices() {
        let mut p = PathStack::default();
        assert_eq!(p.render(None), "$");
        p.push(Seg::Field("user_data"));
        p.push(Seg::Field("address"));
        p.push(Seg::Index(0));
        assert_eq!(p.render(Some("city")), "$.user_data.address[0].city");
        assert_eq!(p.render(Some("a b")), "$.user_data.address[0][\"a b\"]");
        assert_eq!(
            p.render(Some("\u{1b}[2J")),
            "$.user_data.address[0][\"\\u001b[2J\"]"
        );
        p.pop();
        p.push(Seg::Index(u32::MAX));
        p.push(Seg::Index(10));
        assert_eq!(p.render(None), "$.user_data.address[4294967295][10]");
    }
}
