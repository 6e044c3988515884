//! Real receivers on 127.0.0.1 (ephemeral ports) parse what the forwarder sends: syslog over
//! UDP, TCP and TLS with CEF, LEEF and JSON payloads, and a webhook that checks the HMAC.
//! Dead and stuck receivers show that `send` never blocks and that drops are counted.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use rampart_forward::{ForwardStats, Forwarder, serialize_alert_json};
use sha2::Sha256;
use support::*;

const DRAIN: Duration = Duration::from_secs(10);

fn start(dir: &tempfile::TempDir, text: &str) -> Forwarder {
    rampart_forward::start(&config(dir.path(), text)).expect("forwarder starts")
}

fn one(stats: &[ForwardStats]) -> &ForwardStats {
    assert_eq!(stats.len(), 1);
    &stats[0]
}

#[test]
fn udp_syslog_carries_cef_whose_escaping_round_trips() {
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("bind");
    receiver.set_read_timeout(Some(DRAIN)).expect("timeout");
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"udp\"\nkind = \"syslog\"\naddress = \"{}\"\nformat = \"cef\"\nfacility = \"local4\"\nhostname = \"sensor-1\"\n",
            receiver.local_addr().expect("addr")
        ),
    );
    let mut alert = alert(&WRITE, HOSTILE, 1);
    alert.title = format!("title {HOSTILE}");
    f.send(&alert, Some("alerts/x.pcap"));
    let mut buf = vec![0; 65_536];
    let n = receiver.recv(&mut buf).expect("a datagram");
    let frame = parse_syslog(&buf[..n]);
    assert_eq!(frame.pri, 20 * 8 + 3, "local4, major = error");
    assert_eq!(
        (frame.hostname.as_str(), frame.app.as_str()),
        ("sensor-1", "rampart")
    );
    assert_eq!(frame.msgid, "policy");
    assert_eq!(frame.procid, std::process::id().to_string());
    assert_eq!(frame.timestamp.len(), "2024-03-01T10:00:00.250Z".len());
    let cef = parse_cef(&frame.msg);
    assert_eq!(cef.header[0], "CEF:0");
    assert_eq!(&cef.header[1..3], &["Rampart", "Rampart"]);
    assert_eq!(cef.header[4], "policy.new_command");
    // Line breaks cannot be escaped in the header; everything else round-trips.
    assert_eq!(
        cef.header[5],
        format!("title {}", HOSTILE.replace(['\n', '\r'], " "))
    );
    assert_eq!(cef.header[6], "8");
    assert_eq!(cef.get("msg"), Some(HOSTILE));
    assert_eq!(cef.get("externalId"), Some(alert.id.to_string().as_str()));
    assert_eq!(cef.get("src"), Some("10.0.0.5"));
    assert_eq!(cef.get("smac"), Some("00:1b:1b:01:02:03"));
    assert_eq!(cef.get("dpt"), Some("502"));
    assert_eq!(cef.get("app"), Some("modbus"));
    assert_eq!(cef.get("cnt"), Some("1"));
    assert_eq!(cef.get("start"), Some("1709287201000"));
    assert_eq!(cef.get("cs2Label"), Some("techniques"));
    assert_eq!(cef.get("cs2"), Some("T0855,T0836"));
    assert_eq!(cef.get("cs4"), Some("alerts/x.pcap"));
    let stats = f.finish(DRAIN);
    assert_eq!(
        (one(&stats).sent, one(&stats).dropped, one(&stats).failed),
        (1, 0, 0)
    );
}

/// Accept one connection and hand every octet-counted frame to the test.
fn tcp_receiver() -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr").to_string();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        while let Some(frame) = read_frame(&mut stream) {
            if tx.send(frame).is_err() {
                return;
            }
        }
    });
    (address, rx)
}

