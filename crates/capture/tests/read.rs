//! Reading captures built in the tests, through the public API.

mod support;

use std::io::Cursor;
use std::net::IpAddr;
use std::path::PathBuf;

use rampart_capture::{
    CaptureError, CaptureFile, Defect, Format, LinkType, NameRecord, Recovery, Timestamp,
    expand_inputs,
};
use support::{Ng, Pcap, gzip, write};

/// A packet copied out of the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owned {
    timestamp: Timestamp,
    link_type: LinkType,
    data: Vec<u8>,
    wire_len: u32,
    interface: u32,
}

/// Read every packet and every error until the reader is done.
fn read_all(file: &mut CaptureFile) -> (Vec<Owned>, Vec<CaptureError>) {
    let mut packets = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..10_000 {
        match file.next_packet() {
            Ok(Some(p)) => packets.push(Owned {
                timestamp: p.timestamp,
                link_type: p.link_type,
                data: p.data.to_vec(),
                wire_len: p.wire_len,
                interface: p.interface,
            }),
            Ok(None) => return (packets, errors),
            Err(e) => errors.push(e),
        }
    }
    panic!("reader did not finish");
}

fn from_bytes(name: &str, bytes: Vec<u8>) -> CaptureFile {
    CaptureFile::from_reader(name, Cursor::new(bytes)).expect("capture should open")
}

fn open_error(bytes: Vec<u8>) -> CaptureError {
    match CaptureFile::from_reader("x.pcap", Cursor::new(bytes)) {
        Ok(_) => panic!("expected open to fail"),
        Err(e) => e,
    }
}

fn ts(secs: u64, nanos: u32) -> Timestamp {
    Timestamp::from_parts(secs, nanos)
}

#[test]
fn reads_little_endian_microsecond_pcap() {
    let bytes = Pcap::new(false, false, 65535, 1)
        .record(1_700_000_000, 250_000, &[0xaa; 60], 60)
        .record(1_700_000_001, 999_999, &[0xbb; 14], 1514)
        .bytes;
    let mut file = from_bytes("le.pcap", bytes);
    assert_eq!(
        file.format(),
        Format::Pcap {
            nanos: false,
            big_endian: false
        }
    );
    assert!(!file.compressed());
    let (packets, errors) = read_all(&mut file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 2);
    assert_eq!(packets[0].timestamp, ts(1_700_000_000, 250_000_000));
    assert_eq!(packets[0].link_type, LinkType::ETHERNET);
    assert_eq!(packets[0].data, vec![0xaa; 60]);
    assert_eq!(packets[1].timestamp, ts(1_700_000_001, 999_999_000));
    assert_eq!(packets[1].wire_len, 1514);
    assert_eq!(packets[1].data.len(), 14);
}

#[test]
fn reads_big_endian_nanosecond_pcap() {
    let bytes = Pcap::new(true, true, 262_144, 101)
        .record(1_600_000_000, 123_456_789, &[0x45, 0, 0, 20], 20)
        .bytes;
    let mut file = from_bytes("be.pcap", bytes);
    assert_eq!(
        file.format(),
        Format::Pcap {
            nanos: true,
            big_endian: true
        }
    );
    let (packets, errors) = read_all(&mut file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].timestamp, ts(1_600_000_000, 123_456_789));
    assert_eq!(packets[0].link_type, LinkType::RAW);
    assert_eq!(packets[0].data, vec![0x45, 0, 0, 20]);
}

#[test]
fn keeps_link_type_without_fcs_bits() {
    // Link-type field 0x1000_0001: FCS length bits set above Ethernet (pcap section 5.8).
    let bytes = Pcap::new(false, false, 65535, 0x1000_0001)
        .record(1, 0, &[1], 1)
        .bytes;
    let (packets, _) = read_all(&mut from_bytes("fcs.pcap", bytes));
    assert_eq!(packets[0].link_type, LinkType::ETHERNET);
}

