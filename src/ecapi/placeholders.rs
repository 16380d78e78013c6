//! Digests of placeholder texts (`""`, `null`, `test@example.com`, …) that senders hash when
//! the real value is unknown, and the look-up that recognises them.

use crate::ecapi::normalize::sha256_hex;
use std::sync::OnceLock;

/// Texts senders hash when the real value is unknown; their digests match unrelated users.
const PLACEHOLDERS: &[&str] = &[
    "",
    "null",
    "undefined",
    "none",
    "nil",
    "nan",
    "n/a",
    "na",
    "unknown",
    "0",
    "-",
    "+",
    "test",
    "false",
    "true",
    "[object object]",
    "{}",
    "[]",
    "\"\"",
    "email",
    "phone",
    "noemail",
    "test@test.com",
    "test@example.com",
    "noemail@noemail.com",
    "no@email.com",
];

/// Placeholder digests, sorted, with their first 8 hex characters as a number for a quick
/// rejection without string comparisons, and a 1,024-bit filter of those numbers, so that a
/// real digest (nearly every one) is turned away by one bit test.
struct PlaceholderDigests {
    filter: [u64; 16],
    sorted: Vec<(u64, String, &'static str)>,
}

fn filter_bit(head: u64) -> (usize, u64) {
    // The head is eight hex characters' bytes: mixed, or its low bits take 16 values only.
    let n = (head.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize;
    (n / 64, 1 << (n % 64))
}

fn placeholder_digests() -> &'static PlaceholderDigests {
    static DIGESTS: OnceLock<PlaceholderDigests> = OnceLock::new();
    DIGESTS.get_or_init(|| {
        let mut sorted: Vec<_> = PLACEHOLDERS
            .iter()
            .map(|p| {
                let d = sha256_hex(p);
                (head_of(&d).unwrap_or(0), d, *p)
            })
            .collect();
        sorted.sort();
        let mut filter = [0u64; 16];
        for (head, _, _) in &sorted {
            let (word, bit) = filter_bit(*head);
            filter[word] |= bit;
        }
        PlaceholderDigests { filter, sorted }
    })
}

fn head_of(digest: &str) -> Option<u64> {
    let bytes: [u8; 8] = digest.as_bytes().get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The placeholder text whose SHA-256 is `digest` (lower-case hex), if any.
pub fn placeholder_for(digest: &str) -> Option<&'static str> {
    let head = head_of(digest)?;
    let digests = placeholder_digests();
    let (word, bit) = filter_bit(head);
    if digests.filter[word] & bit == 0 {
        return None;
    }
    let table = &digests.sorted;
    let first = table.partition_point(|(h, _, _)| *h < head);
    table[first..]
        .iter()
        .take_while(|(h, _, _)| *h == head)
        .find(|(_, d, _)| d == digest)
        .map(|(_, _, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_digest_passes_the_filter_and_others_are_not_taken() {
        for p in PLACEHOLDERS {
            assert_eq!(placeholder_for(&sha256_hex(p)), Some(*p), "{p:?}");
        }
        let mut filtered = 0;
        for i in 0..20_000 {
            let digest = sha256_hex(&format!("user{i}@example.com"));
            assert_eq!(placeholder_for(&digest), None);
            let (word, bit) = filter_bit(head_of(&digest).unwrap_or(0));
            filtered += usize::from(placeholder_digests().filter[word] & bit == 0);
        }
        assert!(
            filtered > 19_000,
            "the filter turns away most real digests: {filtered}"
        );
    }
}
