//! Measure how fast captures are read:
//! `cargo run --release -p rampart-capture --example throughput [FILE] [PACKETS]`.
//!
//! Without a file, writes a classic pcap of PACKETS (default 10 million) 64-byte Ethernet
//! records to a temporary file first, then reads it three times (the first round may still
//! wait for the disk; later ones read from the page cache).

use std::error::Error;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use rampart_capture::CaptureFile;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args_os().skip(1);
    let given = args.next().map(PathBuf::from);
    let count: u32 = match args.next() {
        Some(n) => n.to_string_lossy().parse()?,
        None => 10_000_000,
    };
    let temp = tempfile::NamedTempFile::new()?;
    let path = match given {
        Some(path) => path,
        None => {
            synthesize(temp.as_file(), count)?;
            temp.path().to_path_buf()
        }
    };
    for round in 1..=3 {
        let start = Instant::now();
        let mut file = CaptureFile::open(&path)?;
        let (mut packets, mut bytes, mut errors) = (0u64, 0u64, 0u64);
        loop {
            match file.next_packet() {
                Ok(Some(packet)) => {
                    packets += 1;
                    bytes += packet.data.len() as u64;
                }
                Ok(None) => break,
                Err(e) if e.is_recoverable() => errors += 1,
                Err(e) => {
                    eprintln!("{e}");
                    break;
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "round {round}: {packets} packets ({errors} errors) in {secs:.3} s: {:.1} M packets/s, {:.0} MB/s of file",
            packets as f64 / secs / 1e6,
            file.bytes_read() as f64 / secs / 1e6,
        );
        std::hint::black_box(bytes);
    }
    Ok(())
}

/// Write a little-endian microsecond pcap of `count` 64-byte Ethernet records.
fn synthesize(file: &std::fs::File, count: u32) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, file);
    // File header: magic, version 2.4, thiszone, sigfigs, snaplen 65535, link type 1.
    out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    out.write_all(&[2, 0, 4, 0])?;
    out.write_all(&[0; 8])?;
    out.write_all(&65_535u32.to_le_bytes())?;
    out.write_all(&1u32.to_le_bytes())?;
    let payload = [0x5au8; 64];
    for i in 0..count {
        out.write_all(&(1_700_000_000 + i / 100_000).to_le_bytes())?; // seconds
        out.write_all(&(i % 100_000 * 10).to_le_bytes())?; // microseconds
        out.write_all(&64u32.to_le_bytes())?; // captured length
        out.write_all(&64u32.to_le_bytes())?; // original length
        out.write_all(&payload)?;
    }
    out.flush()
}
