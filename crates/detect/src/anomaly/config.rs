//! The `[anomaly]` section of the detection configuration: one table per rule, every key
//! optional with the documented default (`docs/detection.md`, "Anomaly engine").
//!
//! Values are checked as they are read, so a threshold of zero or a window of no time is a
//! configuration error with a line number rather than a detector that never or always fires.

use serde::Deserialize;

/// The largest count a threshold may have: a window keeps at most that many entries.
pub const MAX_COUNT: u32 = 1024;
/// The most keys one table may track.
pub const MAX_TRACKED: usize = 1_000_000;
/// The longest window, one day.
pub const MAX_WINDOW_SECS: u64 = 86_400;

/// A number checked as it is read: the struct, and its conversion from the raw value that
/// refuses anything outside `$valid` with the message `$what`.
macro_rules! checked {
    ($(#[$meta:meta])* $name:ident($raw:ty) where $n:ident: $valid:expr, $what:expr) => {
        $(#[$meta])*
        pub struct $name($raw);

        impl TryFrom<$raw> for $name {
            type Error = String;

            fn try_from($n: $raw) -> Result<$name, String> {
                if $valid {
                    Ok($name($n))
                } else {
                    Err(format!("{}, not {}", $what, $n))
                }
            }
        }
    };
}

checked!(
    /// How many of something; between 1 and [`MAX_COUNT`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(try_from = "u32")]
    Count(u32) where n: (1..=MAX_COUNT).contains(&n),
    format!("a count must be between 1 and {MAX_COUNT}")
);

impl Count {
    /// The count as a length.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

checked!(
    /// A duration in whole seconds; between 1 and [`MAX_WINDOW_SECS`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(try_from = "u64")]
    Secs(u64) where n: (1..=MAX_WINDOW_SECS).contains(&n),
    format!("a duration must be between 1 and {MAX_WINDOW_SECS} seconds")
);

impl Secs {
    /// The duration in nanoseconds.
    pub fn nanos(self) -> u64 {
        self.0 * 1_000_000_000
    }

    /// The duration in seconds.
    pub fn secs(self) -> u64 {
        self.0
    }
}

checked!(
    /// How many keys a table tracks; between 1 and [`MAX_TRACKED`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(try_from = "usize")]
    Capacity(usize) where n: (1..=MAX_TRACKED).contains(&n),
    format!("a capacity must be between 1 and {MAX_TRACKED}")
);

impl Capacity {
    /// The capacity.
    pub fn get(self) -> usize {
        self.0
    }
}

checked!(
    /// A ratio above one ("five times the baseline"), at most 1000.
    #[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
    #[serde(try_from = "f64")]
    Factor(f64) where x: x.is_finite() && x > 1.0 && x <= 1000.0,
    "a factor must be above 1 and at most 1000"
);

impl Factor {
    /// The ratio.
    pub fn get(self) -> f64 {
        self.0
    }
}

checked!(
    /// A share strictly between 0 and 1.
    #[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
    #[serde(try_from = "f64")]
    Fraction(f64) where x: x.is_finite() && x > 0.0 && x < 1.0,
    "a fraction must be between 0 and 1"
);

impl Fraction {
    /// The share.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// A count of something in a window.
macro_rules! count_in_window {
    ($(#[$doc:meta])* $name:ident { $field:ident: $count:expr, window: $window:expr }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            /// How many reach the threshold.
            pub $field: Count,
            /// Within this many seconds.
            pub window_secs: Secs,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $field: Count($count),
                    window_secs: Secs($window),
                }
            }
        }
    };
}

count_in_window!(
    /// `anomaly.address_scan`: distinct destinations in one /16 (IPv6: /64) from one source.
    AddressScan { destinations: 50, window: 120 }
);
count_in_window!(
    /// `anomaly.port_scan`: distinct destination ports from one source.
    PortScan { ports: 25, window: 120 }
);
count_in_window!(
    /// `anomaly.arp_scan`: distinct addresses one host asks for.
    ArpScan { targets: 50, window: 120 }
);
count_in_window!(
    /// `anomaly.gratuitous_arp_flood`: gratuitous ARPs from one host.
    GratuitousArpFlood { count: 30, window: 60 }
);
count_in_window!(
    /// `anomaly.login_attempts`: failed logins from one source, to any destination.
    LoginAttempts { failures: 10, window: 120 }
);
count_in_window!(
    /// `anomaly.password_guessing`: failed logins from one source to one destination.
    PasswordGuessing { failures: 5, window: 120 }
);
count_in_window!(
    /// `anomaly.excessive_sessions`: new sessions (flows) one source opens.
    ExcessiveSessions { sessions: 100, window: 60 }
);

/// `anomaly.ot_scan`: identity requests to distinct targets, or a sweep of unit ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtScan {
    /// Distinct targets (device and unit) asked who they are.
    pub identify_targets: Count,
    /// Distinct unit ids (Modbus unit, DNP3 outstation) addressed on one destination.
    pub unit_ids: Count,
    /// Within this many seconds.
    pub window_secs: Secs,
}

impl Default for OtScan {
    fn default() -> Self {
        OtScan {
            identify_targets: Count(10),
            unit_ids: Count(10),
            window_secs: Secs(120),
        }
    }
}

/// `anomaly.arp_spoofing`: how long a MAC keeps its claim on an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArpSpoofing {
    /// A MAC that claimed an address this recently still holds it.
    pub active_secs: Secs,
}