#[test]
fn tcp_syslog_frames_leef_with_octet_counting() {
    let (address, frames) = tcp_receiver();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"tcp\"\nkind = \"syslog\"\naddress = \"{address}\"\ntransport = \"tcp\"\nformat = \"leef\"\n"
        ),
    );
    for n in 0..3 {
        f.send(&alert(&WRITE, HOSTILE, n), None);
    }
    let stats = f.finish(DRAIN);
    assert_eq!(one(&stats).sent, 3);
    for n in 0..3u16 {
        let frame = parse_syslog(&frames.recv_timeout(DRAIN).expect("a frame"));
        assert_eq!(frame.pri, 16 * 8 + 3, "local0 by default");
        let leef = parse_leef(&frame.msg);
        assert_eq!(
            &leef.header[1..6],
            &[
                "Rampart",
                "Rampart",
                env!("CARGO_PKG_VERSION"),
                "policy.new_command",
                "x09"
            ]
        );
        assert_eq!(leef.get("sev"), Some("8"));
        assert_eq!(leef.get("cat"), Some("command"));
        assert_eq!(leef.get("src"), Some("10.0.0.5"));
        assert_eq!(leef.get("srcPort"), Some((40000 + n).to_string().as_str()));
        assert_eq!(leef.get("dstPort"), Some("502"));
        assert_eq!(
            leef.get("devTime"),
            Some(format!("2024-03-01T10:00:0{n}.000+0000").as_str())
        );
        // LEEF has no escapes: the delimiter and line breaks become spaces, the rest stays.
        assert_eq!(
            leef.get("msg"),
            Some(HOSTILE.replace(['\n', '\r', '\t'], " ").as_str())
        );
    }
}

#[test]
fn tcp_syslog_carries_the_alerts_jsonl_object() {
    let (address, frames) = tcp_receiver();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"json\"\nkind = \"syslog\"\naddress = \"{address}\"\ntransport = \"tcp\"\nformat = \"json\"\n"
        ),
    );
    let alert = alert(&STOP, HOSTILE, 7);
    f.send(&alert, None);
    one(&f.finish(DRAIN));
    let frame = parse_syslog(&frames.recv_timeout(DRAIN).expect("a frame"));
    assert_eq!(frame.pri, 16 * 8 + 2, "critical");
    assert_eq!(frame.msgid, "protocol_policy");
    let body: serde_json::Value = serde_json::from_str(&frame.msg).expect("JSON payload");
    assert_eq!(body, serialize_alert_json(&alert, None));
    assert_eq!(body["alert"]["description"], HOSTILE);
}

#[test]
fn forwarding_rules_pick_alerts_per_destination() {
    let (critical_addr, critical) = tcp_receiver();
    let (modbus_addr, modbus) = tcp_receiver();
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"critical\"\nkind = \"syslog\"\naddress = \"{critical_addr}\"\ntransport = \"tcp\"\nmin_severity = \"critical\"\n\n\
             [[destination]]\nname = \"no-anomaly\"\nkind = \"syslog\"\naddress = \"{modbus_addr}\"\ntransport = \"tcp\"\nprotocols = [\"modbus\"]\nexclude_engines = [\"anomaly\"]\n"
        ),
    );
    f.send(&alert(&WRITE, "w", 1), None);
    f.send(&alert(&STOP, "s", 2), None);
    f.send(&alert(&SCAN, "p", 3), None);
    let mut other = alert(&WRITE, "d", 4);
    other.protocol = Some("dnp3".into());
    f.send(&other, None);
    let stats = f.finish(DRAIN);
    assert_eq!((stats[0].sent, stats[0].filtered), (1, 3));
    assert_eq!((stats[1].sent, stats[1].filtered), (2, 2));
    let rule = |rx: &mpsc::Receiver<Vec<u8>>| {
        parse_cef(&parse_syslog(&rx.recv_timeout(DRAIN).expect("frame")).msg).header[4].clone()
    };
    assert_eq!(rule(&critical), "protocol_policy.plc_stop");
    assert_eq!(rule(&modbus), "policy.new_command");
    assert_eq!(rule(&modbus), "protocol_policy.plc_stop");
}

