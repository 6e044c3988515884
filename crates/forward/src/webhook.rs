//! Signed webhooks: one alert per HTTP POST, JSON body.
//!
//! Each request carries `X-Rampart-Timestamp: <unix seconds>` and
//! `X-Rampart-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` under the shared
//! secret. The timestamp is inside the MAC, so a receiver that refuses stale timestamps
//! refuses replays; every attempt is signed afresh, so a retry is not stale.
//!
//! The client is a small HTTP/1.1 one over the same TCP and TLS code as syslog (one
//! connection a request, `Connection: close`, the status line is all that is read). A general
//! HTTP client crate was weighed and left: it would bring a second TLS configuration path and
//! a bundled root store, while a webhook needs a POST and a status code.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::{Secret, WebhookUrl};
use crate::deliver::{Deliver, Outcome};
use crate::net;
use crate::tls;

/// Header with the signature.
pub const SIGNATURE_HEADER: &str = "X-Rampart-Signature";
/// Header with the signing time.
pub const TIMESTAMP_HEADER: &str = "X-Rampart-Timestamp";

/// Response headers read at most before the answer is called malformed.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// `sha256=<hex>`: the HMAC-SHA256 under `secret` of `"<timestamp>.<body>"`.
pub fn signature(secret: &[u8], timestamp: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty MAC would be refused.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Posts alerts to one webhook.
pub struct WebhookSender {
    url: WebhookUrl,
    secret: Secret,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
}

impl WebhookSender {
    /// A sender for `url`, signing with `secret`.
    pub fn new(
        url: WebhookUrl,
        secret: Secret,
        tls: Option<Arc<rustls::ClientConfig>>,
        timeout: Duration,
    ) -> WebhookSender {
        WebhookSender {
            url,
            secret,
            tls,
            timeout,
        }
    }

    fn request(&self, body: &[u8], timestamp: u64) -> Vec<u8> {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: rampart/{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{TIMESTAMP_HEADER}: {timestamp}\r\n{SIGNATURE_HEADER}: {}\r\nConnection: close\r\n\r\n",
            self.url.path,
            self.url.address.authority(),
            env!("CARGO_PKG_VERSION"),
            body.len(),
            signature(&self.secret.0, timestamp, body),
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        request
    }

    fn exchange(&self, request: &[u8]) -> io::Result<u16> {
        let tcp = net::connect(&self.url.address, self.timeout)?;
        match &self.tls {
            Some(config) => {
                let mut stream = tls::connect(config, &self.url.address.host, tcp)?;
                stream.write_all(request)?;
                stream.flush()?;
                read_status(&mut stream)
            }
            None => {
                let mut stream = tcp;
                stream.write_all(request)?;
                read_status(&mut stream)
            }
        }
    }
}

impl Deliver for WebhookSender {
    fn deliver(&mut self, body: &[u8]) -> Outcome {
        let timestamp = crate::syslog::now().secs();
        match self.exchange(&self.request(body, timestamp)) {
            Ok(status) if (200..300).contains(&status) => Outcome::Delivered,
            Ok(status @ (408 | 429 | 500..)) => Outcome::Retry(format!("HTTP {status}")),
            Ok(status) => Outcome::Fail(format!("HTTP {status}")),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}

/// Read a response until its headers are complete; return the status code.
fn read_status(r: &mut impl Read) -> io::Result<u16> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed before the response headers",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                return response
                    .code
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status code"));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_RESPONSE_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "response headers too long",
                ));
            }
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_and_body_with_hmac_sha256() {
        // Python: hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"k", 1_700_000_000, b"{\"a\":1}"),
            "sha256=1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3"
        );
        // The example of docs/forwarding.md.
        assert_eq!(
            signature(b"correct horse", 1_709_287_205, b"{\"kind\":\"alert\"}"),
            "sha256=88de1751a3e37fc073241415398e6cf7307bbb2bb240c1dca8953f725d79b99b"
        );
        assert_ne!(
            signature(b"k", 1_700_000_001, b"{\"a\":1}"),
            signature(b"k", 1_700_000_000, b"{\"a\":1}")
        );
    }

    #[test]
    fn reads_the_status_of_a_response_in_pieces() {
        let mut r: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\nbusy";
        assert_eq!(read_status(&mut r).expect("status"), 503);
        let mut cut: &[u8] = b"HTTP/1.1 200 OK\r\nContent-";
        assert_eq!(
            read_status(&mut cut).expect_err("eof").kind(),
            io::ErrorKind::UnexpectedEof
        );
        let mut junk: &[u8] = b"SSH-2.0-OpenSSH\r\n\r\n";
        assert_eq!(
            read_status(&mut junk).expect_err("junk").kind(),
            io::ErrorKind::InvalidData
        );
    }
}
