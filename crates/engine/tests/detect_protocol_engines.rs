//! The protocol engines of detection (protocol-aware policy, protocol violation, operational,
//! malware behaviour) on real captures with a known story, run through the engine with
//! detection on.

mod support;

use std::net::IpAddr;
use std::path::Path;

use rampart_capture::CaptureFile;
use rampart_detect::{Alert, DetectConfig, Detection, Learning, Severity, detectors};
use rampart_engine::{Engine, EngineConfig, NullSink};

/// The detection of a run over `capture` (relative to the corpus), or `None` without the
/// corpus.
fn detect(capture: &str, config: &DetectConfig, learning: Learning) -> Option<Detection> {
    let path = support::corpus()?.join(capture);
    let detection = Detection::new(learning, detectors(config), 1 << 22);
    let mut engine =
        Engine::new(EngineConfig::default(), Box::new(NullSink)).with_detection(detection);
    let mut file = CaptureFile::open(Path::new(&path)).expect("capture opens");
    loop {
        match file.next_packet() {
            Ok(Some(p)) => engine.packet(p.timestamp, p.link_type.0, p.data, p.wire_len),
            Ok(None) => break,
            Err(e) if e.is_recoverable() => continue,
            Err(e) => panic!("{capture}: {e}"),
        }
    }
    engine.finish().0.detection
}

/// The alerts of a run with the default configuration and no learning.
fn run(capture: &str) -> Option<Vec<Alert>> {
    let d = detect(capture, &DetectConfig::default(), Learning::Off)?;
    Some(d.book().alerts().to_vec())
}

fn of<'a>(alerts: &'a [Alert], rule: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.rule == rule).collect()
}

/// The one alert of `rule`.
fn one<'a>(alerts: &'a [Alert], rule: &str) -> &'a Alert {
    let found = of(alerts, rule);
    assert_eq!(found.len(), 1, "{rule}: {found:?}");
    found[0]
}

fn ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

#[test]
fn an_s7_stop_job_is_a_critical_plc_stop_with_its_pcap_and_the_plc_reports_stop_mode() {
    let Some(d) = detect(
        "s7comm/s7-step7-s300-stop.pcap",
        &DetectConfig::default(),
        Learning::Always,
    ) else {
        return;
    };
    let alerts = d.book().alerts();
    // Learning: protocol-aware alerts are raised all the same.
    let stop = one(alerts, "protocol_policy.plc_stop");
    assert_eq!(stop.severity, Severity::Critical);
    assert_eq!(stop.techniques, ["T0858", "T0816"]);
    assert_eq!(stop.source.and_then(|s| s.ip), ip("134.249.62.199"));
    assert_eq!(stop.destination.and_then(|s| s.ip), ip("134.249.61.163"));
    assert_eq!(
        stop.description,
        "134.249.62.199 stopped controller 134.249.61.163 (s7comm plc_stop)"
    );
    assert_eq!(stop.evidence["pi_service"], "P_PROGRAM");
    let pcap = d.pcap(stop.id).expect("the stop's packets are its PCAP");
    assert!(pcap.len() > 24, "a PCAP with packets");
    let mode = one(alerts, "operational.plc_stop_mode");
    assert_eq!(mode.source.and_then(|s| s.ip), ip("134.249.61.163"));
}

#[test]
fn an_s7_block_download_is_one_alert_per_block_unless_from_an_engineering_station() {
    let Some(alerts) = run("s7comm/s7-download-block-db1.pcap") else {
        return;
    };
    let download = one(&alerts, "protocol_policy.program_download");
    assert_eq!(download.discriminator, "DB1");
    // Request download, three download blocks, download ended, activate (PI _INSE).
    assert_eq!(download.count, 6);
    assert_eq!(
        download.description,
        "192.168.1.10 sent program DB1 to controller 192.168.1.40 (s7comm request_download)"
    );
    let marked = DetectConfig::parse(
        "[devices]\nengineering_stations = [\"192.168.1.10/32\"]\n",
        Path::new("detect.toml"),
    )
    .expect("valid configuration");
    let Some(d) = detect("s7comm/s7-download-block-db1.pcap", &marked, Learning::Off) else {
        return;
    };
    assert!(of(d.book().alerts(), "protocol_policy.program_download").is_empty());
}

#[test]
fn a_umas_program_upload_is_one_alert_with_every_transfer_counted() {
    let Some(alerts) = run("modbus/modbus-modicon-umas-fc90.pcap") else {
        return;
    };
    let upload = one(&alerts, "protocol_policy.program_upload");
    assert_eq!(upload.count, 55);
    assert_eq!(upload.techniques, ["T0845"]);
    assert_eq!(upload.destination.and_then(|s| s.ip), ip("192.168.63.253"));
}

#[test]
fn a_dnp3_cold_restart_is_a_restart_command_and_the_refusal_an_exception() {
    let Some(alerts) = run("dnp3/dnp3-cold-restart.pcap") else {
        return;
    };
    let restart = one(&alerts, "protocol_policy.restart");
    assert_eq!(restart.discriminator, "cold_restart");
    assert_eq!(
        restart.description,
        "192.168.60.1 restarted 192.168.60.130 (dnp3 cold_restart)"
    );
    let refused = one(&alerts, "protocol_violation.exception");
    assert_eq!(refused.source.and_then(|s| s.ip), ip("192.168.60.130"));
    assert_eq!(refused.discriminator, "dnp3/no_func_code_support");
}