#[test]
fn reads_pcapng_sections_of_different_byte_order() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .epb(0, 1_700_000_000_000_001, &[1, 2, 3], 3)
        .shb(true)
        .idb(229, 0, &[])
        .epb(0, 1_700_000_001_000_002, &[6, 0, 0, 0, 0], 40)
        .bytes;
    let mut file = from_bytes("two-sections.pcapng", bytes);
    assert_eq!(file.format(), Format::PcapNg);
    let (packets, errors) = read_all(&mut file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 2);
    assert_eq!(packets[0].link_type, LinkType::ETHERNET);
    assert_eq!(packets[0].timestamp, ts(1_700_000_000, 1_000));
    assert_eq!(packets[0].data, vec![1, 2, 3]);
    assert_eq!(packets[1].link_type, LinkType::IPV6);
    assert_eq!(packets[1].timestamp, ts(1_700_000_001, 2_000));
    assert_eq!(packets[1].wire_len, 40);
}

#[test]
fn gives_each_interface_its_link_type_and_timestamp_resolution() {
    let bytes = Ng::new()
        .shb(false)
        // Interface 0: Ethernet, default resolution (microseconds).
        .idb(1, 65535, &[])
        // Interface 1: raw IPv4, if_tsresol 9 (nanoseconds), if_tsoffset 1000 s.
        .idb(228, 65535, &[(9, &[9]), (14, &1000i64.to_le_bytes())])
        // Interface 2: Linux SLL, if_tsresol 0x8a (2^-10 s).
        .idb(113, 65535, &[(9, &[0x8a])])
        .epb(0, 5_000_001, &[0xe0], 1)
        .epb(1, 7_000_000_003, &[0x45], 1)
        .epb(2, 3 * 1024 + 512, &[0x00], 1)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("ifaces.pcapng", bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets[0].interface, 0);
    assert_eq!(packets[0].link_type, LinkType::ETHERNET);
    assert_eq!(packets[0].timestamp, ts(5, 1_000));
    assert_eq!(packets[1].interface, 1);
    assert_eq!(packets[1].link_type, LinkType::IPV4);
    assert_eq!(packets[1].timestamp, ts(1007, 3));
    assert_eq!(packets[2].link_type, LinkType::LINUX_SLL);
    assert_eq!(packets[2].timestamp, ts(3, 500_000_000));
}

#[test]
fn reads_timestamp_offset_in_big_endian_section() {
    let bytes = Ng::new()
        .shb(true)
        .idb(1, 0, &[(14, &(-100i64).to_be_bytes())])
        .epb(0, 200_000_000, &[1], 1)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("offset.pcapng", bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets[0].timestamp, ts(100, 0));
}

#[test]
fn bounds_simple_packet_by_snaplen_and_takes_original_length_from_block() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 4, &[])
        .spb(&[1, 2, 3, 4, 5, 6, 7, 8], 60)
        .epb(0, 3_000_000, &[5], 1)
        .spb(&[9, 9], 2)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("spb.pcapng", bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets[0].data, vec![1, 2, 3, 4]);
    assert_eq!(packets[0].wire_len, 60);
    assert_eq!(packets[0].interface, 0);
    assert_eq!(packets[0].timestamp, Timestamp(0));
    assert_eq!(packets[2].data, vec![9, 9]);
    assert_eq!(
        packets[2].timestamp,
        ts(3, 0),
        "takes the previous packet's time"
    );
}

#[test]
fn reads_unsupported_timestamp_resolution_as_microseconds() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[(9, &[20])])
        .epb(0, 2_000_000, &[1], 1)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("tsresol.pcapng", bytes));
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].timestamp, ts(2, 0));
    assert!(matches!(
        errors.as_slice(),
        [CaptureError::Corrupt {
            defect: Defect::TimestampResolution { tsresol: 20 },
            recovery: Recovery::Continued,
            ..
        }]
    ));
}

#[test]
fn keeps_good_name_records_beside_a_malformed_one() {
    // An IPv6 record of four bytes (no room for the address), then a good IPv4 one.
    let bytes = Ng::new()
        .shb(false)
        .nrb(&[(2, &[0x20, 0x01, 0x0d, 0xb8]), (1, b"\x0a\x00\x00\x01gw\0")])
        .bytes;
    let mut file = from_bytes("nrb-bad.pcapng", bytes);
    let (_, errors) = read_all(&mut file);
    assert!(matches!(
        errors.as_slice(),
        [CaptureError::Corrupt {
            defect: Defect::MalformedBody { .. },
            recovery: Recovery::Continued,
            ..
        }]
    ));
    let names: Vec<String> = file.names().map(|n| n.name).collect();
    assert_eq!(names, vec!["gw".to_string()]);
}

