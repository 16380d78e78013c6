//! Reading a `watch` process's standard error until its endpoint says where it listens.

use std::io::{BufRead, BufReader};
use std::process::ChildStderr;

/// The address in the first `listening on ADDR` line; fails if stderr ends first.
pub fn listening_address(stderr: &mut BufReader<ChildStderr>) -> String {
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the endpoint did not start"
        );
        if let Some(a) = line.trim().split("listening on ").nth(1) {
            return a.to_owned();
        }
    }
}
