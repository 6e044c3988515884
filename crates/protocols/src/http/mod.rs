//! HTTP/1.x (RFC 9110, RFC 9112): request/response transactions of cleartext web traffic,
//! which on an OT network means device web interfaces, firmware downloads and REST APIs.
//!
//! Heads are parsed with `httparse` (lenient configuration); bodies are never buffered: their
//! bytes are counted and consumed as they arrive, framed by `Content-Length` or the chunked
//! coding, or read until the connection closes. Requests wait in a queue bounded by
//! [`Limits::max_transactions`](rampart_dissect::Limits) until their response; pipelining is
//! paired by order. After lost bytes the direction resynchronises on the next request or
//! status line, unless the loss fell inside a body of known length. A protocol switch (101),
//! an opened CONNECT tunnel or the HTTP/2 preface end the flow's interest.
//!
//! Records (protocol `http`): `transaction` (no direction), emitted when the response is
//! complete, or on close for an unanswered request: `method`, `uri`, `version`, `host`,
//! `user_agent`, `referrer`, `username`, `request_content_type`, `request_body_len`,
//! `status_code`, `status_msg`, `server`, `response_content_type`, `response_body_len`
//! (absent fields are omitted).
//!
//! Identities: client `software` from `User-Agent` and an `os` hint from its platform tokens
//! (WEAK); server `software` from `Server` (STRONG). Findings: `cleartext_credential` for
//! `Authorization`/`Proxy-Authorization` with Basic (user decoded, password dropped) or Digest
//! (user name only). Anomalies: `malformed_request`, `malformed_response`,
//! `bad_content_length`, `conflicting_content_length`, `content_length_with_chunked`,
//! `bad_chunk_size`, `bad_chunk_end`, `trailer_too_long`, `unmatched_response`,
//! `too_many_pending_requests`.

mod dissector;
mod parse;

use rampart_dissect::{Direction, Limits, Probe, Registration, Transport};

/// The HTTP registration: TCP 80, 8080, 8000, and any port that opens with a request line.
pub static REGISTRATION: Registration = Registration {
    name: "http",
    transports: &[Transport::Tcp],
    ports: &[80, 8080, 8000],
    probe,
    new: |_| {
        Box::new(dissector::HttpDissector::new(
            REGISTRATION.limits.max_transactions,
        ))
    },
    limits: Limits::IT,
};

/// Recognise a request line (`METHOD SP target SP HTTP/1.x`) or a status line (`HTTP/1.x`).
fn probe(dir: Direction, data: &[u8]) -> Probe {
    let complete_line = memchr::memchr(b'\n', data).is_some();
    let certain = match dir {
        Direction::ToServer => parse::is_request_line(data),
        Direction::ToClient => parse::is_status_line(data),
    };
    if certain && (complete_line || dir == Direction::ToClient) {
        Probe::Certain
    } else if !complete_line && dir == Direction::ToServer && parse::starts_with_method(data) {
        Probe::Unsure
    } else {
        Probe::NotForUs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_recognises_request_and_status_lines() {
        assert_eq!(
            probe(Direction::ToServer, b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Probe::Certain
        );
        assert_eq!(probe(Direction::ToServer, b"POST /api/v1/"), Probe::Unsure);
        assert_eq!(
            probe(Direction::ToClient, b"HTTP/1.0 200 OK\r\n"),
            Probe::Certain
        );
        assert_eq!(
            probe(Direction::ToServer, b"\x16\x03\x01\x02\x00"),
            Probe::NotForUs
        );
        assert_eq!(probe(Direction::ToServer, b"GET\r\n"), Probe::NotForUs);
    }
}
