//! `cargo xtask new-protocol <name> [--port N]`: a new built-in protocol from a working
//! template, wired into every place a protocol must be.
//!
//! The template (`xtask/template/`) is a small but complete dissector of a toy
//! request/response format: registration and probe, message types with an open function-code
//! enum, pure parsing with located errors, a dissector that frames the stream, pairs requests
//! with responses, reports identity and anomalies and resynchronises, and tests of each. The
//! command writes it under `crates/protocols/src/<name>/` with a test capture built here
//! (`testdata/<name>.pcap`, a TCP session of the toy protocol), registers it in
//! `crates/protocols/src/lib.rs`, adds its fuzz target, its golden case (which also puts it in
//! the dissector benchmark) and its line in the tshark name map. Everything builds and passes
//! from the first run; the developer then replaces the toy format with the real one.

use std::path::{Path, PathBuf};

/// Every file the command writes or edits, relative to the repository root.
pub struct Generated {
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Files edited.
    pub edited: Vec<PathBuf>,
}

const TEMPLATES: [(&str, &str); 4] = [
    ("mod.rs", include_str!("../template/mod.rs.tmpl")),
    ("message.rs", include_str!("../template/message.rs.tmpl")),
    ("parse.rs", include_str!("../template/parse.rs.tmpl")),
    (
        "dissector.rs",
        include_str!("../template/dissector.rs.tmpl"),
    ),
];
const FUZZ_TARGET: &str = include_str!("../template/fuzz.rs.tmpl");

/// Check a protocol name: what records, module paths and fuzz targets can all carry.
fn check_name(name: &str) -> Result<(), String> {
    let ok = (2..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(format!(
            "protocol name {name:?}: use 2–24 characters of a–z, 0–9 and _, starting with a letter"
        ));
    }
    const RESERVED: &[&str] = &[
        "fuzzing",
        "vendor_ids",
        "cotp",
        "mod",
        "self",
        "super",
        "crate",
        "type",
        "fn",
    ];
    if RESERVED.contains(&name) {
        return Err(format!(
            "protocol name {name:?} is taken by the crate itself"
        ));
    }
    Ok(())
}

fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn render(template: &str, name: &str, port: u16) -> String {
    template
        .replace("__Name__", &camel(name))
        .replace("__NAME__", &name.to_ascii_uppercase())
        .replace("__name__", name)
        .replace("__port__", &port.to_string())
}

/// Insert `line` before the line equal to `end` that follows the line starting with `start`.
fn insert_before_end(text: &str, start: &str, end: &str, line: &str) -> Result<String, String> {
    let from = text
        .find(start)
        .ok_or_else(|| format!("cannot find `{start}`"))?;
    let close = text[from..]
        .find(&format!("\n{end}"))
        .map(|i| from + i + 1)
        .ok_or_else(|| format!("cannot find the `{end}` closing `{start}`"))?;
    Ok(format!("{}{line}\n{}", &text[..close], &text[close..]))
}