impl Default for ArpSpoofing {
    fn default() -> Self {
        ArpSpoofing {
            active_secs: Secs(300),
        }
    }
}

/// `anomaly.traffic_spike`: bytes per edge per minute against the edge's running baseline.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficSpike {
    /// A minute this many times the baseline is a spike.
    pub factor: Factor,
    /// ... and only when it carries at least this many bytes.
    pub floor_bytes: u64,
    /// Minutes of an edge observed before its baseline is trusted.
    pub learn_minutes: Count,
}

impl Default for TrafficSpike {
    fn default() -> Self {
        TrafficSpike {
            factor: Factor(5.0),
            floor_bytes: 1_000_000,
            learn_minutes: Count(10),
        }
    }
}

/// `anomaly.polling_change`: when a stable request period has changed.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollingChange {
    /// A period this many times longer or shorter than the learned one is a change.
    pub factor: Factor,
    /// Intervals observed before a period is learned.
    pub min_samples: Count,
    /// A period is stable when intervals stray from it by at most this share on average.
    pub jitter: Fraction,
    /// Consecutive changed intervals that confirm a change.
    pub confirm: Count,
    /// Requests closer than this many milliseconds belong to the same poll.
    pub burst_ms: u64,
}

impl Default for PollingChange {
    fn default() -> Self {
        PollingChange {
            factor: Factor(2.0),
            min_samples: Count(10),
            jitter: Fraction(0.25),
            confirm: Count(3),
            burst_ms: 50,
        }
    }
}

/// `anomaly.silent_channel`: when a periodic channel counts as silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SilentChannel {
    /// Periods without a request.
    pub periods: Count,
    /// ... and at least this many seconds.
    pub min_silence_secs: Secs,
}

impl Default for SilentChannel {
    fn default() -> Self {
        SilentChannel {
            periods: Count(5),
            min_silence_secs: Secs(10),
        }
    }
}

/// The anomaly engine's settings (`[anomaly]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyConfig {
    /// Address scans.
    pub address_scan: AddressScan,
    /// Port scans.
    pub port_scan: PortScan,
    /// OT protocol scans.
    pub ot_scan: OtScan,
    /// ARP scans.
    pub arp_scan: ArpScan,
    /// ARP spoofing.
    pub arp_spoofing: ArpSpoofing,
    /// Gratuitous ARP floods.
    pub gratuitous_arp_flood: GratuitousArpFlood,
    /// Failed logins from one source.
    pub login_attempts: LoginAttempts,
    /// Failed logins from one source to one destination.
    pub password_guessing: PasswordGuessing,
    /// New sessions from one source.
    pub excessive_sessions: ExcessiveSessions,
    /// Traffic spikes between devices.
    pub traffic_spike: TrafficSpike,
    /// Polling period changes.
    pub polling_change: PollingChange,
    /// Silent channels.
    pub silent_channel: SilentChannel,
    /// Keys (sources, edges, channels) each table of the engine tracks at most; the least
    /// recently seen go first.
    pub max_tracked: Capacity,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig {
            address_scan: AddressScan::default(),
            port_scan: PortScan::default(),
            ot_scan: OtScan::default(),
            arp_scan: ArpScan::default(),
            arp_spoofing: ArpSpoofing::default(),
            gratuitous_arp_flood: GratuitousArpFlood::default(),
            login_attempts: LoginAttempts::default(),
            password_guessing: PasswordGuessing::default(),
            excessive_sessions: ExcessiveSessions::default(),
            traffic_spike: TrafficSpike::default(),
            polling_change: PollingChange::default(),
            silent_channel: SilentChannel::default(),
            max_tracked: Capacity(8192),
        }
    }
}
