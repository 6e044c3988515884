//! The command line's paths, expanded to the files to read.
//!
//! Directories are walked recursively and their files listed in path order, so a run over a
//! folder is reproducible; hidden entries (names starting with `.`) are skipped. Symbolic
//! links to files are followed, links to directories are not, so a link cycle cannot make the
//! walk endless; nesting is bounded too. Whether a file is a capture is decided when it is
//! opened, where a non-capture becomes [`CaptureError::NotACapture`] for that file alone.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::CaptureError;

/// Directory levels walked below a given directory.
const MAX_DEPTH: usize = 64;

/// Expand `paths` into files: a file stays as given, a directory becomes its files (recursive,
/// sorted, hidden entries skipped); paths that cannot be read are returned as errors.
pub fn expand_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<CaptureError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                walk(path, 0, &mut found, &mut errors);
                found.sort();
                files.append(&mut found);
            }
            Ok(_) => files.push(path.clone()),
            Err(source) => errors.push(CaptureError::Io {
                path: path.clone(),
                source,
            }),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>, errors: &mut Vec<CaptureError>) {
    if depth > MAX_DEPTH {
        let source = io::Error::other(format!("directories nested deeper than {MAX_DEPTH} levels"));
        errors.push(CaptureError::Io {
            path: dir.to_path_buf(),
            source,
        });
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(CaptureError::Io {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                errors.push(CaptureError::Io {
                    path: dir.to_path_buf(),
                    source,
                });
                continue;
            }
        };
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk(&path, depth + 1, files, errors),
            Ok(kind) if kind.is_symlink() => match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => files.push(path),
                Ok(_) => {}
                Err(source) => errors.push(CaptureError::Io { path, source }),
            },
            Ok(_) => files.push(path),
            Err(source) => errors.push(CaptureError::Io { path, source }),
        }
    }
}
