//! Measure the first lookup in the embedded registry (nothing to parse: `build.rs` made the
//! tables) and the cost of a lookup.
//!
//! Run with `cargo run --release -p rampart-oui --example lookup_cost`.

use std::hint::black_box;
use std::time::Instant;

use rampart_event::Mac;

/// Number of lookups timed per address set.
const LOOKUPS: usize = 4_000_000;

fn main() {
    let start = Instant::now();
    black_box(rampart_oui::vendor(black_box(Mac([
        0x00, 0x1b, 0x1b, 1, 2, 3,
    ]))));
    let first = start.elapsed();

    // Half the addresses come from assigned prefixes of every length (every seventh line of
    // the table), half from a scramble of the whole space, so hits and misses both count and
    // the searches do not stay in one cache line.
    let table = include_str!("../data/oui.tsv");
    let mut macs: Vec<Mac> = table
        .lines()
        .skip(1)
        .step_by(7)
        .filter_map(|l| l.split('\t').next())
        .filter_map(|hex| {
            let pad = format!("{hex:0<12}");
            u64::from_str_radix(&pad, 16).ok()
        })
        .map(|v| mac_from(v | 0x0a5))
        .collect();
    let assigned = macs.len();
    macs.extend(
        (0..assigned as u64)
            .map(|i| mac_from((i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16) & 0xfcff_ffff_ffff)),
    );
    let named = macs
        .iter()
        .filter(|&&m| rampart_oui::vendor(m).is_some())
        .count();

    let start = Instant::now();
    for &m in macs.iter().cycle().take(LOOKUPS) {
        black_box(rampart_oui::vendor(black_box(m)));
    }
    let spread = start.elapsed().as_nanos() as f64 / LOOKUPS as f64;

    let hot = Mac([0x00, 0x1b, 0x1b, 1, 2, 3]);
    let start = Instant::now();
    for _ in 0..LOOKUPS {
        black_box(rampart_oui::vendor(black_box(hot)));
    }
    let repeated = start.elapsed().as_nanos() as f64 / LOOKUPS as f64;

    println!("first lookup: {:.2} ms", first.as_secs_f64() * 1e3);
    println!(
        "lookup over {} addresses ({named} named): {spread:.1} ns",
        macs.len()
    );
    println!("lookup of one address repeated: {repeated:.1} ns");
}

/// Build a MAC from the low 48 bits of `v`.
fn mac_from(v: u64) -> Mac {
    let b = v.to_be_bytes();
    Mac([b[2], b[3], b[4], b[5], b[6], b[7]])
}
