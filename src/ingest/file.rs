//! Files: read from the start, then followed like `tail -F` — appended lines, truncation
//! (read again from the start; told by the size, or by the first bytes when the file was
//! written again past its old length), rotation by rename and re-creation (the old file is finished,
//! then the new one is read), and files that do not exist yet. Gzip files are read once.
//! A capture file gives back its records with their original receive times and labels.

use super::capture;
use super::framing::{Frame, LineFramer};
use super::status::SourceState;
use super::{Body, Ctx, Record};
use crate::engine::lines::{Line, LineReader};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub async fn run(path: PathBuf, ctx: Ctx) {
    // A FIFO, a character device or /dev/stdin cannot be sought or re-read: it is read whole
    // as a stream (a FIFO opened again for its next writer), on a thread of its own since
    // opening and reading it block.
    let special = std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if special {
        follow_stream(&path, &ctx).await;
        return;
    }
    if is_gzip(&path) {
        let ctx2 = ctx.clone();
        let done = tokio::task::spawn_blocking(move || read_gzip(&path, &ctx2)).await;
        match done {
            Ok(Ok(())) => ctx.status.set(SourceState::Ended),
            Ok(Err(e)) => ctx.status.set(SourceState::Failed(e.to_string())),
            Err(e) => ctx
                .status
                .set(SourceState::Failed(format!("reader stopped: {e}"))),
        }
        return;
    }
    follow(&path, &ctx).await;
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

/// A record from a framed line, unwrapping capture lines.
fn record(ctx: &Ctx, frame: Frame) -> Record {
    match frame {
        Frame::Line(line, raw) if capture::is_capture_line(&raw) => match capture::unwrap(&raw) {
            Some(c) => {
                let body = match c.raw {
                    Ok(bytes) => Body::Raw(bytes.into()),
                    Err(len) => Body::TooLong(len),
                };
                let mut r = ctx.record(line, body);
                r.received_ms = c.received_ms;
                r.label = Some(Arc::from(c.source.as_str()));
                r
            }
            None => ctx.record(line, Body::Raw(raw)),
        },
        Frame::Line(line, raw) => ctx.record(line, Body::Raw(raw)),
        Frame::TooLong(line, len) => ctx.record(line, Body::TooLong(len)),
    }
}

/// Reads a FIFO (or a device, or /dev/stdin) as a stream, opened once without blocking, so
/// that waiting for a writer never holds a runtime thread and each new writer of a FIFO is
/// read as it comes. With `--no-follow` it ends at the end of the first writer's data.
async fn follow_stream(path: &Path, ctx: &Ctx) {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display().to_string();
    let mut file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => return ctx.status.set(SourceState::Failed(format!("{shown}: {e}"))),
    };
    ctx.status.set(SourceState::Connected);
    let mut framer = LineFramer::new(ctx.opts.max_line_bytes);
    let mut buf = vec![0u8; 256 * 1024];
    let mut frames = Vec::new();
    let mut seen_data = false;
    loop {
        match file.read(&mut buf) {
            Ok(0) if seen_data && !ctx.opts.follow => {
                framer.finish(&mut frames);
                send_frames(ctx, &mut frames).await;
                return ctx.status.set(SourceState::Ended);
            }
            Ok(n) if n > 0 => {
                seen_data = true;
                framer.feed(&buf[..n], &mut frames);
                if !send_frames(ctx, &mut frames).await {
                    return;
                }
            }
            // No writer, or a writer with nothing to say yet.
            Ok(_) => tokio::time::sleep(ctx.opts.poll).await,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                tokio::time::sleep(ctx.opts.poll).await;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return ctx.status.set(SourceState::Failed(format!("{shown}: {e}"))),
        }
        if ctx.opts.stop.load(std::sync::atomic::Ordering::Relaxed) || ctx.tx.is_closed() {
            return;
        }
    }
}

