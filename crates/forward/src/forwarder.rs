//! The forwarder: a bounded queue and one worker thread per destination.
//!
//! [`Forwarder::send`] runs on the packet path. It filters, formats (only alerts that go
//! somewhere are formatted) and offers the message to each destination's queue with
//! `try_send`: a full queue drops the message and counts it, so a slow or dead receiver costs
//! the packet path one failed `try_send`, never a wait. The worker does the network I/O, with
//! timeouts, reconnects and retries (exponential backoff with jitter, a bounded number).
//! [`Forwarder::finish`] closes the queues, lets the workers drain until a deadline and then
//! abandons what is left, counting it, so the end of a run is bounded too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rampart_detect::Alert;
use serde::Serialize;
use tracing::{info, warn};

use crate::config::{Destination, Format, ForwardConfig, Target};
use crate::deliver::{Deliver, Outcome, SyslogSender};
use crate::syslog::{self, Header};
use crate::webhook::WebhookSender;
use crate::{cef, json, leef};

/// First retry delay; each retry doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Longest delay between two attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// How often a sleeping worker looks whether it was abandoned.
const SLEEP_SLICE: Duration = Duration::from_millis(20);

/// What happened to one destination's alerts, for summary.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ForwardStats {
    /// Destination name.
    pub name: String,
    /// Alerts its rules did not take.
    pub filtered: u64,
    /// Messages delivered.
    pub sent: u64,
    /// Messages dropped because the queue was full.
    pub dropped: u64,
    /// Messages given up on after the last retry, or refused by the receiver.
    pub failed: u64,
    /// Attempts after a failed one.
    pub retries: u64,
    /// Messages still queued or in flight when the deadline of [`Forwarder::finish`] passed.
    pub unsent: u64,
}

#[derive(Debug, Default)]
struct Counters {
    filtered: AtomicU64,
    queued: AtomicU64,
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    retries: AtomicU64,
    abandon: AtomicBool,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn abandoned(&self) -> bool {
        self.abandon.load(Ordering::Relaxed)
    }

    /// Sleep `d`, or less if the worker is abandoned meanwhile.
    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.abandoned() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(SLEEP_SLICE));
        }
    }
}

/// How a destination's messages are made from an alert.
enum Shape {
    Syslog(Header, Format),
    Webhook,
}

impl Shape {
    fn message(&self, alert: &Alert, pcap: Option<&str>) -> Vec<u8> {
        match self {
            Shape::Syslog(header, format) => {
                let payload = match format {
                    Format::Cef => cef::format(alert, pcap),
                    Format::Leef => leef::format(alert, pcap),
                    Format::Json => json::alert_line(alert, pcap),
                };
                header.frame(
                    alert.severity,
                    alert.engine.as_str(),
                    syslog::now(),
                    &payload,
                )
            }
            Shape::Webhook => json::alert_line(alert, pcap).into_bytes(),
        }
    }
}

struct Lane {
    name: String,
    filter: crate::filter::Filter,
    shape: Shape,
    queue: Option<SyncSender<Vec<u8>>>,
    counters: Arc<Counters>,
    warned_full: AtomicBool,
    worker: Option<JoinHandle<()>>,
}

/// Why the forwarder could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A worker thread could not be started.
    #[error("cannot start the worker for {name}: {source}")]
    Thread {
        /// Destination.
        name: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Alerts out to the configured destinations, off the packet path.
pub struct Forwarder {
    lanes: Vec<Lane>,
    done: Receiver<()>,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.lanes.iter().map(|l| l.name.as_str()).collect();
        f.debug_struct("Forwarder")
            .field("destinations", &names)
            .finish()
    }
}

impl Forwarder {
    /// Start one worker per destination. Nothing connects yet: a receiver that is down at
    /// start costs retries later, not a delay now.
    pub fn start(config: ForwardConfig) -> Result<Forwarder, StartError> {
        let (done_tx, done) = mpsc::channel();
        let mut lanes = Vec::with_capacity(config.destinations.len());
        for d in config.destinations {
            lanes.push(lane(d, done_tx.clone())?);
        }
        Ok(Forwarder { lanes, done })
    }

    /// Queue `alert` for every destination whose rules take it; `pcap` is its PCAP path
    /// relative to the output directory, when one is written. Never blocks.
    pub fn send(&self, alert: &Alert, pcap: Option<&str>) {
        for lane in &self.lanes {
            if !lane.filter.admits(alert) {
                Counters::add(&lane.counters.filtered);
                continue;
            }
            let Some(queue) = &lane.queue else { continue };
            match queue.try_send(lane.shape.message(alert, pcap)) {
                Ok(()) => Counters::add(&lane.counters.queued),
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    Counters::add(&lane.counters.dropped);
                    if !lane.warned_full.swap(true, Ordering::Relaxed) {
                        warn!(destination = %lane.name, "Forwarding queue full; dropping alerts.");
                    }
                }
            }
        }
    }

    /// Names of the destinations, in configuration order.
    pub fn destinations(&self) -> Vec<&str> {
        self.lanes.iter().map(|l| l.name.as_str()).collect()
    }

    /// Close the queues, let the workers deliver what is queued for at most `within`, then
    /// abandon the rest; return each destination's counters.
    pub fn finish(mut self, within: Duration) -> Vec<ForwardStats> {
        let deadline = Instant::now() + within;
        for lane in &mut self.lanes {
            lane.queue = None;
        }
        let mut running = self.lanes.len();
        while running > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.done.recv_timeout(left) {
                Ok(()) => running -= 1,
                Err(_) => break,
            }
        }
        let stats: Vec<ForwardStats> = self.lanes.iter().map(stats_of).collect();
        for lane in &mut self.lanes {
            lane.counters.abandon.store(true, Ordering::Relaxed);
            // A worker still in a network call ends on its own timeout; it is not waited for.
            if let Some(worker) = lane.worker.take_if(|w| w.is_finished()) {
                let _ = worker.join();
            }
        }
        stats
    }
}

