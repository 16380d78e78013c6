//! Keeps a capture from filling the page cache. A capture is written once and seldom read
//! soon after, yet every byte written stays in memory until the kernel needs the room: a day
//! of traffic pushes out what the machine's other programs use, and every byte lands in a page
//! that had to be found first. On a virtual machine that hands its free memory back to the
//! host, that page is new to the host too, and a fault there: measured here, writing 1 GB
//! cost 1.8–2.7 s of kernel time into new pages, 0.5 s when the same pages are used again.
//!
//! So every `WINDOW` bytes, a thread of its own has what was written reach the disk
//! (`fdatasync`) and drops it from the cache (`POSIX_FADV_DONTNEED`); those pages are what the
//! next window is written into. The writer never waits on the disk: if the thread falls
//! behind, the windows it has no room for stay cached, as they would without it.

use std::fs::File;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

/// Bytes written between two hand-overs to the thread.
const WINDOW: u64 = 8 << 20;
/// Windows the thread may be behind before the writer stops handing them over.
const QUEUE: usize = 16;

pub struct Writeback {
    /// The file, until the first full window starts the thread.
    file: Option<File>,
    tx: Option<SyncSender<(u64, u64)>>,
    /// Where the window being written starts.
    from: u64,
}

impl Writeback {
    /// For `file`, whose next byte is written at `offset`. Only a regular file is dropped
    /// from the cache (not a device or a pipe), and only where the calls exist.
    pub fn new(file: &File, offset: u64) -> Writeback {
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        let file = if regular && cfg!(target_os = "linux") {
            file.try_clone().ok()
        } else {
            None
        };
        Writeback {
            file,
            tx: None,
            from: offset,
        }
    }

    /// The file now ends at `end` (less than before if it was cut back after a failed
    /// write); each full window is handed to the thread.
    pub fn wrote(&mut self, end: u64) {
        if end < self.from {
            self.from = end;
        }
        if end - self.from < WINDOW {
            return;
        }
        let window = (self.from, end);
        self.from = end;
        if self.tx.is_none() {
            self.start();
        }
        if let Some(tx) = &self.tx {
            match tx.try_send(window) {
                Ok(()) | Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => self.tx = None,
            }
        }
    }

    fn start(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        let (tx, rx) = sync_channel(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("capture-writeback".into())
            .spawn(move || drop_windows(&file, &rx));
        if spawned.is_ok() {
            self.tx = Some(tx);
        }
    }
}

/// Until the writer is gone: syncs what the windows received so far cover, in one call, then
/// drops them from the cache. A failure only leaves pages cached: the capture's own writes
/// report the errors that matter.
fn drop_windows(file: &File, rx: &Receiver<(u64, u64)>) {
    while let Ok(first) = rx.recv() {
        let (start, mut end) = first;
        while let Ok((_, later)) = rx.try_recv() {
            end = end.max(later);
        }
        if file.sync_data().is_err() {
            continue;
        }
        #[cfg(target_os = "linux")]
        let _ = rustix::fs::fadvise(
            file,
            start,
            std::num::NonZeroU64::new(end - start),
            rustix::fs::Advice::DontNeed,
        );
    }
}