/// Insert `mod <name>;` among the module declarations of the protocols crate, in name order.
fn declare_module(lib: &str, name: &str) -> Result<String, String> {
    let declaration = format!("mod {name};");
    let mut lines: Vec<&str> = lib.lines().collect();
    let module_name = |l: &str| {
        l.strip_prefix("pub mod ")
            .or_else(|| l.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'))
            .map(str::to_string)
    };
    let positions: Vec<usize> = (0..lines.len())
        .filter(|&i| module_name(lines[i]).is_some() && !lines[i].contains("fuzzing"))
        .collect();
    let last = *positions.last().ok_or("no module declarations in lib.rs")?;
    let at = positions
        .iter()
        .copied()
        .find(|&i| module_name(lines[i]).is_some_and(|m| m.as_str() > name))
        .unwrap_or(last + 1);
    lines.insert(at, &declaration);
    Ok(lines.join("\n") + "\n")
}

/// Generate the protocol `name` under `root`.
pub fn new_protocol(root: &Path, name: &str, port: u16) -> Result<Generated, String> {
    check_name(name)?;
    let folder = root.join("crates/protocols/src").join(name);
    if folder.exists() {
        return Err(format!("{} already exists", folder.display()));
    }
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let write = |p: &Path, text: &[u8]| -> Result<(), String> {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let mut generated = Generated {
        written: Vec::new(),
        edited: Vec::new(),
    };
    let mut note = |p: PathBuf, edited: bool| {
        let relative = p.strip_prefix(root).map(Path::to_path_buf).unwrap_or(p);
        if edited {
            generated.edited.push(relative);
        } else {
            generated.written.push(relative);
        }
    };

    for (file, template) in TEMPLATES {
        let path = folder.join(file);
        write(&path, render(template, name, port).as_bytes())?;
        note(path, false);
    }
    let capture = folder.join("testdata").join(format!("{name}.pcap"));
    write(&capture, &crate::pcap::toy_session(port))?;
    note(capture, false);

    let lib = root.join("crates/protocols/src/lib.rs");
    let text = declare_module(&read(&lib)?, name)?;
    let text = insert_before_end(
        &text,
        "static FLOW_PROTOCOLS: &[Registration] = &[",
        "];",
        &format!("    {name}::REGISTRATION,"),
    )?;
    write(&lib, text.as_bytes())?;
    note(lib, true);

    let fuzz_target = root.join("fuzz/fuzz_targets").join(format!("{name}.rs"));
    write(&fuzz_target, render(FUZZ_TARGET, name, port).as_bytes())?;
    note(fuzz_target, false);
    let fuzz_manifest = root.join("fuzz/Cargo.toml");
    let mut text = read(&fuzz_manifest)?;
    text.push_str(&format!(
        "\n[[bin]]\nname = \"{name}\"\npath = \"fuzz_targets/{name}.rs\"\ntest = false\ndoc = false\nbench = false\n"
    ));
    write(&fuzz_manifest, text.as_bytes())?;
    note(fuzz_manifest, true);

    let cases = root
        .join("crates/engine/tests/golden")
        .join(name)
        .join("cases.txt");
    write(
        &cases,
        format!("crates/protocols/src/{name}/testdata/{name}.pcap\n").as_bytes(),
    )?;
    note(cases, false);

    let oracle = root.join("crates/engine/tests/oracle.rs");
    let text = insert_before_end(
        &read(&oracle)?,
        "const TSHARK_NAMES: &[(&str, &[&str])] = &[",
        "];",
        &format!("    (\"{name}\", &[]),"),
    )?;
    write(&oracle, text.as_bytes())?;
    note(oracle, true);
    Ok(generated)
}

/// Format the generated Rust files as the repository formats its code.
pub fn format(root: &Path, generated: &Generated) -> bool {
    let files: Vec<PathBuf> = generated
        .written
        .iter()
        .chain(&generated.edited)
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| root.join(p))
        .collect();
    std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&files)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_fit_records_modules_and_fuzz_targets() {
        assert!(check_name("knx_ip").is_ok());
        assert!(check_name("KNX").is_err());
        assert!(check_name("9p").is_err());
        assert!(check_name("fuzzing").is_err());
    }

    #[test]
    fn renders_every_placeholder() {
        for (_, template) in TEMPLATES {
            let out = render(template, "knx_ip", 3671);
            assert!(!out.contains("__"), "a placeholder is left: {out}");
        }
        assert_eq!(camel("knx_ip"), "KnxIp");
    }

    #[test]
    fn declares_the_module_in_name_order() {
        let lib = "mod arp;\npub mod dns;\nmod tls;\n\n#[cfg(test)]\npub mod fuzzing;\n";
        assert_eq!(
            declare_module(lib, "knx").expect("declared"),
            "mod arp;\npub mod dns;\nmod knx;\nmod tls;\n\n#[cfg(test)]\npub mod fuzzing;\n"
        );
        assert_eq!(
            declare_module(lib, "zzz").expect("declared"),
            "mod arp;\npub mod dns;\nmod tls;\nmod zzz;\n\n#[cfg(test)]\npub mod fuzzing;\n"
        );
    }

    #[test]
    fn inserts_a_line_before_the_end_of_a_list() {
        let text = "a\nstatic L: &[u8] = &[\n    1,\n];\nb\n";
        assert_eq!(
            insert_before_end(text, "static L", "];", "    2,").expect("inserted"),
            "a\nstatic L: &[u8] = &[\n    1,\n    2,\n];\nb\n"
        );
    }
}
