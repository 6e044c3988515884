//! Capture bytes built in code, field by field, after draft-ietf-opsawg-pcap (classic) and
//! draft-ietf-opsawg-pcapng (next generation).

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

/// Append a 32-bit value in the chosen byte order.
fn put32(out: &mut Vec<u8>, value: u32, be: bool) {
    out.extend_from_slice(&if be {
        value.to_be_bytes()
    } else {
        value.to_le_bytes()
    });
}

/// Append a 16-bit value in the chosen byte order.
fn put16(out: &mut Vec<u8>, value: u16, be: bool) {
    out.extend_from_slice(&if be {
        value.to_be_bytes()
    } else {
        value.to_le_bytes()
    });
}

/// A classic pcap file under construction.
pub struct Pcap {
    pub bytes: Vec<u8>,
    be: bool,
}

impl Pcap {
    /// Start a file with its 24-byte header (pcap section 4).
    pub fn new(be: bool, nanos: bool, snaplen: u32, link_type: u32) -> Pcap {
        let mut bytes = Vec::new();
        put32(
            &mut bytes,
            if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 },
            be,
        ); // magic
        put16(&mut bytes, 2, be); // major version
        put16(&mut bytes, 4, be); // minor version
        put32(&mut bytes, 0, be); // reserved (thiszone)
        put32(&mut bytes, 0, be); // reserved (sigfigs)
        put32(&mut bytes, snaplen, be); // snap length
        put32(&mut bytes, link_type, be); // link type (+ FCS bits)
        Pcap { bytes, be }
    }

    /// Append a record whose captured length is `data.len()` (pcap section 5).
    pub fn record(self, secs: u32, frac: u32, data: &[u8], wire_len: u32) -> Pcap {
        self.raw_record(secs, frac, data.len() as u32, wire_len, data)
    }

    /// Append a record header with any captured length, then `data`.
    pub fn raw_record(
        mut self,
        secs: u32,
        frac: u32,
        caplen: u32,
        wire_len: u32,
        data: &[u8],
    ) -> Pcap {
        let be = self.be;
        put32(&mut self.bytes, secs, be); // timestamp seconds
        put32(&mut self.bytes, frac, be); // microseconds or nanoseconds
        put32(&mut self.bytes, caplen, be); // captured length
        put32(&mut self.bytes, wire_len, be); // original length
        self.bytes.extend_from_slice(data);
        self
    }
}

/// A pcapng file under construction; each section keeps the byte order of its SHB.
#[derive(Default)]
pub struct Ng {
    pub bytes: Vec<u8>,
    be: bool,
}

impl Ng {
    pub fn new() -> Ng {
        Ng::default()
    }

    /// Append a block: type, total length, body padded to 32 bits, total length (section 3.1).
    pub fn block(mut self, block_type: u32, body: &[u8]) -> Ng {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        let be = self.be;
        put32(&mut self.bytes, block_type, be);
        put32(&mut self.bytes, total, be);
        self.bytes.extend_from_slice(body);
        self.bytes.resize(self.bytes.len() + padded - body.len(), 0);
        put32(&mut self.bytes, total, be);
        self
    }

    /// Start a section (section 4.1) in the given byte order.
    pub fn shb(mut self, be: bool) -> Ng {
        self.be = be;
        let mut body = Vec::new();
        put32(&mut body, 0x1a2b_3c4d, be); // byte-order magic
        put16(&mut body, 1, be); // major version
        put16(&mut body, 0, be); // minor version
        body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length: unspecified
        self.block(0x0A0D_0D0A, &body)
    }

    /// Describe an interface (section 4.2), with `(code, value)` options.
    pub fn idb(self, link_type: u16, snaplen: u32, options: &[(u16, &[u8])]) -> Ng {
        let be = self.be;
        let mut body = Vec::new();
        put16(&mut body, link_type, be); // link type
        put16(&mut body, 0, be); // reserved
        put32(&mut body, snaplen, be); // snap length
        append_options(&mut body, options, be);
        self.block(1, &body)
    }

    /// Append an enhanced packet block (section 4.3); `ts` in the interface's units.
    pub fn epb(self, interface: u32, ts: u64, data: &[u8], wire_len: u32) -> Ng {
        let be = self.be;
        let mut body = Vec::new();
        put32(&mut body, interface, be); // interface id
        put32(&mut body, (ts >> 32) as u32, be); // timestamp (upper)
        put32(&mut body, ts as u32, be); // timestamp (lower)
        put32(&mut body, data.len() as u32, be); // captured packet length
        put32(&mut body, wire_len, be); // original packet length
        body.extend_from_slice(data);
        body.resize(body.len().div_ceil(4) * 4, 0); // packet data padding
        self.block(6, &body)
    }

    /// Append a simple packet block (section 4.4).
    pub fn spb(self, data: &[u8], wire_len: u32) -> Ng {
        let mut body = Vec::new();
        put32(&mut body, wire_len, self.be); // original packet length
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// Append an obsolete packet block (appendix A).
    pub fn pb(self, interface: u16, ts: u64, data: &[u8], wire_len: u32) -> Ng {
        let be = self.be;
        let mut body = Vec::new();
        put16(&mut body, interface, be); // interface id
        put16(&mut body, 0, be); // drops count
        put32(&mut body, (ts >> 32) as u32, be); // timestamp (upper)
        put32(&mut body, ts as u32, be); // timestamp (lower)
        put32(&mut body, data.len() as u32, be); // captured length
        put32(&mut body, wire_len, be); // packet length
        body.extend_from_slice(data);
        self.block(2, &body)
    }

    /// Append a name resolution block (section 4.5) of `(type, value)` records.
    pub fn nrb(self, records: &[(u16, &[u8])]) -> Ng {
        let be = self.be;
        let mut body = Vec::new();
        for (record_type, value) in records {
            put16(&mut body, *record_type, be); // record type
            put16(&mut body, value.len() as u16, be); // record value length
            body.extend_from_slice(value);
            body.resize(body.len().div_ceil(4) * 4, 0); // padding
        }
        put32(&mut body, 0, be); // nrb_record_end
        self.block(4, &body)
    }

    /// Append an interface statistics block (section 4.6).
    pub fn isb(self, interface: u32) -> Ng {
        let be = self.be;
        let mut body = Vec::new();
        put32(&mut body, interface, be); // interface id
        put32(&mut body, 0, be); // timestamp (upper)
        put32(&mut body, 0, be); // timestamp (lower)
        self.block(5, &body)
    }
}

/// Append options (section 3.5) and opt_endofopt.
fn append_options(body: &mut Vec<u8>, options: &[(u16, &[u8])], be: bool) {
    for (code, value) in options {
        put16(body, *code, be); // option code
        put16(body, value.len() as u16, be); // option length
        body.extend_from_slice(value);
        body.resize(body.len().div_ceil(4) * 4, 0); // padding
    }
    if !options.is_empty() {
        put32(body, 0, be); // opt_endofopt
    }
}

/// Compress `bytes` as one gzip member.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Write `bytes` as `name` inside `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create test directory");
    }
    std::fs::write(&path, bytes).expect("write test capture");
    path
}