#[test]
fn reads_obsolete_packet_block() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .idb(105, 0, &[])
        .pb(1, 2_000_000, &[7; 5], 9)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("pb.pcapng", bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets[0].interface, 1);
    assert_eq!(packets[0].link_type, LinkType::IEEE802_11);
    assert_eq!(packets[0].timestamp, ts(2, 0));
    assert_eq!(packets[0].data, vec![7; 5]);
    assert_eq!(packets[0].wire_len, 9);
}

#[test]
fn exposes_name_records_from_name_resolution_block() {
    // nrb_record_ipv4: 192.0.2.1 then two zero-terminated names.
    let v4: &[u8] = b"\xc0\x00\x02\x01plc-1\0plc-1.example\0";
    // nrb_record_ipv6: 2001:db8::1 then one name.
    let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    v6.extend_from_slice(b"hmi\0");
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .nrb(&[(1, v4), (2, &v6)])
        .epb(0, 1, &[1], 1)
        .bytes;
    let mut file = from_bytes("nrb.pcapng", bytes);
    let (packets, errors) = read_all(&mut file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 1);
    let names: Vec<NameRecord> = file.names().collect();
    let v4_addr: IpAddr = "192.0.2.1".parse().expect("valid address");
    let v6_addr: IpAddr = "2001:db8::1".parse().expect("valid address");
    assert_eq!(
        names,
        vec![
            NameRecord {
                address: v4_addr,
                name: "plc-1".into()
            },
            NameRecord {
                address: v4_addr,
                name: "plc-1.example".into()
            },
            NameRecord {
                address: v6_addr,
                name: "hmi".into()
            },
        ]
    );
    assert_eq!(file.names().count(), 0, "names() drains the queue");
    assert_eq!(file.names_dropped(), 0);
}

#[test]
fn skips_statistics_custom_and_unknown_blocks() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .isb(0)
        .block(0x0BAD, &[0, 0, 0x7e, 0x1c, 1, 2, 3, 4]) // custom block: PEN 32382, data
        .block(0x0000_0099, &[1, 2, 3, 4]) // unassigned block type
        .epb(0, 1, &[1], 1)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("skip.pcapng", bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 1);
}

#[test]
fn reads_records_larger_than_the_initial_buffer_across_refills() {
    // 60 records of 100 000 bytes: more than the 4 MiB buffer, each record crossing it.
    let mut pcap = Pcap::new(false, false, 262_144, 1);
    for i in 0..60u8 {
        pcap = pcap.record(u32::from(i), 0, &vec![i; 100_000], 100_000);
    }
    let (packets, errors) = read_all(&mut from_bytes("big.pcap", pcap.bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 60);
    for (i, packet) in packets.iter().enumerate() {
        assert!(packet.data.len() == 100_000 && packet.data.iter().all(|b| usize::from(*b) == i));
    }
}

/// Every packet's `file_offset`, checked against the file's own bytes there.
fn offsets_read_back(path: &std::path::Path) -> Vec<Option<u64>> {
    let stored = std::fs::read(path).expect("read the capture");
    let mut file = CaptureFile::open(path).expect("open the capture");
    let mut offsets = Vec::new();
    while let Some(p) = file.next_packet().expect("a good capture") {
        if let Some(at) = p.file_offset {
            let at = at as usize;
            assert_eq!(
                &stored[at..at + p.data.len()],
                p.data,
                "bytes at offset {at}"
            );
        }
        offsets.push(p.file_offset);
    }
    offsets
}

#[test]
fn gives_the_file_offset_of_each_packet_of_a_stored_capture() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Records of 100 000 bytes cross the 4 MiB read buffer, so offsets span refills.
    let mut pcap = Pcap::new(false, false, 262_144, 1);
    for i in 0..60u8 {
        pcap = pcap.record(u32::from(i), 0, &vec![i; 100_000], 100_000);
    }
    let path = write(dir.path(), "big.pcap", &pcap.bytes);
    let offsets = offsets_read_back(&path);
    assert_eq!(offsets.len(), 60);
    assert_eq!(
        offsets[0],
        Some(40),
        "24-byte file header, 16-byte record header"
    );
    assert!(offsets.iter().all(Option::is_some));

    let ng = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .epb(0, 1, &[7; 61], 61)
        .spb(&[8; 30], 30)
        .epb(0, 2, &[9; 64], 64)
        .bytes;
    let path = write(dir.path(), "blocks.pcapng", &ng);
    let offsets = offsets_read_back(&path);
    assert_eq!(offsets.len(), 3);
    assert!(offsets.iter().all(Option::is_some));
}

