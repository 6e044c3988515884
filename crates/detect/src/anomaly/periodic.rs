//! Polling rhythm: a channel (requester, responder, protocol and command) whose requests came
//! at a stable period, and then come at another period or stop.
//!
//! The period is an exponentially weighted mean of the intervals between polls, with the
//! mean absolute deviation beside it (as TCP estimates round-trip times); requests closer
//! than `burst_ms` belong to one poll, so a master that reads three register blocks back to
//! back polls once. A channel is stable after `min_samples` intervals whose deviation is
//! within `jitter` of the period. Only industrial requests (records with an activity) make
//! channels: DNS or HTTP have no polling period worth learning.
//!
//! A change needs `confirm` consecutive intervals off by `factor`, then the channel learns
//! the new period; silence is checked every second and at the end of the input. Both raise
//! in monitoring mode only, and the channel keeps learning in both. Bound: `max_tracked`
//! channels.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rampart_event::{Event, Origin, Record, Timestamp};

use super::config::{AnomalyConfig, PollingChange, SilentChannel};
use super::window::Tracked;
use super::{Host, POLLING_CHANGE, SILENT_CHANNEL, flow_of, request_sides};
use crate::alert::AlertDraft;
use crate::facts;
use crate::flow_slots::FlowSlots;
use crate::{Context, Detector, Interest, Mode, Observation};

/// Weight of the newest interval in the period and its deviation.
const GAIN: f64 = 0.125;

/// Fields that name the command of a request whose record kind is generic (DNP3
/// `transaction` with its `function`, EtherNet/IP `cip` with its `service`, FINS `command`).
const COMMAND_FIELDS: [&str; 3] = ["function", "service", "command"];

/// A channel: requester, responder, and a hash of the protocol and the command (so a known
/// channel is found without copying its name).
type Key = (Host, Host, u64);

/// Channels whose slot in the channels table is remembered, by flow and channel.
const RECENT_CHANNELS: usize = 4096;

/// Where a request's channel slot is remembered: its flow's id mixed with the channel's
/// hash (already well spread), so the few channels a master polls over one connection
/// each find theirs; requests without a flow go by the hash alone.
fn hint_id(flow: Option<u64>, channel: u64) -> u64 {
    flow.map_or(0, |f| f.wrapping_mul(0x9e37_79b9_7f4a_7c15)) ^ channel
}

/// What a request does: its kind, and its command when the kind alone does not say.
fn command_of<'a>(record: &Record<'a>) -> (&'a str, Option<&'a str>) {
    (
        record.kind,
        command_field(record).filter(|c| *c != record.kind),
    )
}

/// The text of the first of [`COMMAND_FIELDS`] the record has as text (the first field of a
/// name counts). Looking the names up in turn, each by length and first byte before the
/// whole name, stops at the first one there; on the benchmark slice it costs less than one
/// pass matching every field against all three names.
fn command_field<'a>(record: &Record<'a>) -> Option<&'a str> {
    COMMAND_FIELDS
        .iter()
        .find_map(|name| facts::text(&record.fields, name))
}

/// What is known of one channel's rhythm.
#[derive(Debug)]
struct Channel {
    protocol: String,
    kind: String,
    flow: Option<u64>,
    last: Timestamp,
    period: f64,
    deviation: f64,
    samples: usize,
    changed: usize,
    changed_total: f64,
    silent: bool,
    /// Its deadline on the heap, when it has one there.
    due: Option<Timestamp>,
}

impl Channel {
    fn new(record: &Record<'_>, time: Timestamp) -> Channel {
        let kind = match command_of(record) {
            (kind, Some(command)) => format!("{kind} {command}"),
            (kind, None) => kind.to_string(),
        };
        Channel {
            protocol: record.protocol.to_string(),
            kind,
            flow: None,
            last: time,
            period: 0.0,
            deviation: 0.0,
            samples: 0,
            changed: 0,
            changed_total: 0.0,
            silent: false,
            due: None,
        }
    }