struct Pki {
    ca_pem: String,
    server: rustls::ServerConfig,
    client_cert_pem: String,
    client_key_pem: String,
}

/// A CA, a server certificate for `localhost` and a client certificate, all made here.
fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["localhost".into()])
        .expect("server params")
        .signed_by(&server_key, &issuer)
        .expect("server cert");
    let client_key = KeyPair::generate().expect("client key");
    let client = CertificateParams::new(vec!["sensor-1".into()])
        .expect("client params")
        .signed_by(&client_key, &issuer)
        .expect("client cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()
    .expect("client verifier");
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).expect("key der");
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server.der().clone()], key)
        .expect("server config");
    Pki {
        ca_pem: ca.pem(),
        server,
        client_cert_pem: client.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

#[test]
fn tls_syslog_verifies_the_server_presents_a_client_certificate_and_sends_sni() {
    let pki = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).expect("ca");
    std::fs::write(dir.path().join("client.pem"), &pki.client_cert_pem).expect("cert");
    std::fs::write(dir.path().join("client.key"), &pki.client_key_pem).expect("key");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = Arc::new(pki.server);
    let (tx, frames) = mpsc::channel();
    thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let conn = rustls::ServerConnection::new(server).expect("server connection");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        while let Some(frame) = read_frame(&mut tls) {
            let sni = tls.conn.server_name().map(str::to_string);
            let client = tls.conn.peer_certificates().map(<[_]>::len);
            if tx.send((sni, client, frame)).is_err() {
                return;
            }
        }
    });
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"tls\"\nkind = \"syslog\"\naddress = \"localhost:{port}\"\ntransport = \"tls\"\nca_file = \"ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"\n"
        ),
    );
    let alert = alert(&STOP, HOSTILE, 2);
    f.send(&alert, None);
    f.send(&alert, None);
    assert_eq!(one(&f.finish(DRAIN)).sent, 2);
    for _ in 0..2 {
        let (sni, client, frame) = frames.recv_timeout(DRAIN).expect("a frame over TLS");
        assert_eq!(sni.as_deref(), Some("localhost"));
        assert_eq!(client, Some(1), "the client certificate was presented");
        let cef = parse_cef(&parse_syslog(&frame).msg);
        assert_eq!(cef.get("msg"), Some(HOSTILE));
        assert_eq!(cef.header[6], "10");
    }
}

#[test]
fn tls_syslog_refuses_a_server_its_ca_did_not_sign() {
    let trusted = pki();
    let other = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ca.pem"), &trusted.ca_pem).expect("ca");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = Arc::new(other.server);
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let conn =
                rustls::ServerConnection::new(Arc::clone(&server)).expect("server connection");
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let _ = tls.read(&mut [0u8; 64]);
        }
    });
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"tls\"\nkind = \"syslog\"\naddress = \"localhost:{port}\"\ntransport = \"tls\"\nca_file = \"ca.pem\"\nretries = 1\n"
        ),
    );
    f.send(&alert(&STOP, "x", 1), None);
    let stats = f.finish(DRAIN);
    assert_eq!(
        (one(&stats).sent, one(&stats).failed, one(&stats).retries),
        (0, 1, 1)
    );
}

