//! "Did you mean": the closest known name to a misspelt one.

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), giving up
/// early once every cell of a row exceeds `limit`.
pub fn distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = best;
            row_min = row_min.min(best);
        }
        if row_min > limit {
            return None;
        }
    }
    let d = rows[a.len() % 3][b.len()];
    (d <= limit).then_some(d)
}

/// The candidate closest to `name`: one edit for short names, two for longer ones, and only
/// when the best match is unambiguous.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    let mut best: Option<(&str, usize)> = None;
    let mut tied = false;
    for candidate in candidates {
        if let Some(d) = distance(name, candidate, limit) {
            match best {
                Some((_, bd)) if d > bd => {}
                Some((_, bd)) if d == bd => tied = true,
                _ => {
                    best = Some((candidate, d));
                    tied = false;
                }
            }
        }
    }
    match best {
        Some((c, _)) if !tied => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting", 3), Some(3));
        assert_eq!(distance("curency_code", "currency_code", 2), Some(1));
        assert_eq!(distance("evnet_type", "event_type", 2), Some(1));
        assert_eq!(distance("abc", "xyzabc", 2), None);
        assert_eq!(distance("", "", 0), Some(0));
    }

    #[test]
    fn closest_is_unambiguous() {
        let names = ["value", "source", "currency_code"];
        assert_eq!(closest("valeu", names), Some("value"));
        assert_eq!(closest("sourse", names), Some("source"));
        assert_eq!(closest("xx", names), None);
        assert_eq!(closest("ab", ["ac", "ad"]), None);
    }
}
