//! Project chores, run as `cargo xtask <task>`:
//!
//! - `test`: what CI runs: formatting check, clippy with warnings denied, the whole test suite.
//! - `bless-schema`: regenerate the record-schema golden file after a deliberate change.
//!
//! Kept in Rust rather than shell so it runs wherever cargo does.

use std::process::{Command, ExitCode};

fn cargo(args: &[&str]) -> bool {
    eprintln!("$ cargo {}", args.join(" "));
    Command::new(env!("CARGO"))
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

fn test() -> bool {
    cargo(&["fmt", "--all", "--", "--check"])
        && cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        && cargo(&["test", "--workspace"])
}

fn bless_schema() -> bool {
    eprintln!("$ RAMPART_BLESS=1 cargo test -p rampart-cli --test schema");
    Command::new(env!("CARGO"))
        .args(["test", "-p", "rampart-cli", "--test", "schema"])
        .env("RAMPART_BLESS", "1")
        .status()
        .is_ok_and(|s| s.success())
}

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let ok = match task.as_str() {
        "test" => test(),
        "bless-schema" => bless_schema(),
        _ => {
            eprintln!("usage: cargo xtask test | bless-schema");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