#[test]
fn gives_no_file_offsets_for_a_compressed_capture_or_a_stream() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = Pcap::new(false, false, 65535, 1)
        .record(10, 0, &[1; 100], 100)
        .bytes;
    let path = write(dir.path(), "a.pcap.gz", &gzip(&plain));
    assert_eq!(offsets_read_back(&path), vec![None]);
    assert!(!CaptureFile::open(&path).expect("open").seekable());
    let mut stream = from_bytes("stream.pcap", plain);
    assert!(!stream.seekable());
    let packet = stream.next_packet().expect("a record").expect("one packet");
    assert_eq!(packet.file_offset, None);
}

#[test]
fn reads_gzip_compressed_pcap_and_counts_compressed_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = Pcap::new(false, false, 65535, 1)
        .record(10, 0, &[1; 100], 100)
        .record(11, 0, &[2; 100], 100)
        .bytes;
    let compressed = gzip(&plain);
    let path = write(dir.path(), "a.pcap.gz", &compressed);
    let mut file = CaptureFile::open(&path).expect("open gzip capture");
    assert!(file.compressed());
    assert_eq!(file.total_bytes(), compressed.len() as u64);
    let (packets, errors) = read_all(&mut file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 2);
    assert_eq!(file.bytes_read(), compressed.len() as u64);
    assert_eq!(file.path(), path.as_path());
}

#[test]
fn reads_concatenated_gzip_members_of_a_pcapng() {
    let ng = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .epb(0, 1, &[1], 1)
        .epb(0, 2, &[2], 1)
        .bytes;
    let (first, second) = ng.split_at(ng.len() - 20);
    let mut bytes = gzip(first);
    bytes.extend(gzip(second));
    let mut file = from_bytes("multi.pcapng.gz", bytes);
    let (packets, errors) = read_all(&mut file);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 2);
}

#[test]
fn reports_truncated_last_record_with_offset_then_ends() {
    let mut bytes = Pcap::new(false, false, 65535, 1)
        .record(1, 0, &[1; 40], 40)
        .record(2, 0, &[2; 40], 40)
        .bytes;
    bytes.truncate(bytes.len() - 10);
    let mut file = from_bytes("cut.pcap", bytes);
    assert!(file.next_packet().expect("first record is whole").is_some());
    let err = file.next_packet().expect_err("second record is cut");
    assert!(!err.is_recoverable());
    // File header 24 + first record 56: the cut record starts at 80.
    assert_eq!(
        err.to_string(),
        "cut.pcap: truncated pcap record at offset 80: expected 56 bytes, found 46"
    );
    assert!(file.next_packet().expect("done").is_none());
}

#[test]
fn says_offset_counts_in_decompressed_stream_for_gzip() {
    let mut plain = Pcap::new(false, false, 65535, 1)
        .record(1, 0, &[1; 40], 40)
        .bytes;
    plain.truncate(plain.len() - 1);
    let mut file = from_bytes("cut.pcap.gz", gzip(&plain));
    let err = file.next_packet().expect_err("the only record is cut");
    assert!(
        err.to_string()
            .contains("at offset 24 of the decompressed stream"),
        "{err}"
    );
}

#[test]
fn reports_truncated_pcapng_block() {
    let mut bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .epb(0, 1, &[1; 16], 16)
        .bytes;
    bytes.truncate(bytes.len() - 4);
    let (packets, errors) = read_all(&mut from_bytes("cut.pcapng", bytes));
    assert!(packets.is_empty());
    assert_eq!(errors.len(), 1);
    // SHB 28 + IDB 20: the EPB starts at 48 and is 48 bytes long.
    assert_eq!(
        errors[0].to_string(),
        "cut.pcapng: truncated enhanced packet block at offset 48: expected 48 bytes, found 44"
    );
}