    fn is_stable(&self, limit: &PollingChange) -> bool {
        self.samples >= limit.min_samples.get()
            && self.period > 0.0
            && self.deviation <= limit.jitter.get() * self.period
    }

    fn learn(&mut self, interval: f64) {
        if self.samples == 0 {
            self.period = interval;
            self.deviation = 0.0;
        } else {
            self.deviation += GAIN * ((interval - self.period).abs() - self.deviation);
            self.period += GAIN * (interval - self.period);
        }
        self.samples += 1;
    }

    /// Take one poll `interval` nanoseconds after the last; the new period when this
    /// interval confirms a change.
    fn interval(&mut self, interval: f64, limit: &PollingChange) -> Option<f64> {
        if !self.is_stable(limit) {
            self.learn(interval);
            return None;
        }
        let ratio = interval / self.period;
        let factor = limit.factor.get();
        if ratio < factor && ratio > 1.0 / factor {
            self.changed = 0;
            self.changed_total = 0.0;
            self.learn(interval);
            return None;
        }
        self.changed += 1;
        self.changed_total += interval;
        if self.changed < limit.confirm.get() {
            return None;
        }
        let new = self.changed_total / self.changed as f64;
        self.period = new;
        self.deviation = 0.0;
        self.samples = self.changed;
        self.changed = 0;
        self.changed_total = 0.0;
        Some(new)
    }

    /// True when the channel is stable and has been quiet long enough at `now` to be silent.
    fn falls_silent(
        &self,
        now: Timestamp,
        polling: &PollingChange,
        silence: &SilentChannel,
    ) -> bool {
        if self.silent || !self.is_stable(polling) {
            return false;
        }
        let quiet = now.nanos_since(self.last) as f64;
        quiet >= self.silence_needed(silence)
    }

    /// Nanoseconds of quiet that make this channel silent.
    fn silence_needed(&self, silence: &SilentChannel) -> f64 {
        (silence.periods.get() as f64 * self.period).max(silence.min_silence_secs.nanos() as f64)
    }

    /// When this channel falls silent if nothing more is heard, for a stable channel not
    /// yet silent.
    fn silent_at(&self, polling: &PollingChange, silence: &SilentChannel) -> Option<Timestamp> {
        (!self.silent && self.is_stable(polling))
            .then(|| self.last.plus_nanos(self.silence_needed(silence) as u64))
    }
}

fn millis(nanos: f64) -> f64 {
    (nanos / 1e6).round()
}

/// Polling changes and silent channels.
#[derive(Debug)]
pub struct Periodic {
    polling: PollingChange,
    silence: SilentChannel,
    channels: Tracked<Key, Channel>,
    /// The slot of recent channels in `channels` (see [`hint_id`]): most requests find their
    /// channel without a lookup.
    recent: FlowSlots<usize>,
    /// Hashes a request's protocol and command into its key: keys live for one run, so a
    /// fast hasher seeded per run serves.
    commands: ahash::RandomState,
    /// When each stable channel falls silent if nothing more is heard, earliest first: one
    /// entry per channel (its `due`), moved later lazily when it comes due and the channel
    /// was heard from since. Scanning every channel every second of a long capture cost more
    /// than the rest of detection. Entries of evicted channels are dropped as they come due.
    due: BinaryHeap<Reverse<(Timestamp, Key)>>,
}

impl Periodic {
    /// Rhythm tracking with these settings.
    pub fn new(config: &AnomalyConfig) -> Periodic {
        Periodic {
            polling: config.polling_change,
            silence: config.silent_channel,
            channels: Tracked::new(config.max_tracked.get()),
            recent: FlowSlots::new(RECENT_CHANNELS),
            commands: ahash::RandomState::new(),
            due: BinaryHeap::new(),
        }
    }

