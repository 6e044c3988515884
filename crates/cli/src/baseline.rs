//! `rampart baseline …` and the `--baseline FILE` of `rampart analyze`: load, edit, compare
//! and save the learned baseline. The model and the rules live in `rampart_detect`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rampart_detect::baseline::file::{Action, now};
use rampart_detect::baseline::{self, Baseline, BaselineHandle, Diff, Fold, Mute, edit};
use rampart_detect::policy::{Mutes, PolicyEngine};
use rampart_detect::{Detector, Learning, Suppress};
use rampart_event::Timestamp;

/// Options of `rampart baseline`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    #[command(subcommand)]
    command: BaselineCommand,
}

#[derive(Subcommand, Debug)]
enum BaselineCommand {
    /// Print a readable summary: devices, edges, commands, mutes, recent edits.
    Show {
        /// The baseline file.
        file: PathBuf,
    },
    /// Show what was added and removed from A to B.
    Diff {
        /// The earlier baseline.
        a: PathBuf,
        /// The later baseline.
        b: PathBuf,
        /// Print the differences as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a portable copy (without the local edit history).
    Export {
        /// The baseline file.
        file: PathBuf,
        /// Where to write the portable copy.
        #[arg(long, value_name = "PORTABLE")]
        out: PathBuf,
    },
    /// Validate a portable baseline and merge it into FILE (created if missing).
    Import {
        /// The portable baseline.
        portable: PathBuf,
        /// The baseline to merge into.
        #[arg(long, value_name = "FILE")]
        into: PathBuf,
    },
    /// Fold an alert's deviation into the baseline: it becomes normal.
    Learn(EditArgs),
    /// Take an alert's deviation out of the baseline again.
    Unlearn(EditArgs),
    /// Mute an alert: it is still recorded, marked suppressed, and not forwarded.
    Mute {
        /// The baseline file.
        file: PathBuf,
        /// The alert id (16 hex digits).
        alert: String,
        /// Why.
        #[arg(long)]
        note: String,
        /// The alerts.jsonl the alert is in, to record its rule.
        #[arg(long, value_name = "ALERTS")]
        alerts: Option<PathBuf>,
    },
    /// Lift a mute.
    Unmute {
        /// The baseline file.
        file: PathBuf,
        /// The alert id.
        alert: String,
    },
}

/// Options of `learn` and `unlearn`.
#[derive(Args, Debug)]
struct EditArgs {
    /// The baseline file.
    file: PathBuf,
    /// The alerts.jsonl of the analysis that raised the alert.
    #[arg(long, value_name = "ALERTS")]
    alerts: PathBuf,
    /// The alert id (16 hex digits).
    alert: String,
    /// A note for the history.
    #[arg(long)]
    note: Option<String>,
}

/// Run `rampart baseline …`.
pub fn run(args: &BaselineArgs) -> ExitCode {
    let result = match &args.command {
        BaselineCommand::Show { file } => load(file).map(|b| print!("{}", b.summary())),
        BaselineCommand::Diff { a, b, json } => diff(a, b, *json),
        BaselineCommand::Export { file, out } => export(file, out),
        BaselineCommand::Import { portable, into } => import(portable, into),
        BaselineCommand::Learn(e) => fold(e, Action::Learn),
        BaselineCommand::Unlearn(e) => fold(e, Action::Unlearn),
        BaselineCommand::Mute {
            file,
            alert,
            note,
            alerts,
        } => mute(file, alert, note, alerts.as_deref()),
        BaselineCommand::Unmute { file, alert } => unmute(file, alert),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rampart: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> Result<Baseline, String> {
    Baseline::load(path).map_err(|e| e.to_string())
}

fn save(b: &Baseline, path: &Path) -> Result<(), String> {
    b.save(path).map_err(|e| e.to_string())
}

fn diff(a: &Path, b: &Path, json: bool) -> Result<(), String> {
    let d = Diff::between(&load(a)?, &load(b)?);
    if json {
        let text = serde_json::to_string_pretty(&d).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", d.render());
    }
    Ok(())
}

fn export(file: &Path, out: &Path) -> Result<(), String> {
    let b = load(file)?;
    baseline::file::write_atomically(out, b.to_portable_json().as_bytes())
        .map_err(|e| e.to_string())?;
    println!(
        "Exported revision {} of {} to {}.",
        b.revision,
        file.display(),
        out.display()
    );
    Ok(())
}

fn import(portable: &Path, into: &Path) -> Result<(), String> {
    let other = load(portable)?;
    let mut b = Baseline::load_or_new(into).map_err(|e| e.to_string())?;
    let new = b.merge(&other);
    b.commit(
        Action::Import,
        None,
        None,
        Some(format!("{}: {new} new entries", portable.display())),
    );
    save(&b, into)?;
    println!(
        "Imported {} into {}: {new} new entries, revision {}.",
        portable.display(),
        into.display(),
        b.revision
    );
    Ok(())
}

fn fold(args: &EditArgs, action: Action) -> Result<(), String> {
    let mut b = load(&args.file)?;
    let alert = edit::read_alert(&args.alerts, &args.alert).map_err(|e| e.to_string())?;
    let fold = Fold::from_alert(&alert).map_err(|e| e.to_string())?;
    let changed = match action {
        Action::Unlearn => fold.unlearn(&mut b),
        _ => fold.learn(&mut b, wall_clock()),
    };
    let verb = if action == Action::Unlearn {
        "unlearned"
    } else {
        "learned"
    };
    if !changed {
        println!(
            "Alert {}: nothing to change, the baseline already says so.",
            args.alert
        );
        return Ok(());
    }
    let rule = alert["rule"]["id"].as_str().map(str::to_string);
    b.commit(
        action,
        Some(args.alert.to_lowercase()),
        rule,
        args.note.clone(),
    );
    save(&b, &args.file)?;
    println!("Alert {} {verb}: revision {}.", args.alert, b.revision);
    Ok(())
}

fn mute(file: &Path, alert: &str, note: &str, alerts: Option<&Path>) -> Result<(), String> {
    let id = alert_id(alert)?;
    let rule = match alerts {
        Some(path) => edit::read_alert(path, &id).map_err(|e| e.to_string())?["rule"]["id"]
            .as_str()
            .map(str::to_string),
        None => None,
    };
    let mut b = load(file)?;
    b.mutes.insert(
        id.clone(),
        Mute {
            rule: rule.clone(),
            note: note.to_string(),
            time: now(),
        },
    );
    b.commit(Action::Mute, Some(id.clone()), rule, Some(note.to_string()));
    save(&b, file)?;
    println!("Alert {id} muted: revision {}.", b.revision);
    Ok(())
}

fn unmute(file: &Path, alert: &str) -> Result<(), String> {
    let id = alert_id(alert)?;
    let mut b = load(file)?;
    let Some(old) = b.mutes.remove(&id) else {
        return Err(format!("alert {id} is not muted in {}", file.display()));
    };
    b.commit(Action::Unmute, Some(id.clone()), old.rule, None);
    save(&b, file)?;
    println!("Alert {id} unmuted: revision {}.", b.revision);
    Ok(())
}

/// An alert id as the file keeps it: 16 lowercase hex digits.
fn alert_id(text: &str) -> Result<String, String> {
    let id = text.to_lowercase();
    if id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(format!("{text:?} is not an alert id (16 hex digits)"))
    }
}

fn wall_clock() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    )
}