#[test]
fn resumes_after_corrupt_pcap_record() {
    let good = Pcap::new(false, false, 1500, 1)
        .record(100, 0, &[1; 60], 60)
        .raw_record(100, 5, 0x00ff_ffff, 60, &[0xee; 30]) // garbage caplen, then 30 stray bytes
        .record(101, 0, &[2; 60], 60)
        .record(102, 0, &[3; 60], 60)
        .bytes;
    let mut file = from_bytes("corrupt.pcap", good);
    let (packets, errors) = read_all(&mut file);
    assert_eq!(packets.len(), 3, "{errors:?}");
    assert_eq!(packets[1].data, vec![2; 60]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].is_recoverable());
    // 24 + 76: the bad record header sits at 100; 16 + 30 bytes later the framing resumes.
    assert_eq!(
        errors[0].to_string(),
        "corrupt.pcap: corrupt pcap record at offset 100: captured length 16777215 exceeds the \
         limit of 1500 bytes (snap length); resynchronised at offset 146 after skipping 46 bytes"
    );
}

#[test]
fn reports_no_plausible_record_after_corruption_at_end() {
    let bytes = Pcap::new(false, false, 65535, 1)
        .record(100, 0, &[1; 20], 20)
        .raw_record(100, 0, 0x7fff_ffff, 0, &[0xff; 40])
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("tail.pcap", bytes));
    assert_eq!(packets.len(), 1);
    assert!(matches!(
        errors.as_slice(),
        [CaptureError::Corrupt {
            recovery: Recovery::NothingFollows { skipped: 56 },
            ..
        }]
    ));
}

#[test]
fn accepts_record_above_snaplen_when_next_record_confirms_it() {
    let bytes = Pcap::new(false, false, 64, 1)
        .record(100, 0, &[1; 100], 100)
        .record(100, 1, &[2; 10], 10)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("snap.pcap", bytes));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(packets.len(), 2);
}

#[test]
fn resumes_after_pcapng_trailer_mismatch() {
    let mut bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .epb(0, 1, &[1; 8], 8)
        .epb(0, 2, &[2; 8], 8)
        .epb(0, 3, &[3; 8], 8)
        .bytes;
    // Second EPB at 48 + 40 = 88; its trailing length is the last word of the block.
    bytes[88 + 36..88 + 40].copy_from_slice(&999u32.to_le_bytes());
    let (packets, errors) = read_all(&mut from_bytes("trailer.pcapng", bytes));
    assert_eq!(packets.len(), 2);
    assert_eq!(packets[1].data, vec![3; 8]);
    assert_eq!(
        errors[0].to_string(),
        "trailer.pcapng: corrupt enhanced packet block at offset 88: trailing block length 999 \
         differs from leading length 40; resynchronised at offset 128 after skipping 40 bytes"
    );
}

#[test]
fn resumes_after_pcapng_block_with_impossible_length() {
    let mut bytes = Ng::new()
        .shb(true)
        .idb(1, 0, &[])
        .epb(0, 1, &[1; 8], 8)
        .epb(0, 2, &[2; 8], 8)
        .bytes;
    // First EPB at 48: a length of 0x7fff_fffd (big-endian) is misaligned and too long.
    bytes[52..56].copy_from_slice(&0x7fff_fffdu32.to_be_bytes());
    let (packets, errors) = read_all(&mut from_bytes("length.pcapng", bytes));
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].data, vec![2; 8]);
    assert!(
        errors[0]
            .to_string()
            .contains("at offset 48: block length 2147483645 is not a multiple of 4")
    );
}

#[test]
fn skips_packet_for_undescribed_interface() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .epb(3, 1, &[1], 1)
        .epb(0, 2, &[2], 1)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("iface.pcapng", bytes));
    assert_eq!(packets.len(), 1);
    assert!(matches!(
        errors.as_slice(),
        [CaptureError::Corrupt {
            defect: Defect::UnknownInterface { id: 3, defined: 1 },
            recovery: Recovery::SkippedBlock,
            ..
        }]
    ));
}

#[test]
fn forgets_interfaces_at_new_section() {
    let bytes = Ng::new()
        .shb(false)
        .idb(1, 0, &[])
        .shb(false)
        .spb(&[1], 1)
        .bytes;
    let (packets, errors) = read_all(&mut from_bytes("sections.pcapng", bytes));
    assert!(packets.is_empty());
    assert!(matches!(
        errors.as_slice(),
        [CaptureError::Corrupt {
            defect: Defect::UnknownInterface { id: 0, defined: 0 },
            ..
        }]
    ));
}

