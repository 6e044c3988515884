//! What a monitor wants from an X.509 certificate (RFC 5280), decoded with `x509-parser`:
//! names, validity, key, signature algorithm, and whether either is too weak to trust.

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use x509_parser::asn1_rs::oid;
use x509_parser::oid_registry::{self as oids, Oid};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

/// ecdsa-with-SHA1 (RFC 5758 section 3.2), which the OID registry lacks.
const ECDSA_WITH_SHA1: Oid<'static> = oid!(1.2.840.10045.4.1);

/// Signature algorithms whose hash is broken for certificates (MD2, MD4, MD5, SHA-1).
const WEAK_SIGNATURES: &[Oid<'static>] = &[
    oids::OID_PKCS1_MD2WITHRSAENC,
    oids::OID_PKCS1_MD4WITHRSAENC,
    oids::OID_PKCS1_MD5WITHRSAENC,
    oids::OID_PKCS1_SHA1WITHRSA,
    oids::OID_MD5_WITH_RSA,
    oids::OID_SHA1_WITH_RSA,
    ECDSA_WITH_SHA1,
    oids::OID_SIG_DSA_WITH_SHA1,
];

/// RSA and DSA keys shorter than this are weak (NIST SP 800-131A).
pub const MIN_RSA_BITS: u64 = 2048;

/// The summary of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate<'a> {
    /// The subject distinguished name (`CN=…, O=…`).
    pub subject: String,
    /// The issuer distinguished name.
    pub issuer: String,
    /// The serial number's bytes, without DER's sign padding.
    pub serial: &'a [u8],
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// DNS names of the subjectAltName extension.
    pub san_dns: Vec<&'a str>,
    /// `rsa`, `ec`, `dsa`, `ed25519`, `ed448`, or the key algorithm OID.
    pub key_type: String,
    /// The key length in bits, when known.
    pub key_bits: Option<u64>,
    /// The named curve of an EC key.
    pub key_curve: Option<String>,
    /// The signature algorithm's name (or OID).
    pub signature_algorithm: String,
    /// Whether the signature algorithm's hash is broken.
    pub weak_signature: bool,
    /// Whether the issuer is the subject.
    pub self_signed: bool,
    /// SHA-256 of the DER encoding.
    pub sha256: [u8; 32],
}

/// Why a certificate cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate does not decode: {0}")]
pub struct CertError(String);

fn oid_name(oid: &Oid<'_>) -> String {
    if *oid == ECDSA_WITH_SHA1 {
        return "ecdsa-with-SHA1".to_string();
    }
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map_or_else(|_| oid.to_id_string(), str::to_string)
}

fn rfc3339(t: x509_parser::time::ASN1Time) -> String {
    t.to_datetime()
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.timestamp().to_string())
}

/// The exact bit length of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> u64 {
    match bytes.iter().position(|&b| b != 0) {
        Some(first) => {
            let top = bytes.get(first).copied().unwrap_or_default();
            let rest = (bytes.len() - first - 1) as u64;
            rest * 8 + u64::from(8 - top.leading_zeros())
        }
        None => 0,
    }
}

/// Decode one DER certificate.
pub fn summarise(der: &[u8]) -> Result<Certificate<'_>, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError(e.to_string()))?;
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_pki;
    let key_oid = &spki.algorithm.algorithm;
    let key = spki.parsed().ok();
    let key_type = if *key_oid == oids::OID_PKCS1_RSAENCRYPTION {
        "rsa".to_string()
    } else if *key_oid == oids::OID_KEY_TYPE_EC_PUBLIC_KEY {
        "ec".to_string()
    } else if *key_oid == oids::OID_KEY_TYPE_DSA {
        "dsa".to_string()
    } else if *key_oid == oids::OID_SIG_ED25519 {
        "ed25519".to_string()
    } else if *key_oid == oids::OID_SIG_ED448 {
        "ed448".to_string()
    } else {
        key_oid.to_id_string()
    };
    let key_bits = match &key {
        // x509-parser's own RSA size assumes a leading zero byte; count the modulus exactly.
        Some(PublicKey::RSA(rsa)) => Some(bit_length(rsa.modulus)),
        Some(PublicKey::DSA(y)) => Some(bit_length(y)),
        Some(k @ PublicKey::EC(_)) => Some(k.key_size() as u64),
        _ if *key_oid == oids::OID_SIG_ED25519 => Some(256),
        _ if *key_oid == oids::OID_SIG_ED448 => Some(456),
        _ => None,
    }
    .filter(|&bits| bits > 0);
    let key_curve = spki
        .algorithm
        .parameters
        .as_ref()
        .filter(|_| *key_oid == oids::OID_KEY_TYPE_EC_PUBLIC_KEY)
        .and_then(|p| p.as_oid().ok())
        .map(|curve| oid_name(&curve));
    let san_dns = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(name) => Some(*name),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let serial = tbs.raw_serial();
    let serial = match serial {
        [0, next, ..] if next & 0x80 != 0 => serial.get(1..).unwrap_or(serial),
        _ => serial,
    };
    let sig_oid = &cert.signature_algorithm.algorithm;
    Ok(Certificate {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial,
        not_before: rfc3339(tbs.validity.not_before),
        not_after: rfc3339(tbs.validity.not_after),
        san_dns,
        key_type,
        key_bits,
        key_curve,
        signature_algorithm: oid_name(sig_oid),
        weak_signature: WEAK_SIGNATURES.contains(sig_oid),
        self_signed: tbs.subject.as_raw() == tbs.issuer.as_raw(),
        sha256: Sha256::digest(der).into(),
    })
}

