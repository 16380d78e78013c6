//! A real Kafka-compatible broker (tansu, SQLite storage) on a loopback port of its own, for the
//! `kafka://` tests. `.ci/deps` installs tansu; `ECAPI_SCOPE_TANSU` may name the binary.
//! Started and stopped by process id; every wait has a deadline (a hang detector).

#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(60);

pub struct Broker {
    child: Option<Child>,
    pub port: u16,
    db: PathBuf,
    dir: tempfile::TempDir,
}

/// The tansu binary: `ECAPI_SCOPE_TANSU`, else on PATH, else cargo's bin folder.
fn tansu() -> PathBuf {
    if let Some(p) = std::env::var_os("ECAPI_SCOPE_TANSU") {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("tansu"))
            .find(|p| p.is_file())
    });
    if let Some(p) = on_path {
        return p;
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo = home.join(".cargo/bin/tansu");
    assert!(
        cargo.is_file(),
        "the Kafka tests need the tansu broker: run .ci/deps (it installs tansu 0.6.0), or set ECAPI_SCOPE_TANSU"
    );
    cargo
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for `cond`, failing after `DEADLINE` with `what`.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Broker {
    pub fn start() -> Broker {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("broker.db");
        let mut b = Broker {
            child: None,
            port: free_port(),
            db,
            dir,
        };
        b.run();
        b
    }

    fn run(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("broker.log"))
            .unwrap();
        // tansu takes the SQLite path relative to its working directory.
        let child = Command::new(tansu())
            .current_dir(self.dir.path())
            .arg("broker")
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://broker.db"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let port = self.port;
        let log = self.dir.path().join("broker.log");
        let child = self.child.as_mut().unwrap();
        wait_for("the broker to listen", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the broker exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(tansu())
            .args(["topic", "create", "--broker"])
            .arg(format!("tcp://{}", self.addr()))
            .args(["--partitions", &partitions.to_string(), name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "creating {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the broker (its data stays).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let port = self.port;
        wait_for("the broker to stop listening", || {
            TcpStream::connect(("127.0.0.1", port)).is_err()
        });
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.run();
    }

    pub fn db(&self) -> &Path {
        &self.db
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