/// One webhook request as the receiver saw it.
struct Request {
    path: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// The verification recipe of docs/forwarding.md: recompute the MAC over "<timestamp>.<body>"
/// and compare; refuse timestamps more than five minutes from now.
fn verify(secret: &[u8], r: &Request) -> bool {
    let Ok(ts) = r.timestamp.parse::<u64>() else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    if now.abs_diff(ts) > 300 {
        return false;
    }
    let Some(hex) = r.signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("x"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("key");
    mac.update(r.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    mac.verify_slice(&given).is_ok()
}

fn read_request(stream: &mut TcpStream) -> Request {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).expect("read request");
        assert!(n > 0, "request cut short");
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        if let httparse::Status::Complete(head) = req.parse(&buf).expect("HTTP request") {
            assert_eq!(req.method, Some("POST"));
            let header = |name: &str| {
                req.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| String::from_utf8_lossy(h.value).into_owned())
                    .unwrap_or_default()
            };
            assert_eq!(header("content-type"), "application/json");
            let len: usize = header("content-length").parse().expect("content length");
            let (path, timestamp, signature) = (
                req.path.unwrap_or_default().to_string(),
                header("x-rampart-timestamp"),
                header("x-rampart-signature"),
            );
            while buf.len() < head + len {
                let n = stream.read(&mut chunk).expect("read body");
                assert!(n > 0, "body cut short");
                buf.extend_from_slice(&chunk[..n]);
            }
            return Request {
                path,
                timestamp,
                signature,
                body: buf[head..head + len].to_vec(),
            };
        }
    }
}

/// A webhook that answers `statuses` in turn (then 200) and hands each request over.
fn webhook(statuses: Vec<u16>) -> (u16, mpsc::Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for mut stream in listener.incoming().flatten() {
            let request = read_request(&mut stream);
            let status = statuses.next().unwrap_or(200);
            let reply =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes());
            if tx.send(request).is_err() {
                return;
            }
        }
    });
    (port, rx)
}

#[test]
fn webhook_requests_are_signed_and_retried_after_server_errors() {
    let (port, requests) = webhook(vec![500, 503]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hook.secret"), "correct horse\n").expect("secret");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{port}/rampart?site=1\"\nsecret_file = \"hook.secret\"\nretries = 3\n"
        ),
    );
    let alert = alert(&WRITE, HOSTILE, 3);
    f.send(&alert, Some("alerts/a.pcap"));
    let stats = f.finish(DRAIN);
    assert_eq!(
        (one(&stats).sent, one(&stats).failed, one(&stats).retries),
        (1, 0, 2)
    );
    for _ in 0..3 {
        let r = requests.recv_timeout(DRAIN).expect("a request");
        assert_eq!(r.path, "/rampart?site=1");
        assert!(
            verify(b"correct horse", &r),
            "signature {} verifies",
            r.signature
        );
        assert!(!verify(b"wrong secret", &r));
        let mut tampered = Request {
            body: r.body.clone(),
            ..r
        };
        tampered.body[0] = b' ';
        assert!(!verify(b"correct horse", &tampered), "a changed body fails");
        let replayed = Request {
            timestamp: "1700000000".into(),
            ..tampered
        };
        assert!(
            !verify(b"correct horse", &replayed),
            "an old timestamp fails"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON body");
        assert_eq!(body, serialize_alert_json(&alert, Some("alerts/a.pcap")));
    }
    assert!(requests.try_recv().is_err(), "no fourth request");
}

#[test]
fn webhook_refusals_are_not_retried_and_attempts_are_bounded() {
    let (refusing, _r) = webhook(vec![403]);
    let (failing, _f) = webhook(vec![500; 10]);
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"refusing\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{refusing}/\"\nsecret = \"s\"\n\n\
             [[destination]]\nname = \"failing\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{failing}/\"\nsecret = \"s\"\nretries = 2\n"
        ),
    );
    f.send(&alert(&WRITE, "x", 1), None);
    let stats = f.finish(DRAIN);
    assert_eq!(
        (stats[0].sent, stats[0].failed, stats[0].retries),
        (0, 1, 0)
    );
    assert_eq!(
        (stats[1].sent, stats[1].failed, stats[1].retries),
        (0, 1, 2)
    );
}

const BURST: u64 = 100_000;

