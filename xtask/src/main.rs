//! Project chores, run as `cargo xtask <task>`:
//!
//! - `test`: what CI runs: formatting check, clippy with warnings denied, the whole test suite,
//!   and the same for the plugin workspace (`plugins/`, built natively for its unit tests and
//!   for wasm32 as the sensor loads it).
//! - `bless`: regenerate the golden files (per-protocol events, the record schema) after a
//!   deliberate change; review the diff before committing.
//! - `bless-schema`: regenerate only the record-schema golden file.
//!
//! Kept in Rust rather than shell so it runs wherever cargo does.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

fn cargo(args: &[&str]) -> bool {
    eprintln!("$ cargo {}", args.join(" "));
    Command::new(env!("CARGO"))
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// Read one count (`3 passed`) out of a `test result:` line.
fn count(counts: &str, label: &str) -> u64 {
    counts
        .split(';')
        .find_map(|part| {
            part.trim()
                .strip_suffix(label)?
                .trim()
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Run the test suite, passing its output through, and close with one line that totals every
/// test binary's results (cargo's own last line is the last binary's, often a doc-test run
/// with nothing in it).
fn test_suite() -> bool {
    eprintln!("$ cargo test --workspace");
    let Ok(mut child) = Command::new(env!("CARGO"))
        .args(["test", "--workspace"])
        .stdout(Stdio::piped())
        .spawn()
    else {
        return false;
    };
    let (mut passed, mut failed, mut ignored) = (0, 0, 0);
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(counts) = line.strip_prefix("test result: ") {
                passed += count(counts, "passed");
                failed += count(counts, "failed");
                ignored += count(counts, "ignored");
            }
        }
    }
    let ok = child.wait().is_ok_and(|s| s.success());
    println!("{passed} passed, {failed} failed, {ignored} skipped");
    ok && failed == 0
}

/// Run cargo on the plugin workspace with its own target directory (its wasm32 build must not
/// wait on, or invalidate, the sensor's).
fn plugins(args: &[&str], target: &str) -> bool {
    eprintln!("$ (plugins) cargo {}", args.join(" "));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root.join("plugins"))
        .env("CARGO_TARGET_DIR", root.join("target").join(target))
        .status()
        .is_ok_and(|s| s.success())
}

fn test() -> bool {
    cargo(&["fmt", "--all", "--", "--check"])
        && plugins(&["fmt", "--all", "--", "--check"], "plugins")
        && cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        && plugins(
            &[
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
            "plugins",
        )
        && plugins(
            &["clippy", "--all-targets", "--", "-D", "warnings"],
            "plugins-native",
        )
        && plugins(&["test"], "plugins-native")
        && test_suite()
}

fn bless() -> bool {
    eprintln!("$ RAMPART_BLESS=1 cargo test -p rampart-engine --test golden");
    Command::new(env!("CARGO"))
        .args(["test", "-p", "rampart-engine", "--test", "golden"])
        .env("RAMPART_BLESS", "1")
        .status()
        .is_ok_and(|s| s.success())
        && bless_schema()
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
        "bless" => bless(),
        "bless-schema" => bless_schema(),
        _ => {
            eprintln!("usage: cargo xtask test | bless | bless-schema");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn reads_counts_from_a_test_result_line() {
        let line =
            "ok. 232 passed; 1 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.05s";
        assert_eq!(
            (
                count(line, "passed"),
                count(line, "failed"),
                count(line, "ignored")
            ),
            (232, 1, 3)
        );
    }
}
