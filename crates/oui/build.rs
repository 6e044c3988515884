//! Turn `data/oui.tsv` into the lookup tables `src/lib.rs` searches, as Rust statics.
//!
//! The registry is parsed here rather than on the first lookup: a sensor would otherwise
//! spend about 50 million instructions and 1.5 MB of heap at every start building the same
//! sorted arrays. The TSV stays the reviewed source; the generated file lives in `OUT_DIR`.
//! A line that is not `hex<TAB>name` fails the build with its line number, so a bad
//! regeneration is caught before anything ships.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Number of buckets in the index on a block's first 16 bits (`src/lib.rs` looks a block up
/// in bucket `block >> 8`).
const BUCKETS: usize = 1 << 16;

/// What one 24-bit block holds: the MA-L holder, and whether longer assignments lie inside.
#[derive(Default)]
struct Block {
    name: Option<String>,
    split: bool,
}

fn main() {
    println!("cargo::rerun-if-changed=data/oui.tsv");
    let text = std::fs::read_to_string("data/oui.tsv").expect("read data/oui.tsv");
    let mut blocks: BTreeMap<u32, Block> = BTreeMap::new();
    let (mut m28, mut s36) = (BTreeMap::new(), BTreeMap::new());
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let Some((bits, key, name)) = parse_line(line) else {
            panic!("data/oui.tsv line {}: not `hex<TAB>name`: {line:?}", n + 1);
        };
        let block = u32::try_from(key >> (bits - 24)).expect("a 24-bit block");
        let holder = blocks.entry(block).or_default();
        match bits {
            24 => {
                holder.name.get_or_insert_with(|| name.to_owned());
            }
            28 => {
                holder.split = true;
                m28.entry(key).or_insert(name);
            }
            _ => {
                holder.split = true;
                s36.entry(key).or_insert(name);
            }
        }
    }
    let mut out = String::new();
    write_starts(&mut out, &blocks);
    write_list(&mut out, "BLOCKS: [u32", blocks.keys(), |o, b| {
        write!(o, "{b}")
    });
    write_list(&mut out, "HOLDERS: [Block", blocks.values(), |o, h| {
        write!(o, "Block{{name:{:?},split:{}}}", h.name, h.split)
    });
    write_prefixes(&mut out, "M28", &m28);
    write_prefixes(&mut out, "S36", &s36);
    let dir = std::env::var_os("OUT_DIR").expect("OUT_DIR set by cargo");
    std::fs::write(Path::new(&dir).join("registry.rs"), out).expect("write registry.rs");
}

/// Split one table line into (prefix length in bits, prefix value, name).
fn parse_line(line: &str) -> Option<(u32, u64, &str)> {
    let (hex, name) = line.split_once('\t')?;
    let bits = match hex.len() {
        6 => 24,
        7 => 28,
        9 => 36,
        _ => return None,
    };
    if name.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((bits, u64::from_str_radix(hex, 16).ok()?, name))
}

/// The index: where the blocks whose first 16 bits are `i` start; one more entry closes the
/// last range.
fn write_starts(out: &mut String, blocks: &BTreeMap<u32, Block>) {
    let mut starts = vec![0u32; BUCKETS + 1];
    for &block in blocks.keys() {
        starts[(block >> 8) as usize + 1] += 1;
    }
    let mut total = 0;
    for n in &mut starts {
        total += *n;
        *n = total;
    }
    write_list(out, "STARTS: [u32", starts.iter(), |o, s| write!(o, "{s}"));
}

/// One length's assignments: sorted keys and their names, in two parallel arrays.
fn write_prefixes(out: &mut String, name: &str, prefixes: &BTreeMap<u64, &str>) {
    write_list(
        out,
        &format!("{name}_KEYS: [u64"),
        prefixes.keys(),
        |o, k| write!(o, "{k}"),
    );
    write_list(
        out,
        &format!("{name}_NAMES: [&str"),
        prefixes.values(),
        |o, n| write!(o, "{n:?}"),
    );
}

/// `static HEAD; LEN] = [item,item,…];` with one item per element.
fn write_list<T>(
    out: &mut String,
    head: &str,
    items: impl ExactSizeIterator<Item = T>,
    mut item: impl FnMut(&mut String, T) -> std::fmt::Result,
) {
    write!(out, "static {head}; {}] = [", items.len()).expect("write to a String");
    for it in items {
        item(out, it).expect("write to a String");
        out.push(',');
    }
    out.push_str("];\n");
}
