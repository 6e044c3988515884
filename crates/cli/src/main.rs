//! The `rampart` command. It only wires: capture files into the engine, records into the
//! outputs; the logic lives in the library crates.

#![forbid(unsafe_code)]

mod alerts;
mod analyze;
mod baseline;
mod detect;
mod forward;
mod rules;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Passive IoT/OT network security monitoring: inventory, conversations, findings.
#[derive(Parser, Debug)]
#[command(name = "rampart", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse capture files (pcap, pcapng, gzip-compressed or not, or directories of them).
    Analyze(AnalyzeArgs),
    /// List the protocols Rampart recognises (with --plugin, plugins too).
    Protocols(ProtocolsArgs),
    /// Triage the alerts a run stored: list, show, acknowledge, resolve, reopen, PCAP.
    Alerts(alerts::AlertsArgs),
    /// The incidents of the last run: related alerts on the same devices, with a timeline.
    Incidents(alerts::IncidentsArgs),
    /// Show, compare, export, import and edit a learned baseline.
    Baseline(baseline::BaselineArgs),
    /// Work with custom detection rules (`rampart rules check FILE`).
    Rules(rules::RulesArgs),
}

/// Options of `rampart protocols`.
#[derive(Args, Debug)]
pub struct ProtocolsArgs {
    /// Also load and list these WebAssembly plugins (files or directories of `*.wasm`).
    #[arg(long = "plugin", value_name = "PATH")]
    plugins: Vec<PathBuf>,
}

/// Options of `rampart analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Capture files or directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Write JSON Lines files, a SQLite database and an HTML report into this directory.
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not write the SQLite database (with --out).
    #[arg(long)]
    no_sqlite: bool,
    /// Print no summary and no progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Progress bar: auto (only on a terminal), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    progress: analyze::ProgressWhen,
    /// Flows held at once; past it the least recently active flow is evicted.
    #[arg(long, value_name = "N", default_value_t = 131_072)]
    max_flows: usize,
    /// Load a third-party dissector: a WebAssembly plugin file, or a directory of `*.wasm`
    /// files (repeatable). Plugins run sandboxed; one that misbehaves is disabled.
    #[arg(long = "plugin", value_name = "PATH")]
    plugins: Vec<PathBuf>,
    /// Learn the baseline until this capture time (RFC 3339, `2026-03-01T08:00:00Z`) or for
    /// this long after the first packet (`90s`, `10m`, `1h30m`), then monitor; `off` monitors
    /// from the first packet. Default: learn throughout, so only the engines that need no
    /// baseline (protocol-aware, protocol violation, malware, operational, custom) alert.
    #[arg(long, value_name = "TIME|DURATION", value_parser = detect::parse_learning)]
    learn_until: Option<rampart_detect::Learning>,
    /// Detection settings (TOML: marked devices, thresholds, exclusions, maintenance windows).
    #[arg(long, value_name = "FILE")]
    detect_config: Option<PathBuf>,
    /// Custom rule files (TOML, see docs/rules.md), added to those of --detect-config
    /// (repeatable). Check one with `rampart rules check FILE`.
    #[arg(long = "rules", value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Run no alert engines.
    #[arg(long)]
    no_detect: bool,
    /// Megabytes of recent packets kept for the PCAPs of alerts.
    #[arg(long, value_name = "MB", default_value_t = 16)]
    evidence_mb: usize,
    /// Forward alerts as they are raised to the syslog receivers and webhooks of this TOML
    /// file (docs/forwarding.md).
    #[arg(long, value_name = "FILE")]
    forward: Option<PathBuf>,
    /// Learn into and check against this baseline file (created when missing; saved at the
    /// end as a new revision); its mutes suppress alerts.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Alerts(args) => alerts::run_alerts(&args),
        Command::Incidents(args) => alerts::run_incidents(&args),
        Command::Baseline(args) => baseline::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Protocols(args) => match analyze::load_plugins(&args.plugins) {
            Ok(plugins) => {
                print!("{}", analyze::protocol_list(&plugins));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rampart: {e}");
                ExitCode::from(2)
            }
        },
    }
}
