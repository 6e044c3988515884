//! Every capture in the shared real-capture corpus reads without error, with tshark's packet
//! count and first/last timestamps (from the sibling `*.expected.json`).

use std::path::{Path, PathBuf};

use rampart_capture::{CaptureFile, expand_inputs};

fn corpus() -> PathBuf {
    std::env::var_os("RAMPART_SHARED_CAPTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures"),
        PathBuf::from,
    )
}

/// Parse tshark's `"1268518494.558191"` into microseconds.
fn micros(epoch: &str) -> i128 {
    let (secs, frac) = epoch.split_once('.').unwrap_or((epoch, "0"));
    let secs: i128 = secs.parse().expect("seconds");
    let frac: i128 = format!("{frac:0<6}")[..6].parse().expect("microseconds");
    secs * 1_000_000 + frac
}

#[test]
fn reads_every_shared_capture_with_tsharks_packet_count() {
    let dir = corpus();
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} not found in CI",
            dir.display()
        );
        println!("skipping: ../shared/captures not found");
        return;
    }
    let (files, errors) = expand_inputs(&[dir]);
    assert!(errors.is_empty(), "{errors:?}");
    let mut checked = 0;
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(stem) = name
            .strip_suffix(".pcapng")
            .or_else(|| name.strip_suffix(".pcap"))
        else {
            continue;
        };
        let expected_path = path.with_file_name(format!("{stem}.expected.json"));
        let text = std::fs::read_to_string(&expected_path).expect("expected.json beside capture");
        let expected: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let mut file = CaptureFile::open(&path).expect("real capture opens");
        let (mut count, mut first, mut last) = (0u64, i128::MAX, i128::MIN);
        while let Some(packet) = file.next_packet().unwrap_or_else(|e| panic!("{e}")) {
            count += 1;
            let t = i128::from(packet.timestamp.0 / 1000);
            first = first.min(t);
            last = last.max(t);
        }
        assert_eq!(
            Some(count),
            expected["packet_count"].as_u64(),
            "{}",
            path.display()
        );
        if let (Some(want_first), Some(want_last)) = (
            expected["first_timestamp_epoch"].as_str(),
            expected["last_timestamp_epoch"].as_str(),
        ) {
            // tshark rounds to the microsecond, the reader truncates.
            assert!(
                (first - micros(want_first)).abs() <= 1,
                "{}: first",
                path.display()
            );
            assert!(
                (last - micros(want_last)).abs() <= 1,
                "{}: last",
                path.display()
            );
        }
        assert_eq!(file.bytes_read(), file.total_bytes(), "{}", path.display());
        checked += 1;
    }
    assert!(checked > 0, "no captures under the corpus folder");
    println!("checked {checked} captures");
}
