//! `rampart analyze`: read captures, run the engine, write the outputs.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rampart_capture::{CaptureFile, expand_inputs};
use rampart_dissect::FlowProtocol;
use rampart_engine::{Engine, EngineConfig, NullSink, RecordSink, Registry, Report};
use rampart_output::{Fanout, InputSummary, JsonLines, JsonSink, html, summary, write_report};
use rampart_store::Store;
use tracing::{info, warn};

use rampart_detect::{DetectConfig, Stored, incident};
use rampart_forward::{ForwardStats, Forwarder};
use rampart_output::write_incidents;

use crate::{AnalyzeArgs, forward};

/// When to draw the progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressWhen {
    /// Only when standard error is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Packets between progress updates: often enough to look alive, rare enough to cost nothing.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Load the plugins named on the command line; a plugin that cannot be loaded stops the run
/// before any input is read, with the reason.
pub fn load_plugins(paths: &[PathBuf]) -> Result<Vec<&'static dyn FlowProtocol>, String> {
    let builtin: Vec<&str> = rampart_protocols::flow_protocols()
        .iter()
        .map(|r| r.name)
        .chain(rampart_protocols::frame_protocols().iter().map(|r| r.name))
        .collect();
    let plugins = rampart_plugin::load_all(paths, rampart_plugin::Limits::default(), &builtin)
        .map_err(|e| format!("plugin not loaded: {e}"))?;
    for p in &plugins {
        info!(plugin = p.name(), "Plugin loaded.");
    }
    Ok(plugins
        .into_iter()
        .map(|p| p as &'static dyn FlowProtocol)
        .collect())
}

/// The list printed by `rampart protocols`.
pub fn protocol_list(plugins: &[&'static dyn FlowProtocol]) -> String {
    let mut out = String::new();
    let builtin = rampart_protocols::flow_protocols()
        .iter()
        .map(|r| (r as &dyn FlowProtocol, ""));
    let loaded = plugins.iter().map(|p| (*p, " (plugin)"));
    for (r, origin) in builtin.chain(loaded) {
        let transports: Vec<&str> = r
            .transports()
            .iter()
            .map(|t| match t {
                rampart_dissect::Transport::Tcp => "tcp",
                rampart_dissect::Transport::Udp => "udp",
            })
            .collect();
        let ports: Vec<String> = r.ports().iter().map(u16::to_string).collect();
        let _ = writeln!(
            out,
            "{:<12} {:<8} ports {}{origin}",
            r.name(),
            transports.join("/"),
            ports.join(",")
        );
    }
    for r in rampart_protocols::frame_protocols() {
        let matches: Vec<String> = r.matches.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "{:<12} link     {}", r.name, matches.join(", "));
    }
    out
}

