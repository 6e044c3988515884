//! `rampart rules check FILE…`: compile custom rules as `analyze` would and print each one
//! as it was understood, so a mistake shows before a capture is run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rampart_detect::rules::{self, CustomRule};

/// Options of `rampart rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Validate rule files and print the rules they define.
    Check {
        /// Rule files (TOML, see docs/rules.md).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

/// Run `rampart rules`.
pub fn run(args: &RulesArgs) -> ExitCode {
    let RulesCommand::Check { files } = &args.command;
    match rules::load(files) {
        Ok(rules) => {
            print!("{}", listing(&rules));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rampart: {e}");
            ExitCode::from(2)
        }
    }
}

/// One line per rule with where it is written, then a count.
fn listing(rules: &[CustomRule]) -> String {
    let mut out = String::new();
    for r in rules {
        out.push_str(&format!("{}:{}: {r}\n", r.origin.0.display(), r.origin.1));
    }
    let plural = if rules.len() == 1 { "" } else { "s" };
    out.push_str(&format!("{} rule{plural} valid\n", rules.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn lists_rules_as_understood_with_their_place() {
        let text = "[[rule]]\nid = \"stop\"\nprotocol = \"s7comm\"\naction = \"plc_stop\"\nwhere = \"not source.ip in 10.0.0.0/24\"\n";
        let rules =
            rampart_detect::rules::file::parse(text, Path::new("plant.toml")).expect("valid");
        assert_eq!(
            listing(&rules),
            "plant.toml:2: custom.stop [major] protocol=s7comm action=plc_stop where not source.ip in [10.0.0.0/24] — Custom rule stop\n1 rule valid\n"
        );
    }
}