/// Send a burst of [`BURST`] alerts to a receiver that cannot keep up, finish within
/// `drain`, and check that no send waited, that finishing was bounded and that every message
/// is accounted for: sent, failed, unsent (at most the queue and one in flight) or dropped.
fn burst_into(f: Forwarder, queue: u64, drain: Duration) -> ForwardStats {
    let alert = alert(&WRITE, HOSTILE, 1);
    let (started, mut longest) = (Instant::now(), Duration::ZERO);
    for _ in 0..BURST {
        let t = Instant::now();
        f.send(&alert, None);
        longest = longest.max(t.elapsed());
    }
    // A blocking send would wait for the worker (retry delays, seconds of write timeout);
    // the bounds leave room for a loaded machine's scheduling.
    assert!(longest < Duration::from_secs(1), "longest send {longest:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{BURST} sends took {:?}",
        started.elapsed()
    );
    let t = Instant::now();
    let stats = f.finish(drain);
    assert!(
        t.elapsed() < drain + Duration::from_secs(1),
        "finish is bounded: {:?}",
        t.elapsed()
    );
    let s = one(&stats).clone();
    assert_eq!(s.sent + s.failed + s.unsent + s.dropped, BURST, "{s:?}");
    assert!(s.unsent <= queue + 1, "the queue is bounded: {s:?}");
    assert!(s.dropped >= BURST / 2, "a full queue drops: {s:?}");
    s
}

#[test]
fn a_dead_receiver_never_blocks_send_and_drops_are_counted() {
    let closed_port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"dead\"\nkind = \"syslog\"\naddress = \"127.0.0.1:{closed_port}\"\ntransport = \"tcp\"\nqueue = 64\n"
        ),
    );
    let s = burst_into(f, 64, Duration::from_millis(300));
    assert_eq!(s.sent, 0);
    assert!(s.unsent > 0 && s.retries > 0, "{s:?}");
}

#[test]
fn a_receiver_that_never_reads_never_blocks_send() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        // Accept and hold connections without reading until the test ends.
        let held: Vec<TcpStream> = listener.incoming().take(4).flatten().collect();
        let _ = hold_rx.recv();
        drop(held);
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"stuck\"\nkind = \"syslog\"\naddress = \"{address}\"\ntransport = \"tcp\"\nqueue = 1000\ntimeout_ms = 3000\nretries = 0\n"
        ),
    );
    let s = burst_into(f, 1000, Duration::from_millis(500));
    assert!(
        s.sent > 0 && s.sent < BURST,
        "the socket buffers took some: {s:?}"
    );
    drop(hold_tx);
}