fn read_gzip(path: &Path, ctx: &Ctx) -> io::Result<()> {
    ctx.status.set(SourceState::Connected);
    let file = std::fs::File::open(path)?;
    let mut lines = LineReader::new(
        flate2::read::MultiGzDecoder::new(file),
        ctx.opts.max_line_bytes,
    );
    let mut batch = Vec::new();
    while let Some(line) = lines.next_line()? {
        let frame = match line {
            Line::Record { text, line, .. } => {
                Frame::Line(line, bytes::Bytes::copy_from_slice(text))
            }
            Line::TooLong { line, len, .. } => Frame::TooLong(line, len),
        };
        batch.push(record(ctx, frame));
        if ctx.opts.stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        if batch.len() >= 1024 && ctx.tx.blocking_send(std::mem::take(&mut batch)).is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = ctx.tx.blocking_send(batch);
    }
    Ok(())
}

/// Identity of a file, to tell a rotation from more data.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// What the follower should do once it reached the end of the file.
enum AtEnd {
    Wait,
    Truncated,
    Rotated,
}

/// How many of a file's first bytes identify its content, as log shippers do: a file
/// truncated and written again past the old length within one poll still starts differently.
const HEAD: usize = 1024;

/// Whether the file (the open one) no longer starts with the bytes it started with.
fn rewritten(file: &std::fs::File, head: &[u8]) -> bool {
    use std::os::unix::fs::FileExt;
    let mut now = vec![0u8; head.len()];
    match file.read_exact_at(&mut now, 0) {
        Ok(()) => now != head,
        Err(_) => true,
    }
}

fn look_at_path(path: &Path, file: &std::fs::File, id: (u64, u64), pos: u64, head: &[u8]) -> AtEnd {
    match std::fs::metadata(path) {
        Ok(m) if identity(&m) != id => AtEnd::Rotated,
        Ok(m) if m.len() < pos => AtEnd::Truncated,
        Ok(_) if rewritten(file, head) => AtEnd::Truncated,
        Ok(_) => AtEnd::Wait,
        Err(_) => AtEnd::Rotated,
    }
}

async fn follow(path: &Path, ctx: &Ctx) {
    let shown = path.display().to_string();
    loop {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if ctx.opts.follow => {
                ctx.status
                    .set(SourceState::Waiting(format!("{shown}: {e}")));
                tokio::time::sleep(ctx.opts.poll).await;
                continue;
            }
            Err(e) => return ctx.status.set(SourceState::Failed(format!("{shown}: {e}"))),
        };
        ctx.status.set(SourceState::Connected);
        match read_file(file, path, ctx).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return ctx.status.set(SourceState::Failed(format!("{shown}: {e}"))),
        }
    }
}

/// Where a followed file is read on from, and the bytes it started with.
#[derive(Default)]
struct Place {
    pos: u64,
    head: Vec<u8>,
}

/// What a read found.
enum Got {
    Data(usize),
    End,
    /// The file no longer starts as it did: it was written again, and is read from its start.
    Rewritten,
}

impl Place {
    /// Reads on from `pos`. The file was looked at before, but it may have been written again
    /// between that look and this read: what was read counts only if the file still starts
    /// as it did (else it is the rewrite's middle, not a continuation).
    fn read_on(&mut self, file: &mut std::fs::File, buf: &mut [u8]) -> io::Result<Got> {
        let n = file.read(buf)?;
        if n == 0 {
            return Ok(Got::End);
        }
        if !self.head.is_empty() && rewritten(file, &self.head) {
            return Ok(Got::Rewritten);
        }
        self.pos += n as u64;
        let room = HEAD - self.head.len();
        self.head.extend_from_slice(&buf[..n.min(room)]);
        Ok(Got::Data(n))
    }

    /// Reads the file again from its start, and says so.
    fn restart(&mut self, file: &mut std::fs::File, path: &Path, ctx: &Ctx) -> io::Result<()> {
        ctx.status.error(format!(
            "{} was truncated: reading it from the start",
            path.display()
        ));
        file.seek(SeekFrom::Start(0))?;
        *self = Place::default();
        Ok(())
    }
}