impl Certificate<'_> {
    /// Tell whether the key is RSA or DSA and shorter than [`MIN_RSA_BITS`].
    pub fn short_key(&self) -> bool {
        matches!(self.key_type.as_str(), "rsa" | "dsa")
            && self.key_bits.is_some_and(|bits| bits < MIN_RSA_BITS)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// DER tag-length-value with a definite length (X.690 section 8.1).
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend_from_slice(&[0x81, len as u8]);
        } else {
            out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// An X.501 Name with one commonName attribute (RFC 5280 section 4.1.2.4).
    fn name(cn: &str) -> Vec<u8> {
        let attribute = seq(&[
            tlv(0x06, &[0x55, 0x04, 0x03]), // OID 2.5.4.3 commonName
            tlv(0x0c, cn.as_bytes()),       // UTF8String
        ]);
        seq(&[tlv(0x31, &attribute)]) // RDNSequence { SET { AttributeTypeAndValue } }
    }

    /// AlgorithmIdentifier for an RSA PKCS#1 signature with the given last OID arc
    /// (1.2.840.113549.1.1.x: 5 = sha1WithRSAEncryption, 11 = sha256WithRSAEncryption).
    fn rsa_signature(arc: u8) -> Vec<u8> {
        seq(&[
            tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, arc]),
            tlv(0x05, &[]), // NULL parameters
        ])
    }

    /// Build a v3 certificate (RFC 5280 section 4.1) with an RSA key of `modulus_bytes`
    /// bytes, a subjectAltName with one DNS name, and a dummy signature value.
    pub(crate) fn certificate(
        subject: &str,
        issuer: &str,
        signature_arc: u8,
        modulus_bytes: usize,
    ) -> Vec<u8> {
        let mut modulus = vec![0x00, 0xc5]; // positive INTEGER, top bit set after the pad
        modulus.resize(modulus_bytes + 1, 0x5a);
        let rsa_key = seq(&[tlv(0x02, &modulus), tlv(0x02, &[0x01, 0x00, 0x01])]);
        let mut bit_string = vec![0]; // no unused bits
        bit_string.extend(rsa_key);
        let spki = seq(&[
            seq(&[
                tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                ), // rsaEncryption
                tlv(0x05, &[]),
            ]),
            tlv(0x03, &bit_string),
        ]);
        let validity = seq(&[
            tlv(0x17, b"200101000000Z"), // UTCTime notBefore 2020-01-01
            tlv(0x17, b"300101000000Z"), // UTCTime notAfter 2030-01-01
        ]);
        let san = seq(&[tlv(0x82, b"plc.example")]); // GeneralNames { dNSName }
        let extensions = tlv(
            0xa3, // [3] EXPLICIT extensions
            &seq(&[seq(&[
                tlv(0x06, &[0x55, 0x1d, 0x11]), // OID 2.5.29.17 subjectAltName
                tlv(0x04, &san),                // extnValue OCTET STRING
            ])]),
        );
        let tbs = seq(&[
            tlv(0xa0, &tlv(0x02, &[2])),    // [0] version v3
            tlv(0x02, &[0x00, 0x99, 0x01]), // serialNumber, sign-padded
            rsa_signature(signature_arc),
            name(issuer),
            validity,
            name(subject),
            spki,
            extensions,
        ]);
        seq(&[
            tbs,
            rsa_signature(signature_arc),
            tlv(0x03, &[0, 0xde, 0xad, 0xbe, 0xef]), // signatureValue
        ])
    }

    #[test]
    fn summarises_a_self_signed_sha1_certificate_with_a_short_key() {
        let der = certificate("plc.example", "plc.example", 5, 128);
        let cert = summarise(&der).expect("valid");
        assert_eq!(cert.subject, "CN=plc.example");
        assert_eq!(cert.issuer, "CN=plc.example");
        assert_eq!(cert.serial, &[0x99, 0x01]);
        assert_eq!(cert.not_before, "2020-01-01T00:00:00Z");
        assert_eq!(cert.not_after, "2030-01-01T00:00:00Z");
        assert_eq!(cert.san_dns, vec!["plc.example"]);
        assert_eq!(cert.key_type, "rsa");
        assert_eq!(cert.key_bits, Some(1024));
        assert_eq!(cert.signature_algorithm, "sha1WithRSAEncryption");
        assert!(cert.weak_signature);
        assert!(cert.self_signed);
        assert!(cert.short_key());
        assert_eq!(cert.sha256, <[u8; 32]>::from(Sha256::digest(&der)));
    }

    #[test]
    fn a_sha256_certificate_with_a_2048_bit_key_is_not_weak() {
        let der = certificate("device", "Plant CA", 11, 256);
        let cert = summarise(&der).expect("valid");
        assert_eq!(cert.signature_algorithm, "sha256WithRSAEncryption");
        assert!(!cert.weak_signature);
        assert!(!cert.self_signed);
        assert_eq!(cert.key_bits, Some(2048));
        assert!(!cert.short_key());
    }

    #[test]
    fn refuses_bytes_that_are_not_a_certificate() {
        assert!(summarise(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
    }

    #[test]
    fn counts_key_bits_exactly() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0x00]), 0);
    }
}