#[test]
fn names_a_file_that_is_not_a_capture() {
    let err = open_error(b"<!DOCTYPE html><html>".to_vec());
    assert_eq!(
        err.to_string(),
        "x.pcap: not a capture file (first bytes 3c 21 44 4f 43 54 59 50)"
    );
    let err = open_error(gzip(b"hello, world"));
    assert!(
        err.to_string()
            .ends_with("(first bytes 68 65 6c 6c 6f 2c 20 77 after gzip decompression)"),
        "{err}"
    );
}

#[test]
fn reports_empty_file_clearly() {
    assert_eq!(open_error(Vec::new()).to_string(), "x.pcap: empty file");
    assert_eq!(
        open_error(gzip(&[])).to_string(),
        "x.pcap: empty file after gzip decompression"
    );
}

#[test]
fn reports_truncated_file_header() {
    let mut bytes = Pcap::new(false, false, 65535, 1).bytes;
    bytes.truncate(10);
    assert_eq!(
        open_error(bytes).to_string(),
        "x.pcap: truncated pcap file header at offset 0: expected 24 bytes, found 10"
    );
}

#[test]
fn refuses_unsupported_versions() {
    let mut pcap = Pcap::new(false, false, 65535, 1).bytes;
    pcap[4] = 3; // major version 3
    assert!(
        open_error(pcap)
            .to_string()
            .contains("unsupported pcap version at offset 0: expected 2.x, found 3.4")
    );
    let mut modified = Pcap::new(false, false, 65535, 1).bytes;
    modified[..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes()); // modified pcap magic
    let text = open_error(modified.clone()).to_string();
    assert!(text.contains("unsupported pcap magic"), "{text}");
    modified[..4].copy_from_slice(&0xa1b2_cd34u32.to_be_bytes()); // the same, big-endian
    let text = open_error(modified).to_string();
    assert!(text.contains("unsupported pcap magic"), "{text}");
    let mut ng = Ng::new().shb(false).bytes;
    ng[12] = 2; // major version 2
    assert!(
        open_error(ng)
            .to_string()
            .contains("unsupported pcapng version at offset 0: expected 1.x, found 2.0")
    );
}

#[test]
fn reports_corrupt_gzip_stream_with_both_offsets() {
    // Incompressible payload (a linear congruential sequence), so the cut lands mid-stream.
    let mut state = 1u32;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    let plain = Pcap::new(false, false, 65535, 1)
        .record(1, 0, &noise, 4000)
        .bytes;
    let mut bytes = gzip(&plain);
    let len = bytes.len();
    bytes.truncate(len / 2);
    let mut file = from_bytes("bad.pcap.gz", bytes);
    let (_, errors) = read_all(&mut file);
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        matches!(
            errors[0],
            CaptureError::Read {
                compressed_at: Some(_),
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("of the decompressed stream") && text.contains("compressed offset"),
        "{text}"
    );
}

#[test]
fn reads_from_a_stream_of_unknown_length() {
    let file = from_bytes("stdin", Pcap::new(false, false, 65535, 1).bytes);
    assert_eq!(file.total_bytes(), 0);
    assert_eq!(file.path(), PathBuf::from("stdin").as_path());
}

#[test]
fn expands_directories_recursively_in_path_order_skipping_hidden_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "b/2.pcap", b"x");
    write(root, "b/1.pcap", b"x");
    write(root, "a.pcapng", b"x");
    write(root, ".hidden.pcap", b"x");
    write(root, ".git/objects.pcap", b"x");
    write(root, "c/d/e.pcap.gz", b"x");
    let single = write(root, "z-single.pcap", b"x");
    let missing = root.join("missing");
    let (files, errors) = expand_inputs(&[single.clone(), root.to_path_buf(), missing.clone()]);
    assert_eq!(
        files,
        vec![
            single,
            root.join("a.pcapng"),
            root.join("b/1.pcap"),
            root.join("b/2.pcap"),
            root.join("c/d/e.pcap.gz"),
            root.join("z-single.pcap"),
        ]
    );
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with(&missing.display().to_string())
    );
}

#[test]
fn capture_files_and_errors_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<CaptureFile>();
    assert_send::<CaptureError>();
}
