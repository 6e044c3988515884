//! The policy engine allocates nothing for traffic the baseline knows, whether it is learning
//! it again or monitoring it: counted with dhat's testing allocator over Modbus records,
//! MQTT publications and DNP3 reads on learned edges, in both modes.

use std::net::IpAddr;

use rampart_detect::baseline::{self, Baseline, BaselineHandle};
use rampart_detect::policy::PolicyEngine;
use rampart_detect::{Detection, Learning, Observation};
use rampart_event::{Activity, Event, Fields, FlowContext, Origin, Record, Timestamp, Value};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

fn flow(id: u64, server: u8, port: u16, app: &'static str) -> FlowContext {
    FlowContext {
        id,
        transport: "tcp",
        app: Some(app),
        client: (IpAddr::from([10, 0, 0, 5]), 40000),
        server: (IpAddr::from([10, 0, 0, server]), port),
        client_mac: None,
        server_mac: None,
        vlan: 0,
    }
}

/// Show `detection` `rounds` rounds of a Modbus poll, an MQTT publication and a DNP3 read.
fn traffic(detection: &mut Detection, rounds: u64) {
    let modbus = Origin::Flow(flow(1, 10, 502, "modbus"));
    let mqtt = Origin::Flow(flow(2, 20, 1883, "mqtt"));
    let dnp3 = Origin::Flow(flow(3, 30, 20000, "dnp3"));
    let poll = [
        ("unit_id", Value::U64(1)),
        ("function_code", Value::U64(3)),
        ("address", Value::U64(0)),
        ("quantity", Value::U64(10)),
    ];
    let publish = [("topic", Value::Str("plant/tank1/level"))];
    let objects = [Value::Str("g60v1 class_data qualifier=0x06 all")];
    let read = [
        ("function_code", Value::U64(1)),
        ("objects", Value::List(&objects)),
    ];
    let records = [
        (&modbus, "modbus", "read_holding_registers", &poll[..]),
        (&mqtt, "mqtt", "publish", &publish[..]),
        (&dnp3, "dnp3", "transaction", &read[..]),
    ];
    for round in 0..rounds {
        let time = Timestamp::from_parts(1_000 + round, 0);
        for (origin, protocol, kind, fields) in records {
            let event = Event::Record(Record {
                protocol,
                kind,
                direction: (protocol == "mqtt").then_some(rampart_event::Direction::ToServer),
                activity: Some(Activity::Read),
                fields: Fields(fields),
            });
            detection.observe(
                time,
                &Observation::Event {
                    origin,
                    event: &event,
                },
            );
        }
    }
}

fn detection(baseline: &BaselineHandle, learning: Learning) -> Detection {
    Detection::new(
        learning,
        vec![Box::new(PolicyEngine::new(baseline.clone()))],
        0,
    )
}

#[test]
fn known_traffic_costs_no_allocation_in_either_mode() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let b = baseline::handle(Baseline::default());
    let mut learning = detection(&b, Learning::Always);
    traffic(&mut learning, 2);
    // The test harness's main thread allocates as it starts waiting for this test; let it
    // get there before counting (the count is process-wide).
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = dhat::HeapStats::get().total_blocks;
    traffic(&mut learning, 1000);
    let relearning = dhat::HeapStats::get().total_blocks - before;
    assert_eq!(
        relearning, 0,
        "{relearning} allocations learning known traffic"
    );

    // Two rounds of warm-up: the engine's per-run sets reach their size in the first ones.
    let mut monitoring = detection(&b, Learning::Off);
    traffic(&mut monitoring, 2);
    let before = dhat::HeapStats::get().total_blocks;
    traffic(&mut monitoring, 1000);
    let allocations = dhat::HeapStats::get().total_blocks - before;
    assert_eq!(
        allocations, 0,
        "{allocations} allocations monitoring known traffic"
    );
    assert!(monitoring.book().alerts().is_empty());
    let edges = baseline::lock(&b).edges.len();
    assert_eq!(edges, 3);
}
