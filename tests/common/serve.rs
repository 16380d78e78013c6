//! A `serve` process on a free loopback port, for tests: its address, and on stop its
//! request lines and `--stats` counters.

use super::endpoint::listening_address;
use std::io::{BufReader, Read};
use std::process::{Child, Command, Stdio};

pub struct Serve {
    pub child: Child,
    pub addr: String,
    stderr: BufReader<std::process::ChildStderr>,
}

impl Serve {
    pub fn start(args: &[&str]) -> Serve {
        Serve::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
            .args(["serve", "--listen", "127.0.0.1:0", "--stats"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let addr = listening_address(&mut stderr);
        Serve {
            child,
            addr,
            stderr,
        }
    }

    /// Stops it; its request lines and the stats.
    pub fn stop(mut self) -> (Vec<serde_json::Value>, serde_json::Value) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().unwrap();
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        self.stderr.read_to_string(&mut err).unwrap();
        let _ = self.child.wait();
        let lines = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let stats = err
            .lines()
            .find_map(|l| serde_json::from_str(l).ok())
            .expect("stats");
        (lines, stats)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
