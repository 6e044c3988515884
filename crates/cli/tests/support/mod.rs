//! What the command-line tests share: the bundled sample and running the real binary.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bundled sample, recorded with real peers.
pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/plant-sample.pcap")
}

/// Run `rampart` with `args`, keeping its status and both outputs.
pub fn rampart<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .output()
        .expect("rampart runs")
}