fn stats_of(lane: &Lane) -> ForwardStats {
    let c = &lane.counters;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (sent, failed) = (load(&c.sent), load(&c.failed));
    ForwardStats {
        name: lane.name.clone(),
        filtered: load(&c.filtered),
        sent,
        dropped: load(&c.dropped),
        failed,
        retries: load(&c.retries),
        unsent: load(&c.queued).saturating_sub(sent + failed),
    }
}

fn lane(d: Destination, done: mpsc::Sender<()>) -> Result<Lane, StartError> {
    let (shape, sender): (Shape, Box<dyn Deliver>) = match d.target {
        Target::Syslog {
            address,
            transport,
            tls,
            header,
        } => (
            Shape::Syslog(header, d.format),
            Box::new(SyslogSender::new(address, transport, tls, d.timeout)),
        ),
        Target::Webhook { url, secret, tls } => (
            Shape::Webhook,
            Box::new(WebhookSender::new(url, secret, tls, d.timeout)),
        ),
    };
    let (tx, rx) = mpsc::sync_channel(d.queue);
    let counters = Arc::new(Counters::default());
    let worker = Worker {
        name: d.name.clone(),
        sender,
        counters: Arc::clone(&counters),
        retries: d.retries,
        healthy: true,
    };
    let handle = std::thread::Builder::new()
        .name(format!("forward-{}", d.name))
        .spawn(move || worker.run(rx, done))
        .map_err(|source| StartError::Thread {
            name: d.name.clone(),
            source,
        })?;
    Ok(Lane {
        name: d.name,
        filter: d.filter,
        shape,
        queue: Some(tx),
        counters,
        warned_full: AtomicBool::new(false),
        worker: Some(handle),
    })
}

struct Worker {
    name: String,
    sender: Box<dyn Deliver>,
    counters: Arc<Counters>,
    retries: u32,
    healthy: bool,
}

impl Worker {
    fn run(mut self, queue: Receiver<Vec<u8>>, done: mpsc::Sender<()>) {
        while let Ok(message) = queue.recv() {
            if self.counters.abandoned() {
                break;
            }
            self.deliver(&message);
        }
        let _ = done.send(());
    }

    fn deliver(&mut self, message: &[u8]) {
        let mut attempt = 0;
        loop {
            match self.sender.deliver(message) {
                Outcome::Delivered => {
                    Counters::add(&self.counters.sent);
                    if !self.healthy {
                        info!(destination = %self.name, "Forwarding works again.");
                        self.healthy = true;
                    }
                    return;
                }
                Outcome::Retry(reason) if attempt < self.retries && !self.counters.abandoned() => {
                    attempt += 1;
                    Counters::add(&self.counters.retries);
                    tracing::debug!(destination = %self.name, attempt, %reason, "Forwarding attempt failed; retrying.");
                    self.counters.sleep(backoff(attempt));
                }
                Outcome::Retry(reason) | Outcome::Fail(reason) => {
                    Counters::add(&self.counters.failed);
                    if self.healthy {
                        warn!(destination = %self.name, %reason, "Forwarding failed; alert not delivered.");
                        self.healthy = false;
                    }
                    return;
                }
            }
        }
    }
}

/// The delay before retry `attempt` (from 1): doubling from [`BACKOFF_BASE`] up to
/// [`BACKOFF_MAX`], with jitter in its upper half so that sensors that lost the same
/// receiver do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_MAX);
    let nanos = u64::try_from(full.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(nanos / 2..=nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for _ in 0..100 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = backoff(30);
            assert!(late >= Duration::from_secs(5) && late <= BACKOFF_MAX);
        }
    }

    struct Flaky {
        failures: u32,
        refuse: bool,
    }

    impl Deliver for Flaky {
        fn deliver(&mut self, _: &[u8]) -> Outcome {
            if self.refuse {
                return Outcome::Fail("HTTP 403".into());
            }
            if self.failures > 0 {
                self.failures -= 1;
                return Outcome::Retry("HTTP 500".into());
            }
            Outcome::Delivered
        }
    }

    fn worker(failures: u32, refuse: bool, retries: u32) -> Worker {
        Worker {
            name: "t".into(),
            sender: Box::new(Flaky { failures, refuse }),
            counters: Arc::new(Counters::default()),
            retries,
            healthy: true,
        }
    }

    fn counts(w: &Worker) -> (u64, u64, u64) {
        let c = &w.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (load(&c.sent), load(&c.failed), load(&c.retries))
    }

    #[test]
    fn retries_until_delivered_within_the_bound() {
        let mut w = worker(2, false, 2);
        w.deliver(b"m");
        assert_eq!(counts(&w), (1, 0, 2));
    }

    #[test]
    fn gives_up_after_the_last_retry() {
        let mut w = worker(5, false, 2);
        w.deliver(b"m");
        assert_eq!(counts(&w), (0, 1, 2));
        assert!(!w.healthy);
    }

    #[test]
    fn a_refusal_is_not_retried() {
        let mut w = worker(0, true, 5);
        w.deliver(b"m");
        assert_eq!(counts(&w), (0, 1, 0));
    }
}
