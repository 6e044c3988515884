//! TLS client fingerprints: JA3 (Salesforce, BSD-3-Clause) and JA4 (FoxIO, BSD-3-Clause; the
//! other JA4+ methods carry a non-commercial licence and are deliberately not implemented).

use md5::Md5;
use rampart_event::Hex;
use sha2::{Digest, Sha256};

use super::parse::ClientHello;
use crate::label::hex_digit;

/// Tell whether a code point is a GREASE value (RFC 8701: `0x?a?a` with equal bytes).
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

fn join_decimal<T: ToString>(values: impl Iterator<Item = T>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join("-")
}

/// Build the JA3 string: `version,ciphers,extensions,groups,point_formats` in decimal, lists
/// dash-separated in wire order, GREASE removed.
pub fn ja3_string(hello: &ClientHello<'_>) -> String {
    let no_grease = |v: &&u16| !is_grease(**v);
    format!(
        "{},{},{},{},{}",
        hello.version,
        join_decimal(hello.ciphers.iter().filter(no_grease)),
        join_decimal(hello.extensions.iter().filter(no_grease)),
        join_decimal(hello.groups.iter().filter(no_grease)),
        join_decimal(hello.point_formats.iter()),
    )
}

/// Hash a JA3 string: MD5 as lowercase hex.
pub fn ja3_hash(ja3: &str) -> String {
    let digest: [u8; 16] = Md5::digest(ja3.as_bytes()).into();
    Hex(&digest).to_string()
}

/// The two JA4 version characters for a protocol version.
fn ja4_version(version: u16) -> &'static str {
    match version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// The two JA4 ALPN characters: first and last of the first protocol name, or the outer hex
/// digits when either end is not ASCII alphanumeric, or `00` without ALPN.
fn ja4_alpn(first: Option<&[u8]>) -> [char; 2] {
    let ends = first.and_then(|name| Some((*name.first()?, *name.last()?)));
    match ends {
        Some((f, l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => {
            [char::from(f), char::from(l)]
        }
        Some((f, l)) => [hex_digit(f >> 4), hex_digit(l)],
        None => ['0', '0'],
    }
}

/// SHA-256 of `input`, first 12 hex digits; twelve zeros for an empty list, as JA4 specifies.
fn truncated_sha256(input: &str) -> String {
    if input.is_empty() {
        return "000000000000".to_string();
    }
    let digest: [u8; 32] = Sha256::digest(input.as_bytes()).into();
    Hex(digest.get(..6).unwrap_or_default()).to_string()
}

fn hex_list(values: &[u16]) -> String {
    values
        .iter()
        .map(|v| format!("{v:04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Compute the JA4 fingerprint of a ClientHello carried over TCP (`t…`).
pub fn ja4(hello: &ClientHello<'_>) -> String {
    let clean = |values: &[u16]| -> Vec<u16> {
        values.iter().copied().filter(|&v| !is_grease(v)).collect()
    };
    let mut ciphers = clean(&hello.ciphers);
    let extensions = clean(&hello.extensions);
    let version = clean(&hello.supported_versions)
        .into_iter()
        .max()
        .unwrap_or(hello.version);
    let sni = if extensions.contains(&0) { 'd' } else { 'i' };
    let [alpn_first, alpn_last] = ja4_alpn(hello.alpn.first().copied());
    let a = format!(
        "t{}{sni}{:02}{:02}{alpn_first}{alpn_last}",
        ja4_version(version),
        ciphers.len().min(99),
        extensions.len().min(99),
    );
    ciphers.sort_unstable();
    let b = truncated_sha256(&hex_list(&ciphers));
    let mut hashed_extensions: Vec<u16> = extensions
        .into_iter()
        .filter(|&e| e != 0x0000 && e != 0x0010)
        .collect();
    hashed_extensions.sort_unstable();
    let c = if hashed_extensions.is_empty() {
        truncated_sha256("")
    } else {
        let algorithms = clean(&hello.signature_algorithms);
        let mut input = hex_list(&hashed_extensions);
        if !algorithms.is_empty() {
            input.push('_');
            input.push_str(&hex_list(&algorithms));
        }
        truncated_sha256(&input)
    };
    format!("{a}_{b}_{c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_grease_value_and_nothing_else() {
        let grease: Vec<u16> = (0..=0xffff).filter(|&v| is_grease(v)).collect();
        assert_eq!(grease.len(), 16);
        assert_eq!(grease[0], 0x0a0a);
        assert_eq!(grease[15], 0xfafa);
        assert!(!is_grease(0x0a1a));
    }

    #[test]
    fn hashes_the_cipher_and_extension_examples_of_the_ja4_spec() {
        // The worked example of FoxIO's JA4 technical details (15 ciphers, 16 extensions).
        let hello = ClientHello {
            version: 0x0303,
            ciphers: vec![
                0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
                0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
            ],
            alpn: vec![b"h2"],
            signature_algorithms: vec![
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
            supported_versions: vec![0x0304, 0x0303],
            ..ClientHello::default()
        };
        assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    #[test]
    fn ja4_extension_hash_has_no_underscore_without_signature_algorithms() {
        let hello = ClientHello {
            version: 0x0303,
            extensions: vec![
                0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
                0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
            ],
            ..ClientHello::default()
        };
        // The spec's value for the extension list alone.
        assert!(ja4(&hello).ends_with("_000000000000_6d807ffa2a79"));
        assert!(ja4(&hello).starts_with("t12d0016"));
    }

    #[test]
    fn ja4_alpn_follows_the_spec_examples() {
        assert_eq!(ja4_alpn(Some(&[0xab])), ['a', 'b']);
        assert_eq!(ja4_alpn(Some(&[0xab, 0xcd])), ['a', 'd']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0xab])), ['3', 'b']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0x31, 0xab, 0xcd])), ['3', 'd']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0xab, 0xcd, 0x31])), ['0', '1']);
        assert_eq!(ja4_alpn(Some(b"http/1.1")), ['h', '1']);
        assert_eq!(ja4_alpn(Some(b"q")), ['q', 'q']);
        assert_eq!(ja4_alpn(Some(b"")), ['0', '0']);
        assert_eq!(ja4_alpn(None), ['0', '0']);
    }

    #[test]
    fn ja4_of_an_empty_hello_uses_zero_hashes() {
        let hello = ClientHello {
            version: 0x0301,
            ..ClientHello::default()
        };
        assert_eq!(ja4(&hello), "t10i000000_000000000000_000000000000");
    }

    #[test]
    fn ja3_drops_grease_and_keeps_wire_order() {
        let hello = ClientHello {
            version: 771,
            ciphers: vec![0x1a1a, 4865, 49195],
            extensions: vec![0x2a2a, 0, 23, 65281],
            groups: vec![0x3a3a, 29, 23],
            point_formats: vec![0],
            ..ClientHello::default()
        };
        let ja3 = ja3_string(&hello);
        assert_eq!(ja3, "771,4865-49195,0-23-65281,29-23,0");
        assert_eq!(ja3_hash(&ja3).len(), 32);
    }

    #[test]
    fn ja3_leaves_absent_lists_empty() {
        let hello = ClientHello {
            version: 769,
            ciphers: vec![5],
            ..ClientHello::default()
        };
        assert_eq!(ja3_string(&hello), "769,5,,,");
    }
}