/// The baseline of one `rampart analyze` run: the `--baseline FILE`, or one held in memory
/// for the run alone (written to `OUT/baseline.json` for reuse).
pub struct AnalysisBaseline {
    path: Option<PathBuf>,
    handle: BaselineHandle,
    existed: bool,
}

impl AnalysisBaseline {
    /// Load `path`, or start an empty baseline when it does not exist yet.
    pub fn open(path: &Path) -> Result<AnalysisBaseline, String> {
        let existed = path.exists();
        let b = Baseline::load_or_new(path).map_err(|e| e.to_string())?;
        Ok(AnalysisBaseline {
            path: Some(path.to_path_buf()),
            handle: baseline::handle(b),
            existed,
        })
    }

    /// An empty baseline for this run only.
    pub fn in_memory() -> AnalysisBaseline {
        AnalysisBaseline {
            path: None,
            handle: baseline::handle(Baseline::default()),
            existed: false,
        }
    }

    /// The policy engine over this baseline.
    pub fn detector(&self) -> Box<dyn Detector> {
        Box::new(PolicyEngine::new(self.handle.clone()))
    }

    /// The baseline's mutes, for every engine's alerts.
    pub fn suppressor(&self) -> Box<dyn Suppress> {
        Box::new(Mutes::of(&baseline::lock(&self.handle)))
    }

    /// Learning without `--learn-until`: a new baseline learns the whole input, an existing
    /// one monitors it.
    pub fn default_learning(&self) -> Learning {
        if self.existed {
            Learning::Off
        } else {
            Learning::Always
        }
    }

    /// Save what was learned as a new revision, and copy the baseline to `OUT/baseline.json`.
    pub fn finish(&self, out: Option<&Path>, inputs: &[PathBuf]) -> Result<(), String> {
        let mut b = baseline::lock(&self.handle);
        if let Some(path) = &self.path
            && (b.changed() || !self.existed)
        {
            let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
            b.commit(
                Action::Analyze,
                None,
                None,
                Some(format!("learned from {}", names.join(", "))),
            );
            save(&b, path)?;
        }
        if let Some(dir) = out {
            save(&b, &dir.join("baseline.json"))?;
        }
        Ok(())
    }
}
