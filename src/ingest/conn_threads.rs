//! The endpoint's connection threads: one single-threaded tokio runtime per core, each serving
//! the connections handed to it, as nginx's workers do. On the shared multi-threaded runtime,
//! a worker with two ready connections woke an idle one to steal the second, request after
//! request: measured on two cores under 32 keep-alive senders, that cost about 2 µs of CPU
//! per request, and one worker alone served as many requests as two. A connection stays on
//! the thread it was given; what threads share (the engine, the capture) is shared as before.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// The threads, and what stops them: dropped, each thread's runtime ends (with whatever
/// connection tasks it still ran) on its own thread.
pub struct ConnThreads {
    handles: Vec<Handle>,
    _stops: Vec<oneshot::Sender<()>>,
    next: AtomicUsize,
}

impl ConnThreads {
    /// `count` threads named `{name}-{i}`; `None` when not one could be started (the caller
    /// serves on its own runtime then).
    pub fn start(name: &str, count: usize) -> Option<ConnThreads> {
        let mut handles = Vec::with_capacity(count);
        let mut stops = Vec::with_capacity(count);
        for i in 0..count {
            let Some((handle, stop)) = start_one(format!("{name}-{i}")) else {
                break;
            };
            handles.push(handle);
            stops.push(stop);
        }
        (!handles.is_empty()).then(|| ConnThreads {
            handles,
            _stops: stops,
            next: AtomicUsize::new(0),
        })
    }

    /// How many threads an endpoint runs: one per core, up to 4 (the engine's commits are
    /// one at a time: more threads than that only wait for them).
    pub fn per_core() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
    }

    /// Spawns `task` into `tasks` on the next thread in turn.
    pub fn spawn<F>(&self, tasks: &mut JoinSet<()>, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        tasks.spawn_on(task, &self.handles[i]);
    }

    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }
}

/// A thread running a single-threaded runtime until its stop is dropped.
fn start_one(name: String) -> Option<(Handle, oneshot::Sender<()>)> {
    let (stop, stopped) = oneshot::channel::<()>();
    let (give, take) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if give.send(rt.handle().clone()).is_err() {
                return;
            }
            let _ = rt.block_on(stopped);
            // The runtime is dropped here, on its own thread, outside any async context:
            // connection tasks still on it are cancelled.
        })
        .ok()?;
    let handle = take.recv().ok()?;
    Some((handle, stop))
}

#[cfg(test)]
mod tests {
    use super::ConnThreads;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use tokio::task::JoinSet;

    #[tokio::test]
    async fn tasks_go_to_each_thread_in_turn() {
        let threads = ConnThreads::start("test-conn", 2).expect("threads start");
        assert_eq!(threads.len(), 2);
        let names = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = JoinSet::new();
        for _ in 0..4 {
            let names = Arc::clone(&names);
            threads.spawn(&mut tasks, async move {
                let name = std::thread::current().name().map(str::to_owned);
                names.lock().expect("not poisoned").push(name);
            });
        }
        while let Some(done) = tasks.join_next().await {
            assert!(done.is_ok(), "a task failed: {done:?}");
        }
        let mut names = names.lock().expect("not poisoned").clone();
        names.sort();
        let want = ["test-conn-0", "test-conn-0", "test-conn-1", "test-conn-1"];
        assert_eq!(names, want.map(|n| Some(n.to_owned())));
    }

    #[tokio::test]
    async fn dropping_the_threads_cancels_what_still_runs_on_them() {
        let threads = ConnThreads::start("test-drop", 1).expect("threads start");
        let mut tasks = JoinSet::new();
        let finished = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&finished);
        threads.spawn(&mut tasks, async move {
            std::future::pending::<()>().await;
            flag.store(true, Ordering::Relaxed);
        });
        drop(threads);
        let joined = tokio::time::timeout(std::time::Duration::from_secs(30), tasks.join_next())
            .await
            .expect("the task ends with its thread's runtime (hang detector)")
            .expect("one task");
        assert!(joined.is_err_and(|e| e.is_cancelled()));
        assert!(!finished.load(Ordering::Relaxed));
    }
}