    fn request(&mut self, origin: &Origin, record: &Record<'_>, cx: &mut Context<'_>) {
        if record.activity.is_none() {
            return;
        }
        let Some((src, dst)) = request_sides(origin, record) else {
            return;
        };
        let key = (
            src,
            dst,
            self.commands
                .hash_one((record.protocol, command_of(record))),
        );
        let flow = flow_of(origin);
        let hint_id = hint_id(flow, key.2);
        let hint = self.recent.get(hint_id);
        let (slot, channel) = self
            .channels
            .entry_hinted(hint, key, cx.time, || Channel::new(record, cx.time));
        if hint != Some(slot) {
            self.recent.insert(hint_id, slot);
        }
        channel.flow = flow.or(channel.flow);
        let interval = cx.time.nanos_since(channel.last);
        if interval == 0 || interval < self.polling.burst_ms.saturating_mul(1_000_000) {
            return;
        }
        channel.last = cx.time;
        channel.silent = false;
        let old = channel.period;
        let changed = channel.interval(interval as f64, &self.polling);
        Periodic::schedule(&mut self.due, key, channel, &self.polling, &self.silence);
        let Some(new) = changed else {
            return;
        };
        if cx.mode != Mode::Monitoring {
            return;
        }
        let mut draft = AlertDraft::new(
            &POLLING_CHANGE,
            cx.time,
            format!(
                "{src} polls {dst} with {} {} every {} ms instead of every {} ms",
                channel.protocol,
                channel.kind,
                millis(new),
                millis(old)
            ),
        )
        .between(Some(src.endpoint()), Some(dst.endpoint()))
        .protocol(&channel.protocol)
        .discriminator(channel.kind.clone())
        .evidence("previous_period_ms", millis(old))
        .evidence("period_ms", millis(new))
        .evidence("factor", self.polling.factor.get())
        .evidence("confirming_intervals", self.polling.confirm.get() as u64);
        draft = draft.flow(channel.flow);
        cx.raise(draft);
    }

    /// Raise the silences that are due: the deadlines that passed, each re-checked (a channel
    /// heard from since has a later one); at the end of the input, every channel.
    fn check_silence(&mut self, cx: &mut Context<'_>, everything: bool) {
        let (polling, silence) = (self.polling, self.silence);
        if everything {
            for (&(src, dst, _), channel) in self.channels.iter_mut() {
                if channel.falls_silent(cx.time, &polling, &silence) {
                    channel.silent = true;
                    silent_alert(src, dst, channel, cx);
                }
            }
            return;
        }
        while let Some(&Reverse((due, key))) = self.due.peek() {
            if due > cx.time {
                break;
            }
            self.due.pop();
            let Some(channel) = self.channels.get_mut(&key) else {
                continue;
            };
            if channel.due != Some(due) {
                continue;
            }
            channel.due = None;
            if channel.falls_silent(cx.time, &polling, &silence) {
                channel.silent = true;
                silent_alert(key.0, key.1, channel, cx);
            } else if let Some(later) = channel.silent_at(&polling, &silence) {
                channel.due = Some(later);
                self.due.push(Reverse((later, key)));
            }
        }
    }

    /// Put `key`'s deadline on the heap when it has one and none is there yet.
    fn schedule(
        due: &mut BinaryHeap<Reverse<(Timestamp, Key)>>,
        key: Key,
        channel: &mut Channel,
        polling: &PollingChange,
        silence: &SilentChannel,
    ) {
        if channel.due.is_none()
            && let Some(at) = channel.silent_at(polling, silence)
        {
            channel.due = Some(at);
            due.push(Reverse((at, key)));
        }
    }
}

impl Detector for Periodic {
    fn interest(&self) -> Interest {
        Interest::RECORDS
    }

    fn observe(&mut self, observation: &Observation<'_>, cx: &mut Context<'_>) {
        if let Observation::Event {
            origin,
            event: Event::Record(record),
        } = observation
        {
            self.request(origin, record, cx);
        }
    }

    fn tick(&mut self, cx: &mut Context<'_>) {
        self.check_silence(cx, false);
    }

    fn finish(&mut self, cx: &mut Context<'_>) {
        self.check_silence(cx, true);
    }
}

