//! The app's replay effects, carried out: sending through the replay library on the
//! pipeline's runtime (four at a time, each answer a `Msg::Replayed`), editing a payload in
//! `$EDITOR` with the terminal suspended and the input thread parked, and copying a `curl`
//! command by OSC 52 and to a file.

use super::term::Terminal;
use crate::app::replay::{Item, Outcome};
use crate::app::Msg;
use crate::replay::edit::{rewrite, Edit};
use crate::replay::prepare::{fresh_id, Ids};
use crate::replay::send::Sender;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Replays in flight at once from the TUI.
const IN_FLIGHT: usize = 4;

/// Lets the main thread take the terminal's input away from the input thread (while an
/// editor runs) and know when it has let go.
#[derive(Default)]
pub struct InputGate {
    paused: AtomicBool,
    asked: AtomicU64,
    parked: AtomicU64,
}

impl InputGate {
    /// In the input thread: true while paused (it then waits a little and asks again).
    pub fn hold(&self) -> bool {
        if !self.paused.load(Ordering::SeqCst) {
            return false;
        }
        self.parked
            .store(self.asked.load(Ordering::SeqCst), Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(10));
        true
    }

    /// Pauses the input thread; true once it has stopped reading (within a second).
    fn pause(&self) -> bool {
        let ask = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        self.paused.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.parked.load(Ordering::SeqCst) != ask {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::yield_now();
        }
        true
    }

    fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

pub struct Effects {
    pub sender: Option<Arc<Sender>>,
    pub tx: mpsc::Sender<Msg>,
    pub handle: tokio::runtime::Handle,
    pub gate: Arc<InputGate>,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Effects {
    pub fn new(
        sender: Option<Arc<Sender>>,
        tx: mpsc::Sender<Msg>,
        handle: tokio::runtime::Handle,
        gate: Arc<InputGate>,
    ) -> Effects {
        Effects {
            sender,
            tx,
            handle,
            gate,
            slots: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Sends each event; every exchange comes back as `Msg::Replayed`. The app has judged the
    /// events already: only a fresh id, when asked, changes the text.
    pub fn replay(&self, sends: Vec<(u64, Item)>, ids: Ids) {
        let Some(sender) = &self.sender else { return };
        let mut rng = fastrand::Rng::new();
        for (n, item) in sends {
            let fresh = (ids == Ids::Fresh).then(|| fresh_id(&mut rng));
            let edit = Edit {
                id: fresh.as_deref(),
                shift_secs: 0,
            };
            let (body, had) = rewrite(&item.raw, &edit);
            let id = fresh.or(had);
            let (sender, tx, slots) =
                (Arc::clone(sender), self.tx.clone(), Arc::clone(&self.slots));
            self.handle.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                let exchange = sender.exchange(0, body.clone(), 1).await;
                let _ = tx.send(Msg::Replayed(n, Box::new(Outcome { exchange, body, id })));
            });
        }
    }

    /// Opens the payload in `$VISUAL`/`$EDITOR` (else `vi`) and gives back what it left.
    pub fn edit(&self, terminal: &mut Terminal, seq: u64, raw: &[u8]) -> Msg {
        let text = if serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok() {
            crate::output::pretty::plain(&crate::output::pretty::pretty(raw)).into_bytes()
        } else {
            raw.to_vec()
        };
        let path = std::env::temp_dir().join(format!(
            "ecapi-scope-edit-{}-{seq}.json",
            std::process::id()
        ));
        let result = (|| {
            write_private(&path, &text)?;
            if !self.gate.pause() {
                return Err("the input thread did not pause".to_owned());
            }
            let ran = terminal.suspended(|| run_editor(&path));
            self.gate.resume();
            ran?;
            let edited = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(if edited == text { raw.to_vec() } else { edited })
        })();
        let _ = std::fs::remove_file(&path);
        Msg::Edited { seq, result }
    }

    /// Puts `text` on the clipboard with OSC 52 and in a file; says where.
    pub fn copy(text: &str, name: &str) -> Msg {
        use base64::Engine as _;
        let code = base64::engine::general_purpose::STANDARD.encode(text);
        let mut out = std::io::stdout();
        let _ = write!(out, "\x1b]52;c;{code}\x07").and_then(|()| out.flush());
        let path = std::env::temp_dir().join(format!("ecapi-scope-{name}.curl.sh"));
        match write_private(&path, format!("{text}\n").as_bytes()) {
            Ok(()) => Msg::Say(format!(
                "copied as curl (OSC 52, if the terminal allows it); also in {}",
                path.display()
            )),
            Err(e) => Msg::Say(format!("copied as curl (OSC 52); could not save it: {e}")),
        }
    }
}

fn write_private(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn run_editor(path: &PathBuf) -> Result<(), String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_owned());
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(words)
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run the editor {program:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor {program:?} exited with {status}: not sent"
        ))
    }
}
