//! Project chores, run as `cargo xtask <task>`:
//!
//! - `test`: what CI runs: formatting check, clippy with warnings denied, the whole test suite,
//!   and the same for the plugin workspace (`plugins/`, built natively for its unit tests and
//!   for wasm32 as the sensor loads it).
//! - `bless`: regenerate the golden files (per-protocol events, the record schema) after a
//!   deliberate change; review the diff before committing.
//! - `bless-schema`: regenerate only the record-schema golden file.
//! - `new-protocol <name> [--port N]`: a new built-in protocol from the working template,
//!   registered, with its test capture, fuzz target, golden case and benchmark entry.
//! - `check-scaffold`: generate a protocol into a scratch copy of the repository and run its
//!   tests and golden test there (part of `test`, so the template cannot rot).
//!
//! Kept in Rust rather than shell so it runs wherever cargo does.

mod pcap;
mod scaffold;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

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

/// Make sure the wasm32 target is installed: the example plugin is built for it.
fn wasm_target() -> bool {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"));
    if installed {
        return true;
    }
    eprintln!("$ rustup target add wasm32-unknown-unknown");
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .status()
        .is_ok_and(|s| s.success());
    if !added {
        eprintln!("the wasm32-unknown-unknown target is needed to build the example plugin");
    }
    added
}

fn test() -> bool {
    wasm_target()
        && cargo(&["fmt", "--all", "--", "--check"])
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
        && check_scaffold()
}

fn new_protocol(args: &[String]) -> bool {
    let Some(name) = args.first() else {
        eprintln!("usage: cargo xtask new-protocol <name> [--port N]");
        return false;
    };
    let port = match args.iter().position(|a| a == "--port") {
        Some(i) => match args.get(i + 1).and_then(|p| p.parse::<u16>().ok()) {
            Some(p) => p,
            None => {
                eprintln!("--port takes a number from 0 to 65535");
                return false;
            }
        },
        None => 40000,
    };
    let root = repo_root();
    match scaffold::new_protocol(&root, name, port) {
        Ok(generated) => {
            let formatted = scaffold::format(&root, &generated);
            for p in &generated.written {
                println!("wrote  {}", p.display());
            }
            for p in &generated.edited {
                println!("edited {}", p.display());
            }
            println!(
                "\nNext: cargo test -p rampart-protocols {name}\n      cargo xtask bless   (writes crates/engine/tests/golden/{name}/{name}.jsonl)\n      cd fuzz && cargo +nightly fuzz run {name}\n      cargo bench -p rampart-engine --bench dissectors -- {name}\nthen replace the toy format in crates/protocols/src/{name}/ with the real one (docs/adding-a-protocol.md)."
            );
            formatted
        }
        Err(e) => {
            eprintln!("new-protocol: {e}");
            false
        }
    }
}

/// Copy the tracked files of the repository into a scratch directory, generate a protocol
/// there, and run its unit tests and its golden test, sharing this repository's target
/// directory so only the copied crates are rebuilt.
fn check_scaffold() -> bool {
    let root = repo_root();
    let scratch = std::env::temp_dir().join(format!("rampart-scaffold-{}", std::process::id()));
    let ok = copy_tracked(&root, &scratch)
        && scaffold::new_protocol(&scratch, "scaffold_check", 40000)
            .map_err(|e| eprintln!("check-scaffold: {e}"))
            .is_ok_and(|g| scaffold::format(&scratch, &g))
        && scratch_cargo(
            &scratch,
            &["test", "-p", "rampart-protocols", "scaffold_check"],
            &[],
        )
        && scratch_cargo(
            &scratch,
            &["test", "-p", "rampart-engine", "--test", "golden"],
            &[
                ("RAMPART_BLESS", "1"),
                ("RAMPART_GOLDEN_ONLY", "scaffold_check"),
            ],
        )
        && golden_has_records(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    if ok {
        eprintln!(
            "check-scaffold: the generated protocol builds, passes its tests and dissects its capture"
        );
    }
    ok
}

fn copy_tracked(root: &Path, to: &Path) -> bool {
    let Ok(listed) = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
    else {
        eprintln!("check-scaffold: git is needed to list the tracked files");
        return false;
    };
    for file in listed.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let relative = Path::new(std::str::from_utf8(file).unwrap_or_default());
        let target = to.join(relative);
        if let Some(dir) = target.parent()
            && std::fs::create_dir_all(dir).is_err()
        {
            return false;
        }
        if std::fs::copy(root.join(relative), &target).is_err() {
            eprintln!("check-scaffold: cannot copy {}", relative.display());
            return false;
        }
    }
    true
}

fn scratch_cargo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> bool {
    eprintln!("$ (scratch copy) cargo {}", args.join(" "));
    let corpus = repo_root().join("../shared/captures");
    let mut command = Command::new(env!("CARGO"));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", repo_root().join("target"))
        .env("RAMPART_SHARED_CAPTURES", corpus);
    for (k, v) in env {
        command.env(k, v);
    }
    command.status().is_ok_and(|s| s.success())
}

fn golden_has_records(dir: &Path) -> bool {
    let file = dir.join("crates/engine/tests/golden/scaffold_check/scaffold_check.jsonl");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let transactions = text
        .matches("\"dataset\":\"scaffold_check.transaction\"")
        .count();
    let identities = text.matches("\"kind\":\"identity\"").count();
    if transactions == 4 && identities == 3 {
        return true;
    }
    eprintln!(
        "check-scaffold: the template dissected {transactions} transactions and {identities} identities of its capture, expected 4 and 3"
    );
    false
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().cloned().unwrap_or_default();
    let ok = match task.as_str() {
        "test" => test(),
        "bless" => bless(),
        "bless-schema" => bless_schema(),
        "new-protocol" => new_protocol(&args[1..]),
        "check-scaffold" => check_scaffold(),
        _ => {
            eprintln!(
                "usage: cargo xtask test | bless | bless-schema | new-protocol <name> [--port N] | check-scaffold"
            );
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