fn progress_bar(args: &AnalyzeArgs, total: u64) -> ProgressBar {
    let draw = match (args.quiet, args.progress) {
        (true, _) | (_, ProgressWhen::Never) => false,
        (_, ProgressWhen::Always) => true,
        (_, ProgressWhen::Auto) => std::io::stderr().is_terminal(),
    };
    if !draw {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {binary_bytes}/{binary_total_bytes} {msg} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

struct Outputs {
    sink: Box<dyn RecordSink>,
    database: Option<std::path::PathBuf>,
}

fn open_outputs(args: &AnalyzeArgs) -> Result<Outputs, String> {
    let Some(dir) = &args.out else {
        return Ok(Outputs {
            sink: Box::new(NullSink),
            database: None,
        });
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut sinks: Vec<Box<dyn JsonSink>> =
        vec![Box::new(JsonLines::create(dir).map_err(|e| e.to_string())?)];
    let mut database = None;
    if !args.no_sqlite {
        let path = dir.join("rampart.sqlite");
        sinks.push(Box::new(Store::create(&path).map_err(|e| e.to_string())?));
        database = Some(path);
    }
    Ok(Outputs {
        sink: Box::new(Fanout::new(sinks)),
        database,
    })
}

/// Run the command; the exit code is 0 when every input was read (damaged parts reported),
/// 1 when some input could not be read at all, 2 when nothing could be analysed.
pub fn run(args: &AnalyzeArgs) -> ExitCode {
    let plugins = match load_plugins(&args.plugins) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rampart: {e}");
            return ExitCode::from(2);
        }
    };
    let (files, problems) = expand_inputs(&args.paths);
    let mut unreadable = problems.len();
    for p in &problems {
        eprintln!("rampart: {p}");
    }
    if files.is_empty() {
        eprintln!("rampart: no capture files to analyse");
        return ExitCode::from(2);
    }
    let outputs = match open_outputs(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rampart: {e}");
            return ExitCode::from(2);
        }
    };
    let (detection, detect_config, baseline) = match crate::detect::detection(args) {
        Ok(Some(run)) => (Some(run.detection), run.config, run.baseline),
        Ok(None) => (None, Default::default(), None),
        Err(e) => {
            eprintln!("rampart: {e}");
            return ExitCode::from(2);
        }
    };
    let forwarder = match args.forward.as_deref().map(forward::start).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rampart: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = EngineConfig::default();
    config.flow.max_flows = args.max_flows.max(1);
    let mut engine = Engine::with_registry(config, Registry::with_plugins(&plugins), outputs.sink);
    if let Some(detection) = detection {
        engine = engine.with_detection(detection);
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress_bar(args, total);
    let started = Instant::now();
    let mut inputs = Vec::with_capacity(files.len());
    let mut done_bytes = 0;
    for path in &files {
        let forwarding = forwarder.as_ref().map(|f| (f, args.out.is_some()));
        let summary = read_one(path, &mut engine, forwarding, &bar, done_bytes, started);
        if summary.packets == 0 && !summary.errors.is_empty() {
            unreadable += 1;
        }
        done_bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        inputs.push(summary);
    }
    bar.finish_and_clear();
    let packets = engine.stats().packets;
    let (mut report, mut sink) = engine.finish();
    let forwarded = forwarder
        .map(|f| forward::finish(f, report.detection.as_mut(), args.out.is_some()))
        .unwrap_or_default();
    let elapsed = started.elapsed();
    info!(
        packets,
        seconds = elapsed.as_secs_f64(),
        "Analysis finished."
    );
    if let Err(e) = sink.finish() {
        eprintln!("rampart: writing records failed: {e}");
        return ExitCode::from(2);
    }
    drop(sink);
    if let Some(n) = report
        .detection
        .as_ref()
        .map(|d| d.evidence_unreadable())
        .filter(|&n| n > 0)
    {
        eprintln!(
            "rampart: {n} evidence packets could not be read back from their capture files \
             (changed or removed during the run); the alert PCAPs that wanted them lack them"
        );
    }
    for p in report.stats.plugins.iter() {
        if let Some(reason) = &p.disabled {
            eprintln!(
                "rampart: plugin {} was disabled during the run: {reason}",
                p.name
            );
        }
    }
    if let Some(dir) = &args.out
        && let Err(e) = write_end_of_run(
            dir,
            outputs.database.as_deref(),
            &report,
            &inputs,
            &detect_config,
            &forwarded,
        )
    {
        eprintln!("rampart: {e}");
        return ExitCode::from(2);
    }
    if let Some(b) = &baseline
        && let Err(e) = b.finish(args.out.as_deref(), &args.paths)
    {
        eprintln!("rampart: {e}");
        return ExitCode::from(2);
    }
    if !args.quiet {
        print!("{}", summary::render(&report, &inputs));
        print!("{}", forward::summary(&forwarded));
        if let Some(dir) = &args.out {
            println!(
                "Outputs in {}: flows.jsonl, events.jsonl, devices.jsonl, conversations.jsonl{}, summary.json, report.html{}.",
                dir.display(),
                if report.detection.is_some() {
                    ", alerts.jsonl, incidents.jsonl, alerts/*.pcap"
                } else {
                    ""
                },
                if outputs.database.is_some() {
                    ", rampart.sqlite"
                } else {
                    ""
                }
            );
        }
    }
    // The process exits next and the system takes its memory back at once; freeing the
    // report's hundreds of thousands of allocations one by one took 1% of a run's
    // instructions. Everything it fed (files, database, forwarders) is finished above.
    std::mem::forget(report);
    if unreadable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_end_of_run(
    dir: &Path,
    database: Option<&Path>,
    report: &Report,
    inputs: &[InputSummary],
    detect_config: &DetectConfig,
    forwarded: &[ForwardStats],
) -> Result<(), String> {
    write_report(dir, report, inputs, forwarded).map_err(|e| e.to_string())?;
    let incidents = report
        .detection
        .as_ref()
        .map(|d| incident::group(d.book().alerts(), detect_config.incidents.window))
        .unwrap_or_default();
    if report.detection.is_some() {
        write_incidents(dir, &incidents).map_err(|e| e.to_string())?;
    }
    let page = dir.join("report.html");
    std::fs::write(&page, html::render(report, inputs))
        .map_err(|e| format!("cannot write {}: {e}", page.display()))?;
    if let Some(path) = database {
        let mut store = Store::reopen(path).map_err(|e| e.to_string())?;
        store
            .write_report(report, inputs, forwarded)
            .map_err(|e| e.to_string())?;
        if let Some(d) = &report.detection {
            store
                .write_alerts(d.book().alerts(), |id| d.pcap(id), &incidents)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Read one capture into the engine; problems are reported and reading goes on where it can.
fn read_one(
    path: &Path,
    engine: &mut Engine,
    forwarding: Option<(&Forwarder, bool)>,
    bar: &ProgressBar,
    done_bytes: u64,
    started: Instant,
) -> InputSummary {
    let mut summary = InputSummary {
        path: path.display().to_string(),
        format: String::new(),
        packets: 0,
        errors: Vec::new(),
    };
    let mut file = match CaptureFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rampart: {e}");
            summary.errors.push(e.to_string());
            return summary;
        }
    };
    summary.format = format!(
        "{}{}",
        file.format(),
        if file.compressed() { " + gzip" } else { "" }
    );
    let mut last_time = Default::default();
    // Alert PCAPs read the packets of a capture file back from it rather than keep copies.
    let evidence_file = match engine.detection_mut() {
        Some(detection) if file.seekable() => detection.evidence_file(path),
        _ => None,
    };
    loop {
        match file.next_packet() {
            Ok(Some(p)) => {
                last_time = p.timestamp;
                let stored = evidence_file
                    .zip(p.file_offset)
                    .map(|(file, offset)| Stored { file, offset });
                engine.packet_stored(p.timestamp, p.link_type.0, p.data, p.wire_len, stored);
                if let (Some((forwarder, pcaps)), Some(detection)) =
                    (forwarding, engine.detection_mut())
                {
                    forward::send_fresh(forwarder, detection, pcaps);
                }
                summary.packets += 1;
                if summary.packets.is_multiple_of(PROGRESS_EVERY) {
                    let packets = engine.stats().packets;
                    let secs = started
                        .elapsed()
                        .max(Duration::from_millis(1))
                        .as_secs_f64();
                    bar.set_position(done_bytes + file.bytes_read());
                    bar.set_message(format!(
                        "{} packets, {} packets/s",
                        summary::thousands(packets),
                        summary::thousands((packets as f64 / secs) as u64)
                    ));
                }
            }
            Ok(None) => break,
            Err(e) => {
                let recoverable = e.is_recoverable();
                warn!(error = %e, "Capture problem.");
                eprintln!("rampart: {e}");
                let code = if recoverable {
                    "corrupt_record"
                } else {
                    "unreadable"
                };
                engine.capture_error(last_time, code, &e);
                summary.errors.push(e.to_string());
                if !recoverable {
                    break;
                }
            }
        }
    }
    for record in file.names() {
        engine.name_record(record.address, &record.name, last_time);
    }
    summary
}