#[test]
fn a_cip_stop_service_is_a_plc_stop() {
    let Some(alerts) = run("enip/enip-cip-stop-plc.pcap") else {
        return;
    };
    let stop = one(&alerts, "protocol_policy.plc_stop");
    assert_eq!(stop.evidence["service_code"], 7);
}

#[test]
fn a_dcp_set_of_an_ip_address_names_the_address_and_the_device() {
    let Some(alerts) = run("profinet/pn-dcp-change-ip.pcap") else {
        return;
    };
    let set = one(&alerts, "protocol_policy.dcp_set");
    assert_eq!(set.discriminator, "ip");
    assert_eq!(
        set.description,
        "00:0c:29:ba:09:ea set IP address 192.168.0.10 on Profinet device 08:00:06:93:cf:32 (DCP Set)"
    );
}

#[test]
fn bacnet_reinitialize_and_communication_control_are_their_own_alerts() {
    let Some(alerts) = run("bacnet/bacnet-error-reject-abort.pcap") else {
        return;
    };
    let reinit = one(&alerts, "protocol_policy.bacnet_reinitialize");
    assert_eq!(reinit.discriminator, "coldstart");
    let dcc = one(&alerts, "protocol_policy.bacnet_communication_control");
    assert_eq!(
        dcc.description,
        "10.10.10.10 told BACnet device 192.168.3.100 to disable communication for 60 minutes"
    );
}

#[test]
fn a_modbus_function_code_sweep_is_illegal_functions_exceptions_and_a_spike() {
    let Some(alerts) = run("modbus/modbus-test-data-part2-fc-sweep.pcap") else {
        return;
    };
    let reserved = alerts
        .iter()
        .find(|a| a.discriminator == "modbus/reserved_function_code")
        .expect("reserved function codes");
    assert_eq!(reserved.rule, "protocol_violation.illegal_function");
    assert_eq!(reserved.count, 10);
    assert_eq!(reserved.evidence["offset"], 7);
    assert_eq!(reserved.evidence["reason"], "function 0x09 (reserved)");
    let illegal = alerts
        .iter()
        .find(|a| a.discriminator == "modbus/illegal_function")
        .expect("illegal function exceptions");
    assert_eq!(illegal.rule, "protocol_violation.exception");
    assert_eq!(illegal.source.and_then(|s| s.ip), ip("166.161.16.230"));
    assert_eq!(of(&alerts, "operational.exception_spike").len(), 1);
}

#[test]
fn malformed_dnp3_is_one_alert_per_reason_and_the_silent_outstation_unresponsive() {
    let Some(alerts) = run("dnp3/dnp3-malformed.pcap") else {
        return;
    };
    let qualifiers = alerts
        .iter()
        .find(|a| a.discriminator == "dnp3/reserved_qualifier")
        .expect("reserved qualifiers");
    assert_eq!(qualifiers.rule, "protocol_violation.malformed");
    assert_eq!(qualifiers.count, 40);
    assert!(qualifiers.evidence.contains_key("offset"));
    assert_eq!(of(&alerts, "protocol_violation.unknown_object").len(), 1);
    let silent = one(&alerts, "operational.device_unresponsive");
    assert_eq!(silent.source.and_then(|s| s.ip), ip("192.168.0.2"));
}

#[test]
fn an_iec104_end_of_initialisation_and_the_dnp3_restart_bit_are_outstation_restarts() {
    let Some(alerts) = run("iec104/iec104-testdissect.pcap") else {
        return;
    };
    let restart = one(&alerts, "operational.outstation_restart");
    assert_eq!(restart.source.and_then(|s| s.ip), ip("172.27.248.79"));
    let Some(bro) = run("dnp3/dnp3-bro.pcap") else {
        return;
    };
    let restarts: u64 = of(&bro, "operational.outstation_restart")
        .iter()
        .map(|a| a.count)
        .sum();
    assert_eq!(restarts, 3);
    // The Zeek test trace was captured in sessions hours apart: each pause is a silence.
    assert!(of(&bro, "operational.no_traffic").len() >= 5);
}

#[test]
fn real_iec104_commands_are_not_an_industroyer_burst() {
    for capture in [
        "iec104/iec104-diverse.pcap",
        "iec104/iec104-testdissect.pcap",
        "iec104/iec104-ndpi.pcap",
    ] {
        let Some(alerts) = run(capture) else {
            return;
        };
        assert!(
            alerts.iter().all(|a| !a.rule.starts_with("malware.")),
            "{capture}: {:?}",
            alerts.iter().map(Alert::summary_line).collect::<Vec<_>>()
        );
    }
}

#[test]
fn an_opcua_client_that_only_read_while_learning_is_new_when_it_writes_calls_and_adds_nodes() {
    let capture = "opcua/opcua-open62541-mainloop.pcapng";
    // The session opens and reads in its first second; the writes, the method call and the
    // node additions come after.
    let Some(d) = detect(
        capture,
        &DetectConfig::default(),
        Learning::For(1_000_000_000),
    ) else {
        return;
    };
    let new = of(d.book().alerts(), "protocol_policy.opcua_write_new_client");
    let services: Vec<_> = new
        .iter()
        .map(|a| (a.discriminator.as_str(), a.count))
        .collect();
    assert_eq!(services, [("write", 2), ("call", 1), ("add_nodes", 4)]);
    assert!(new.iter().all(|a| a.source.and_then(|s| s.ip) == ip("::1")));
    let Some(d) = detect(capture, &DetectConfig::default(), Learning::Always) else {
        return;
    };
    assert!(of(d.book().alerts(), "protocol_policy.opcua_write_new_client").is_empty());
}
