//! Hostile and broken plugins, written in WebAssembly text: each must be refused at load with
//! a message that names the problem, or disabled at the first misbehaviour while the engine
//! goes on dissecting everything else.

use std::path::Path;

use rampart_dissect::{Direction, FlowProtocol, Probe, Session, Transport};
use rampart_event::CollectingSink;
use rampart_plugin::{Limits, LoadError, Plugin};

const MANIFEST: &str = r#"{"name":"toy","version":"1.0","transports":["tcp","udp"],"ports":[7777],"records":["message"],"fields":["len"]}"#;

/// A plugin whose `rampart_feed` body is `feed` (locals: none; params: flow, dir, len).
fn module(feed: &str, manifest: &str, abi_version: i32) -> Vec<u8> {
    let escaped: String = manifest.bytes().map(|b| format!("\\{b:02x}")).collect();
    let wat = format!(
        r#"(module
          (import "rampart" "record" (func $record (param i32 i32 i32)))
          (import "rampart" "field_u64" (func $field_u64 (param i32 i32 i64)))
          (import "rampart" "emit" (func $emit))
          (memory (export "memory") 1)
          (data (i32.const 16) "{escaped}")
          (data (i32.const 4000) "messagelen")
          (func (export "rampart_abi_version") (result i32) (i32.const {abi_version}))
          (func (export "rampart_manifest") (result i64)
            (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const {len})))
          (func (export "rampart_buffer") (param i32) (result i32) (i32.const 8192))
          (func (export "rampart_probe") (param i32 i32) (result i32) (i32.const 3))
          (func (export "rampart_open") (param i32) (result i32) (i32.const 0))
          (func (export "rampart_feed") (param i32 i32 i32) (result i32) {feed})
          (func (export "rampart_gap") (param i32 i32 i64))
          (func (export "rampart_close") (param i32))
        )"#,
        len = manifest.len()
    );
    wat::parse_str(wat).expect("the test's WAT is valid")
}

/// A well-behaved feed: one record with the length, everything consumed.
const GOOD_FEED: &str = "(call $record (i32.const 4000) (i32.const 7) (i32.const 0))
    (call $field_u64 (i32.const 4007) (i32.const 3) (i64.extend_i32_u (local.get 2)))
    (call $emit)
    (local.get 2)";

fn load(bytes: &[u8]) -> Result<Plugin, LoadError> {
    Plugin::from_bytes(Path::new("toy.wasm"), bytes, Limits::default(), &["modbus"])
}

fn feed_once(plugin: &'static Plugin) -> CollectingSink {
    let mut sink = CollectingSink::default();
    let mut session = Session::new(plugin, Transport::Tcp);
    session.deliver(Direction::ToServer, b"hello", &mut sink);
    session.deliver(Direction::ToServer, b"again", &mut sink);
    session.close(&mut sink);
    sink
}

#[test]
fn a_well_behaved_plugin_reports_through_the_host() {
    let plugin = load(&module(GOOD_FEED, MANIFEST, 1)).expect("loads").leak();
    assert_eq!(plugin.name(), "toy");
    assert_eq!(plugin.probe(Direction::ToServer, b"x"), Probe::Certain);
    let sink = feed_once(plugin);
    assert_eq!(
        sink.lines,
        vec![
            r#"record toy message request {"len":5}"#,
            r#"record toy message request {"len":5}"#
        ]
    );
    let report = plugin.plugin_report().expect("a plugin reports");
    assert_eq!(
        (report.flows, report.packets, report.bytes, report.records),
        (1, 2, 10, 2)
    );
    assert_eq!(report.disabled, None);
}

#[test]
fn a_looping_plugin_runs_out_of_fuel_and_is_disabled() {
    let looping = "(loop $forever (br $forever)) (i32.const 0)";
    let plugin = load(&module(looping, MANIFEST, 1)).expect("loads").leak();
    let sink = feed_once(plugin);
    assert!(sink.lines.is_empty());
    let report = plugin.plugin_report().expect("report");
    let reason = report.disabled.expect("disabled");
    assert!(
        reason.starts_with("rampart_feed: ran out of fuel"),
        "{reason}"
    );
    assert_eq!(report.errors, 1);
    assert_eq!(
        plugin.probe(Direction::ToServer, b"x"),
        Probe::NotForUs,
        "a disabled plugin claims nothing more"
    );
}

#[test]
fn a_crashing_plugin_is_disabled_with_its_trap() {
    let plugin = load(&module("(unreachable)", MANIFEST, 1))
        .expect("loads")
        .leak();
    feed_once(plugin);
    let reason = plugin
        .plugin_report()
        .and_then(|r| r.disabled)
        .expect("disabled");
    assert!(reason.contains("trapped"), "{reason}");
}

#[test]
fn a_plugin_that_grabs_memory_hits_its_limit() {
    let greedy = "(drop (memory.grow (i32.const 4096))) (if (i32.eq (memory.size) (i32.const 1)) (then unreachable)) (i32.const 0)";
    let plugin = load(&module(greedy, MANIFEST, 1)).expect("loads").leak();
    feed_once(plugin);
    let reason = plugin
        .plugin_report()
        .and_then(|r| r.disabled)
        .expect("the grow failed, so the plugin trapped");
    assert!(reason.contains("trapped"), "{reason}");
}

#[test]
fn a_plugin_pointing_outside_its_memory_is_stopped_by_the_host() {
    let wild = "(call $record (i32.const 65530) (i32.const 100) (i32.const 0)) (local.get 2)";
    let plugin = load(&module(wild, MANIFEST, 1)).expect("loads").leak();
    feed_once(plugin);
    let reason = plugin
        .plugin_report()
        .and_then(|r| r.disabled)
        .expect("disabled");
    assert!(reason.contains("outside its memory"), "{reason}");
}

#[test]
fn a_plugin_claiming_to_consume_more_than_it_was_given_is_disabled() {
    let liar = "(i32.add (local.get 2) (i32.const 1))";
    let plugin = load(&module(liar, MANIFEST, 1)).expect("loads").leak();
    feed_once(plugin);
    let reason = plugin
        .plugin_report()
        .and_then(|r| r.disabled)
        .expect("disabled");
    assert_eq!(reason, "rampart_feed: rampart_feed consumed 6 of 5 bytes");
}

#[test]
fn broken_plugins_are_refused_at_load_with_the_reason() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"not wasm at all".to_vec(),
            "toy.wasm: not a loadable WebAssembly module",
        ),
        (
            module(GOOD_FEED, MANIFEST, 2),
            "toy.wasm: interface version 2, this host speaks 1",
        ),
        (
            module(GOOD_FEED, &MANIFEST.replace("\"toy\"", "\"modbus\""), 1),
            "toy.wasm: protocol name \"modbus\" is already taken",
        ),
        (
            module(
                GOOD_FEED,
                &MANIFEST.replace("\"tcp\",\"udp\"", "\"sctp\""),
                1,
            ),
            "toy.wasm: transport \"sctp\" is neither tcp nor udp",
        ),
        (
            module(GOOD_FEED, "{not json", 1),
            "toy.wasm: manifest is not valid",
        ),
    ];
    for (bytes, expected) in cases {
        let err = load(&bytes).expect_err(expected).to_string();
        assert!(err.starts_with(expected), "{err} (wanted {expected})");
    }
    let missing = wat::parse_str(r#"(module (memory (export "memory") 1))"#).expect("wat");
    let err = load(&missing).expect_err("no exports").to_string();
    assert!(err.contains("export rampart_abi_version missing"), "{err}");
}
