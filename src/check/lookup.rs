//! Finding the first occurrence of a conflicting duplicate again: re-read from the file when
//! the input can seek, else from a bounded store of recent records.

use crate::engine::recent::RecentPayloads;
use crate::engine::PayloadLookup;
use crate::ingest::capture;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;

/// Locators are the input's number in the top bits and the byte offset below.
const OFFSET_BITS: u32 = 44;

pub fn locator(input: usize, offset: u64) -> u64 {
    ((input as u64) << OFFSET_BITS) | (offset & ((1 << OFFSET_BITS) - 1))
}

/// Raw records kept for inputs that cannot seek (stdin, gzip), at most this many bytes.
const RECENT_BUDGET: usize = 64 * 1024 * 1024;

pub struct InputLookup {
    /// Paths of seekable inputs, by input number.
    seekable: Vec<Option<PathBuf>>,
    open: Option<(usize, BufReader<File>)>,
    recent: RecentPayloads,
    max_line: usize,
}

impl InputLookup {
    pub fn new(max_line: usize) -> InputLookup {
        InputLookup {
            seekable: Vec::new(),
            open: None,
            recent: RecentPayloads::new(RECENT_BUDGET),
            max_line,
        }
    }

    /// Registers input `n`; `path` when it can be re-read by offset.
    pub fn add_input(&mut self, n: usize, path: Option<PathBuf>) {
        if self.seekable.len() <= n {
            self.seekable.resize(n + 1, None);
        }
        self.seekable[n] = path;
    }

    pub fn is_seekable(&self, n: usize) -> bool {
        self.seekable.get(n).is_some_and(Option::is_some)
    }

    /// Keeps a record of a non-seekable input, evicting the oldest past the budget.
    pub fn remember(&mut self, locator: u64, raw: &[u8]) {
        self.recent.remember(locator, raw);
    }

    fn read_at(&mut self, input: usize, offset: u64) -> Option<Vec<u8>> {
        if self.open.as_ref().is_none_or(|(n, _)| *n != input) {
            let path = self.seekable.get(input)?.as_ref()?;
            self.open = Some((input, BufReader::new(File::open(path).ok()?)));
        }
        let (_, reader) = self.open.as_mut()?;
        reader.seek(SeekFrom::Start(offset)).ok()?;
        let mut line = Vec::new();
        let mut limited = std::io::Read::take(reader, (self.max_line as u64).saturating_add(1));
        limited.read_until(b'\n', &mut line).ok()?;
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        if offset == 0 {
            if let Some(rest) = line.strip_prefix(b"\xef\xbb\xbf") {
                line = rest.to_vec();
            }
        }
        // A capture line gives back the record it holds, as the reading did.
        if capture::is_capture_line(&line) {
            if let Some(Ok(raw)) = capture::unwrap(&line).map(|c| c.raw) {
                return Some(raw);
            }
        }
        Some(line)
    }
}

impl PayloadLookup for InputLookup {
    fn payload(&mut self, locator: u64) -> Option<Vec<u8>> {
        if let Some(raw) = self.recent.get(locator) {
            return Some(raw);
        }
        let input = (locator >> OFFSET_BITS) as usize;
        self.read_at(input, locator & ((1 << OFFSET_BITS) - 1))
    }
}