/// rsyslog, when installed, parses the frames (octet-counted TCP and UDP) as RFC 5424.
#[test]
fn rsyslog_parses_what_rampart_sends_when_it_is_installed() {
    let Some(rsyslogd) = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        eprintln!("rsyslogd is not installed (apt-get install rsyslog); skipping the rsyslog test");
        return;
    };
    let free_port = || {
        TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port()
    };
    let (tcp_port, udp_port) = (free_port(), free_port());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("received.log");
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            "global(workDirectory=\"{work}\")\n\
             module(load=\"imtcp\")\nmodule(load=\"imudp\")\n\
             template(name=\"fields\" type=\"string\" string=\"%pri%|%protocol-version%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n\")\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp_port}\")\n\
             input(type=\"imudp\" address=\"127.0.0.1\" port=\"{udp_port}\")\n\
             *.* action(type=\"omfile\" file=\"{out}\" template=\"fields\")\n",
            work = dir.path().display(),
            out = out.display()
        ),
    )
    .expect("rsyslog.conf");
    let mut daemon = std::process::Command::new(rsyslogd)
        .args(["-n", "-f"])
        .arg(&conf)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("rsyslogd starts");
    let up = Instant::now();
    while TcpStream::connect(("127.0.0.1", tcp_port)).is_err() {
        assert!(up.elapsed() < DRAIN, "rsyslogd did not listen");
        thread::sleep(Duration::from_millis(50));
    }
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"tcp\"\nkind = \"syslog\"\naddress = \"127.0.0.1:{tcp_port}\"\ntransport = \"tcp\"\nhostname = \"sensor-1\"\n\n\
             [[destination]]\nname = \"udp\"\nkind = \"syslog\"\naddress = \"127.0.0.1:{udp_port}\"\nformat = \"leef\"\nhostname = \"sensor-2\"\n"
        ),
    );
    f.send(&alert(&WRITE, "write\nfrom 10.0.0.5", 1), None);
    f.send(&alert(&STOP, "stop", 2), None);
    let stats = f.finish(DRAIN);
    assert_eq!((stats[0].sent, stats[1].sent), (2, 2));
    let waited = Instant::now();
    let lines = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= 4 || waited.elapsed() > DRAIN {
            break lines;
        }
        thread::sleep(Duration::from_millis(50));
    };
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let pid = std::process::id().to_string();
    for host in ["sensor-1", "sensor-2"] {
        let mine: Vec<Vec<&str>> = lines
            .iter()
            .map(|l| l.splitn(8, '|').collect::<Vec<_>>())
            .filter(|f| f[2] == host)
            .collect();
        assert_eq!(mine.len(), 2, "{host}: {lines:?}");
        for fields in &mine {
            // Version, APP-NAME, PROCID and structured data as rsyslog's RFC 5424 parser read them.
            assert_eq!(
                (fields[1], fields[3], fields[4], fields[6]),
                ("1", "rampart", pid.as_str(), "-")
            );
        }
        let first = &mine[0];
        assert_eq!((first[0], first[5]), ("131", "policy"));
        let prefix = if host == "sensor-1" {
            "CEF:0|Rampart|Rampart|"
        } else {
            "LEEF:2.0|Rampart|Rampart|"
        };
        assert!(first[7].starts_with(prefix), "{}", first[7]);
        assert_eq!((mine[1][0], mine[1][5]), ("130", "protocol_policy"));
    }
    let cef = lines
        .iter()
        .find(|l| l.contains("CEF:0") && l.contains("policy.new_command"))
        .expect("CEF line");
    assert!(cef.contains("msg=write\\nfrom 10.0.0.5 "), "{cef}");
}

/// The code block of docs/forwarding.md that follows `after`, fenced as `lang`.
fn documented(after: &str, lang: &str) -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/forwarding.md"
    ))
    .expect("docs/forwarding.md");
    let from = doc.find(after).expect("recipe heading");
    let fence = format!("```{lang}\n");
    let start = doc[from..].find(&fence).expect("code block") + from + fence.len();
    let end = doc[start..].find("```").expect("block end") + start;
    doc[start..end].to_string()
}

fn have(tool: &str, version: &str) -> bool {
    std::process::Command::new(tool)
        .arg(version)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The verification recipes of docs/forwarding.md accept a real request and refuse a
/// tampered one (each runs when its interpreter is installed).
#[test]
fn the_documented_verification_recipes_accept_rampart_requests() {
    let (port, requests) = webhook(Vec::new());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("on-call.secret"), "correct horse\n").expect("secret");
    let f = start(
        &dir,
        &format!(
            "[[destination]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{port}/\"\nsecret_file = \"on-call.secret\"\n"
        ),
    );
    f.send(&alert(&WRITE, HOSTILE, 1), None);
    assert_eq!(one(&f.finish(DRAIN)).sent, 1);
    let r = requests.recv_timeout(DRAIN).expect("a request");
    let mut tampered = r.body.clone();
    tampered[1] = b' ';
    let mut ran = Vec::new();
    if have("python3", "--version") {
        let check = |body: &[u8]| {
            std::fs::write(dir.path().join("body.json"), body).expect("body");
            let script = format!(
                "{}\nimport os, sys\nh = {{'X-Rampart-Timestamp': os.environ['TS'], 'X-Rampart-Signature': os.environ['SIG']}}\nsys.exit(0 if verify(b'correct horse', h, open('body.json', 'rb').read()) else 1)\n",
                documented("Verifying in Python", "python")
            );
            std::process::Command::new("python3")
                .args(["-c", &script])
                .current_dir(dir.path())
                .env("TS", &r.timestamp)
                .env("SIG", &r.signature)
                .status()
                .expect("python3 runs")
                .success()
        };
        assert!(check(&r.body), "the Python recipe accepts the request");
        assert!(
            !check(&tampered),
            "the Python recipe refuses a changed body"
        );
        ran.push("python3");
    }
    if have("openssl", "version") {
        let check = |body: &[u8]| {
            std::fs::write(dir.path().join("body.json"), body).expect("body");
            let out = std::process::Command::new("sh")
                .args(["-c", &documented("Verifying in a shell", "sh")])
                .current_dir(dir.path())
                .env("TS", &r.timestamp)
                .env("SIG", &r.signature)
                .output()
                .expect("sh runs");
            String::from_utf8_lossy(&out.stdout).trim() == "valid"
        };
        assert!(check(&r.body), "the shell recipe accepts the request");
        assert!(!check(&tampered), "the shell recipe refuses a changed body");
        ran.push("openssl");
    }
    eprintln!("recipes checked with: {ran:?}");
}