/// Reads one file (one inode). `Ok(true)` when the path was rotated and should be opened again.
async fn read_file(mut file: std::fs::File, path: &Path, ctx: &Ctx) -> io::Result<bool> {
    let id = identity(&file.metadata()?);
    let mut framer = LineFramer::new(ctx.opts.max_line_bytes);
    let mut buf = vec![0u8; 256 * 1024];
    let mut place = Place::default();
    let mut frames = Vec::new();
    loop {
        match place.read_on(&mut file, &mut buf)? {
            Got::Data(n) => {
                framer.feed(&buf[..n], &mut frames);
                if !send_frames(ctx, &mut frames).await {
                    return Ok(false);
                }
                continue;
            }
            Got::Rewritten => {
                place.restart(&mut file, path, ctx)?;
                framer = LineFramer::new(ctx.opts.max_line_bytes);
                continue;
            }
            Got::End => {}
        }
        if !ctx.opts.follow {
            framer.finish(&mut frames);
            send_frames(ctx, &mut frames).await;
            ctx.status.set(SourceState::Ended);
            return Ok(false);
        }
        // At the end: wait, then look at the path before reading on, so that a file
        // truncated and written again meanwhile is read from its start.
        tokio::time::sleep(ctx.opts.poll).await;
        match look_at_path(path, &file, id, place.pos, &place.head) {
            AtEnd::Wait => {}
            AtEnd::Truncated => {
                place.restart(&mut file, path, ctx)?;
                framer = LineFramer::new(ctx.opts.max_line_bytes);
            }
            AtEnd::Rotated => {
                // Whatever was appended before the rename is still in this file; if it was
                // also truncated or rewritten before the rename, it is read from its start.
                if file.metadata()?.len() < place.pos || rewritten(&file, &place.head) {
                    file.seek(SeekFrom::Start(0))?;
                    framer = LineFramer::new(ctx.opts.max_line_bytes);
                }
                let mut rest = Vec::new();
                file.read_to_end(&mut rest)?;
                framer.feed(&rest, &mut frames);
                framer.finish(&mut frames);
                send_frames(ctx, &mut frames).await;
                ctx.status.error(format!(
                    "{} was rotated: following the new file",
                    path.display()
                ));
                return Ok(true);
            }
        }
    }
}

async fn send_frames(ctx: &Ctx, frames: &mut Vec<Frame>) -> bool {
    let batch: Vec<Record> = frames.drain(..).map(|f| record(ctx, f)).collect();
    ctx.send(batch).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_a_rewrite_between_the_look_and_the_read_was_read_as_a_continuation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "old\n").unwrap();
        let mut file = std::fs::File::open(&path).unwrap();
        let id = identity(&file.metadata().unwrap());
        let (mut place, mut buf) = (Place::default(), vec![0u8; 64]);
        assert!(matches!(
            place.read_on(&mut file, &mut buf).unwrap(),
            Got::Data(4)
        ));
        assert!(matches!(
            place.read_on(&mut file, &mut buf).unwrap(),
            Got::End
        ));
        // Appended after a look: read on.
        assert!(matches!(
            look_at_path(&path, &file, id, place.pos, &place.head),
            AtEnd::Wait
        ));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| io::Write::write_all(&mut f, b"new\n"))
            .unwrap();
        assert!(matches!(
            place.read_on(&mut file, &mut buf).unwrap(),
            Got::Data(4)
        ));
        assert_eq!(&buf[..4], b"new\n");
        // Written again, longer, after the look and before the read: not its middle ("C").
        assert!(matches!(
            look_at_path(&path, &file, id, place.pos, &place.head),
            AtEnd::Wait
        ));
        std::fs::write(&path, "A\nB\nC\nD\nE\n").unwrap();
        assert!(matches!(
            place.read_on(&mut file, &mut buf).unwrap(),
            Got::Rewritten
        ));
    }
}
