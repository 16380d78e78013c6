//! Keeps a capture from filling the page cache. A capture is written once and seldom read
//! soon after, yet every byte written stays in memory until the kernel needs the room: a day
//! of traffic pushes out what the machine's other programs use, and every byte lands in a page
//! that had to be found first. On a virtual machine that hands its free memory back to the
//! host, that page is new to the host too, and a fault there. Measured here, writing 1 GB in
//! 1 MB writes took 1.8–2.7 s of kernel time into new pages, 0.5 s with this module's
//! treatment.
//!
//! So every `WINDOW` bytes, a thread of its own has the file reach the disk (`fdatasync`) and
//! drops what was written from the cache (`POSIX_FADV_DONTNEED`). The writer only tells the
//! thread where the file ends: if the thread falls behind (a slow disk), it takes all that was
//! written meanwhile as one range, and until then those bytes stay cached, as without it. (The
//! file system may still make a write wait briefly while a sync commits, as it does for any
//! other program's `fsync`; and a process cannot end during a sync until the kernel is done.)
//!
//! Errors of the sync are not reported: they are those of the kernel's own write-back, which
//! nothing reported before either.

use std::fs::File;

/// Bytes written between two hand-overs to the thread.
const WINDOW: u64 = 8 << 20;

pub struct Writeback {
    #[cfg(target_os = "linux")]
    inner: linux::Inner,
}

impl Writeback {
    /// For `file`, whose next byte is written at `offset`. Only a regular file is dropped
    /// from the cache (not a device or a pipe), and only on Linux.
    pub fn new(file: &File, offset: u64) -> Writeback {
        #[cfg(not(target_os = "linux"))]
        let _ = (file, offset);
        Writeback {
            #[cfg(target_os = "linux")]
            inner: linux::Inner::new(file, offset),
        }
    }

    /// The file now ends at `end`; each full window is handed to the thread.
    pub fn wrote(&mut self, end: u64) {
        #[cfg(target_os = "linux")]
        self.inner.wrote(end);
        #[cfg(not(target_os = "linux"))]
        let _ = end;
    }

    /// The file was cut back to `len` (after a failed write): the next window starts there.
    pub fn cut(&mut self, len: u64) {
        #[cfg(target_os = "linux")]
        self.inner.cut(len);
        #[cfg(not(target_os = "linux"))]
        let _ = len;
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::WINDOW;
    use std::fs::File;
    use std::sync::{Arc, Condvar, Mutex};

    /// `fadvise` drops whole pages only: a range's start is rounded down to this (a multiple
    /// of any page size), so that the page a window boundary falls in is dropped too. It is
    /// complete by then: the whole file was synced first.
    const PAGE: u64 = 64 << 10;

    /// What the writer tells the thread.
    struct State {
        /// Where the file ends.
        end: u64,
        /// The capture is closing: the thread drops what is left, and ends.
        closed: bool,
    }

    struct Shared {
        state: Mutex<State>,
        wake: Condvar,
    }

    pub struct Inner {
        /// The file, until the first full window starts the thread.
        file: Option<File>,
        shared: Option<Arc<Shared>>,
        /// Where the window being written starts, and where the file ends.
        from: u64,
        end: u64,
    }

    impl Inner {
        pub fn new(file: &File, offset: u64) -> Inner {
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            Inner {
                file: regular.then(|| file.try_clone().ok()).flatten(),
                shared: None,
                from: offset,
                end: offset,
            }
        }

        pub fn wrote(&mut self, end: u64) {
            self.end = end;
            self.from = self.from.min(end);
            if end - self.from < WINDOW {
                return;
            }
            if self.shared.is_none() {
                self.start(self.from);
            }
            self.from = end;
            self.tell(|s| s.end = end);
        }

        pub fn cut(&mut self, len: u64) {
            self.end = len;
            self.from = self.from.min(len);
            self.tell(|s| s.end = s.end.min(len));
        }

        /// Changes the state the thread works from (the lock is never held over a sync).
        fn tell(&self, change: impl FnOnce(&mut State)) {
            if let Some(shared) = &self.shared {
                if let Ok(mut state) = shared.state.lock() {
                    change(&mut state);
                    shared.wake.notify_one();
                }
            }
        }

        /// Starts the thread, with nothing dropped yet from `from` on.
        fn start(&mut self, from: u64) {
            let Some(file) = self.file.take() else {
                return;
            };
            let shared = Arc::new(Shared {
                state: Mutex::new(State {
                    end: from,
                    closed: false,
                }),
                wake: Condvar::new(),
            });
            let theirs = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name("capture-writeback".into())
                .spawn(move || drop_ranges(&file, &theirs, from));
            if spawned.is_ok() {
                self.shared = Some(shared);
            }
        }
    }

    /// The capture is closing: what was written since the last window is dropped too.
    impl Drop for Inner {
        fn drop(&mut self) {
            let end = self.end;
            self.tell(|s| {
                s.end = end;
                s.closed = true;
            });
        }
    }

    /// Until the capture closes: waits for a window's worth of new bytes, syncs the file and
    /// drops them from the cache. Ranges that came while it synced are dropped as one.
    fn drop_ranges(file: &File, shared: &Shared, mut done: u64) {
        loop {
            let Ok(mut state) = shared.state.lock() else {
                return;
            };
            while !state.closed && state.end.saturating_sub(done) < WINDOW {
                // The file was cut back below what was dropped: start again from there.
                done = done.min(state.end);
                state = match shared.wake.wait(state) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            let (end, closed) = (state.end, state.closed);
            drop(state);
            if end > done && file.sync_data().is_ok() {
                let start = done - done % PAGE;
                let _ = rustix::fs::fadvise(
                    file,
                    start,
                    std::num::NonZeroU64::new(end - start),
                    rustix::fs::Advice::DontNeed,
                );
            }
            done = end;
            if closed {
                return;
            }
        }
    }
}