/// A receiver that reads one frame a connection and then closes it; reports (connection, frame).
fn closing_receiver<S: Read>(
    wrap: impl Fn(TcpStream) -> S + Send + 'static,
) -> (u16, mpsc::Receiver<(usize, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for (n, tcp) in listener.incoming().flatten().enumerate() {
            let mut stream = wrap(tcp);
            if let Some(frame) = read_frame(&mut stream)
                && tx.send((n, frame)).is_err()
            {
                return;
            }
        }
    });
    (port, rx)
}

/// Send one alert, wait until the receiver has it and has closed, send another: the second
/// must arrive on a new connection, not vanish into the closed one.
fn reconnects_after_the_receiver_closes(
    port: u16,
    frames: mpsc::Receiver<(usize, Vec<u8>)>,
    dir: &tempfile::TempDir,
    keys: &str,
) {
    let f = start(
        dir,
        &format!(
            "[[destination]]\nname = \"r\"\nkind = \"syslog\"\naddress = \"localhost:{port}\"\n{keys}"
        ),
    );
    f.send(&alert(&WRITE, "first", 1), None);
    let (first_connection, _) = frames.recv_timeout(DRAIN).expect("first frame");
    // Let the close reach the sensor.
    thread::sleep(Duration::from_millis(200));
    f.send(&alert(&WRITE, "second", 2), None);
    let (second_connection, frame) = frames.recv_timeout(DRAIN).expect("second frame");
    assert_ne!(first_connection, second_connection);
    assert_eq!(
        parse_cef(&parse_syslog(&frame).msg).get("msg"),
        Some("second")
    );
    let s = one(&f.finish(DRAIN)).clone();
    assert_eq!((s.sent, s.failed), (2, 0), "{s:?}");
}

#[test]
fn tcp_syslog_reconnects_after_the_receiver_closes() {
    let (port, frames) = closing_receiver(|tcp| tcp);
    let dir = tempfile::tempdir().expect("tempdir");
    reconnects_after_the_receiver_closes(port, frames, &dir, "transport = \"tcp\"\n");
}

#[test]
fn tls_syslog_reconnects_after_the_receiver_closes() {
    let pki = pki();
    let server = Arc::new(pki.server);
    let (port, frames) = closing_receiver(move |tcp| {
        let conn = rustls::ServerConnection::new(Arc::clone(&server)).expect("server connection");
        rustls::StreamOwned::new(conn, tcp)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, pem) in [
        ("ca.pem", &pki.ca_pem),
        ("client.pem", &pki.client_cert_pem),
        ("client.key", &pki.client_key_pem),
    ] {
        std::fs::write(dir.path().join(name), pem).expect("pem");
    }
    let keys = "transport = \"tls\"\nca_file = \"ca.pem\"\nclient_cert = \"client.pem\"\nclient_key = \"client.key\"\n";
    reconnects_after_the_receiver_closes(port, frames, &dir, keys);
}