/// The alert of a channel that fell silent (monitoring mode only).
fn silent_alert(src: Host, dst: Host, channel: &Channel, cx: &mut Context<'_>) {
    if cx.mode != Mode::Monitoring {
        return;
    }
    let quiet = cx.time.nanos_since(channel.last) as f64;
    let draft = AlertDraft::new(
        &SILENT_CHANNEL,
        cx.time,
        format!(
            "{src} stopped polling {dst} with {} {} (every {} ms until {})",
            channel.protocol,
            channel.kind,
            millis(channel.period),
            channel.last
        ),
    )
    .between(Some(src.endpoint()), Some(dst.endpoint()))
    .protocol(&channel.protocol)
    .discriminator(channel.kind.clone())
    .evidence("period_ms", millis(channel.period))
    .evidence("silent_ms", millis(quiet))
    .evidence("last_request", channel.last.to_string())
    .flow(channel.flow);
    cx.raise(draft);
}

#[cfg(test)]
mod tests {
    use rampart_event::{Activity, Fields, Value};

    use super::*;
    use crate::anomaly::testing::{Run, flow, ms};

    #[test]
    fn the_command_is_the_text_of_the_first_command_field_by_rank() {
        fn record<'a>(fields: &'a [(&'a str, Value<'a>)]) -> Record<'a> {
            Record {
                protocol: "dnp3",
                kind: "transaction",
                direction: None,
                activity: Some(Activity::Read),
                fields: Fields(fields),
            }
        }
        for (rank, name) in COMMAND_FIELDS.iter().enumerate() {
            let fields = [(*name, Value::Str("op")), ("command", Value::Str("last"))];
            // A higher rank wins over `command`, and the first `command` over a later one.
            assert_eq!(
                command_field(&record(&fields)),
                Some("op"),
                "{name} (rank {rank})"
            );
        }
        // A field of a higher rank wins wherever it stands; a number is no command.
        let fields = [
            ("command", Value::Str("c")),
            ("service", Value::U64(5)),
            ("function", Value::Str("f")),
            ("function", Value::Str("again")),
        ];
        assert_eq!(command_field(&record(&fields)), Some("f"));
        let fields = [("service", Value::U64(5)), ("command", Value::Str("c"))];
        assert_eq!(command_field(&record(&fields)), Some("c"));
        assert_eq!(
            command_of(&record(&[("function", Value::Str("transaction"))])).1,
            None
        );
    }

    fn poll(run: &mut Run<Periodic>, at_ms: u64) {
        let record = Record {
            protocol: "modbus",
            kind: "read_holding_registers",
            direction: None,
            activity: Some(Activity::Read),
            fields: Fields(&[]),
        };
        let origin = Origin::Flow(flow(3, "10.0.0.2", "10.0.0.1", 502));
        run.record(ms(at_ms), &origin, record);
    }

    fn periodic(mode: Mode) -> Run<Periodic> {
        Run::new(Periodic::new(&AnomalyConfig::default()), mode)
    }

    /// Polls every second with ±20 ms of jitter from 0 to `until_ms`; the last poll's time.
    fn steady(run: &mut Run<Periodic>, until_ms: u64) -> u64 {
        let mut last = 0;
        for i in 0..=until_ms / 1000 {
            last = i * 1000 + [0, 20, 0, 15][i as usize % 4];
            poll(run, last);
        }
        last
    }

    #[test]
    fn a_stable_period_that_doubles_is_a_polling_change_after_three_intervals() {
        let mut run = periodic(Mode::Monitoring);
        let last = steady(&mut run, 30_000);
        assert!(run.take().is_empty());
        poll(&mut run, last + 2500);
        poll(&mut run, last + 5000);
        assert!(
            run.take().is_empty(),
            "two changed intervals are not yet a change"
        );
        poll(&mut run, last + 7500);
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        let d = &drafts[0];
        assert_eq!(d.rule.id, "anomaly.polling_change");
        assert_eq!(d.evidence["period_ms"], 2500.0);
        let before = d.evidence["previous_period_ms"].as_f64().expect("a number");
        assert!((990.0..=1010.0).contains(&before), "{before}");
        assert_eq!(d.discriminator, "read_holding_registers");
        assert_eq!(d.flows, vec![3]);
        // The new period is learned: polling on at 2.5 s raises nothing more.
        for i in 4..40 {
            poll(&mut run, last + i * 2500);
        }
        assert!(run.take().is_empty());
    }

    #[test]
    fn a_period_within_the_factor_or_a_single_late_poll_is_no_change() {
        let mut run = periodic(Mode::Monitoring);
        let last = steady(&mut run, 30_000);
        poll(&mut run, last + 1900);
        poll(&mut run, last + 3800);
        poll(&mut run, last + 5700);
        poll(&mut run, last + 9000);
        poll(&mut run, last + 10_000);
        assert!(run.take().is_empty());
    }

    #[test]
    fn a_burst_of_requests_is_one_poll() {
        let mut run = periodic(Mode::Monitoring);
        for i in 0..40 {
            poll(&mut run, i * 1000);
            poll(&mut run, i * 1000 + 10);
            poll(&mut run, i * 1000 + 20);
        }
        assert!(run.take().is_empty());
        let channel = run
            .detector
            .channels
            .iter_mut()
            .next()
            .map(|(_, c)| c.period);
        assert_eq!(channel, Some(1e9));
    }

    #[test]
    fn a_channel_quiet_for_five_periods_and_ten_seconds_is_silent_once() {
        let mut run = periodic(Mode::Monitoring);
        let last = steady(&mut run, 30_000);
        run.tick(ms(last + 9_900));
        assert!(
            run.take().is_empty(),
            "five periods passed, ten seconds not yet"
        );
        run.tick(ms(last + 10_000));
        let drafts = run.take();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].rule.id, "anomaly.silent_channel");
        run.tick(ms(last + 21_000));
        run.finish(ms(last + 60_000));
        assert!(run.take().is_empty(), "one silence, one alert");
        // Polling resumes, then stops again: a second occurrence.
        poll(&mut run, last + 61_000);
        run.finish(ms(last + 80_000));
        assert_eq!(run.take_ids(), vec!["anomaly.silent_channel"]);
    }

    #[test]
    fn silence_is_checked_at_the_end_of_the_input() {
        let mut run = periodic(Mode::Monitoring);
        let last = steady(&mut run, 30_000);
        run.finish(ms(last + 12_000));
        assert_eq!(run.take_ids(), vec!["anomaly.silent_channel"]);
    }

    #[test]
    fn nothing_is_raised_while_learning() {
        let mut run = periodic(Mode::Learning);
        let last = steady(&mut run, 30_000);
        for i in 1..5 {
            poll(&mut run, last + i * 3000);
        }
        run.finish(ms(last + 100_000));
        assert!(run.take().is_empty());
    }

    #[test]
    fn each_command_of_a_generic_kind_is_its_own_channel() {
        let mut run = periodic(Mode::Monitoring);
        let origin = Origin::Flow(flow(3, "10.0.0.2", "10.0.0.1", 20000));
        for (function, period) in [("read", 1000), ("select", 333), ("operate", 777)] {
            let fields = [("function", rampart_event::Value::Str(function))];
            let record = Record {
                protocol: "dnp3",
                kind: "transaction",
                direction: None,
                activity: Some(Activity::Read),
                fields: Fields(&fields),
            };
            for i in 0..20 {
                run.record(ms(i * period), &origin, record);
            }
        }
        let mut kinds: Vec<String> = run
            .detector
            .channels
            .iter_mut()
            .map(|(_, c)| c.kind.clone())
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "transaction operate",
                "transaction read",
                "transaction select"
            ]
        );
        assert!(run.take().is_empty());
    }

    #[test]
    fn irregular_requests_never_become_a_period() {
        let mut run = periodic(Mode::Monitoring);
        let mut t = 0;
        for i in 0..60u64 {
            t += 200 + (i * 7919) % 3000;
            poll(&mut run, t);
        }
        run.finish(ms(t + 600_000));
        assert!(run.take().is_empty());
    }
}
