use super::*;
use rampart_event::Activity;

const A: Mac = Mac([0x00, 0x1b, 0x1b, 0, 0, 1]);
const B: Mac = Mac([0x00, 0x0e, 0x8c, 0, 0, 2]);
const ROUTER: Mac = Mac([0x00, 0x00, 0x0c, 0, 0, 9]);

fn ip(s: &str) -> IpAddr {
    s.parse().expect("valid address literal")
}

fn flow(
    client: &str,
    cmac: Mac,
    server: &str,
    smac: Mac,
    port: u16,
    app: Option<&'static str>,
) -> FlowFacts {
    FlowFacts {
        client: ip(client),
        server: ip(server),
        client_mac: Some(cmac),
        server_mac: Some(smac),
        service: Service {
            app,
            transport: "tcp",
            port,
        },
        packets: [3, 2],
        bytes: [300, 200],
        ttl: [64, 128],
        start: Timestamp(10),
        last: Timestamp(20),
    }
}

fn no_vendor(_: Mac) -> Option<&'static str> {
    None
}

#[test]
fn local_hosts_are_keyed_by_mac_with_their_ips() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 502, Some("modbus")));
    let devices = inv.devices();
    assert_eq!(devices.len(), 2);
    let plc = devices
        .iter()
        .find(|d| d.key == DeviceKey::Mac(B))
        .expect("server device");
    assert_eq!(
        plc.ips.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![ip("10.0.0.2")]
    );
    assert!(plc.server_of.contains("modbus"));
    assert_eq!(plc.traffic.packets_sent, 2);
    assert_eq!(plc.traffic.bytes_received, 300);
    assert_eq!(plc.os.as_ref().map(|g| g.value.as_str()), Some("Windows"));
    let hmi = devices
        .iter()
        .find(|d| d.key == DeviceKey::Mac(A))
        .expect("client device");
    assert!(hmi.client_of.contains("modbus"));
    assert!(hmi.server_of.is_empty());
}

#[test]
fn a_routers_mac_does_not_swallow_remote_hosts() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_binding(ip("10.0.0.254"), ROUTER, Timestamp(1));
    for remote in ["8.8.8.8", "1.1.1.1", "9.9.9.9"] {
        inv.observe_flow(&flow("10.0.0.1", A, remote, ROUTER, 443, Some("tls")));
    }
    inv.observe_flow(&flow("10.9.0.7", ROUTER, "10.0.0.1", A, 22, Some("ssh")));
    let devices = inv.devices();
    let keys: Vec<String> = devices.iter().map(Device::id).collect();
    assert_eq!(
        keys,
        vec![
            "mac:00:00:0c:00:00:09",
            "mac:00:1b:1b:00:00:01",
            "ip:10.9.0.7"
        ]
    );
    let router = &devices[0];
    assert!(router.forwards);
    assert_eq!(
        router.ips.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![ip("10.0.0.254")]
    );
    assert_eq!(
        router.device_type.as_ref().map(|g| g.value.as_str()),
        Some("router")
    );
    let (conversations, internet) = inv.conversations();
    assert_eq!(internet.peers, 3);
    assert_eq!(internet.bytes, 1500);
    assert!(internet.devices.contains("mac:00:1b:1b:00:00:01"));
    assert!(
        conversations
            .iter()
            .any(|c| c.client == "mac:00:1b:1b:00:00:01" && c.server == "internet")
    );
}

#[test]
fn broadcast_and_silent_addresses_are_not_devices() {
    let mut inv = Inventory::new(no_vendor);
    let mut f = flow(
        "10.0.0.1",
        A,
        "255.255.255.255",
        Mac::BROADCAST,
        67,
        Some("dhcp"),
    );
    f.packets = [1, 0];
    inv.observe_flow(&f);
    let mut silent = flow("10.0.0.1", A, "10.0.0.99", B, 80, None);
    silent.packets = [2, 0];
    silent.server_mac = None;
    inv.observe_flow(&silent);
    let keys: Vec<String> = inv.devices().iter().map(Device::id).collect();
    assert_eq!(keys, vec!["mac:00:1b:1b:00:00:01"]);
}

#[test]
fn identity_and_vendor_land_on_the_device_with_sources() {
    fn siemens(m: Mac) -> Option<&'static str> {
        (m.oui() == [0x00, 0x1b, 0x1b]).then_some("Siemens AG")
    }
    let mut inv = Inventory::new(siemens);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 502, None));
    inv.observe_identity(
        Address {
            ip: Some(ip("10.0.0.1")),
            mac: None,
        },
        Attribute::Hostname,
        "plc-1",
        "dhcp",
        Confidence::STATED,
        Timestamp(5),
    );
    inv.observe_identity(
        Address {
            ip: None,
            mac: Some(A),
        },
        Attribute::Hostname,
        "plc-1",
        "lldp",
        Confidence::STATED,
        Timestamp(6),
    );
    inv.observe_identity(
        Address {
            ip: Some(ip("10.0.0.1")),
            mac: None,
        },
        Attribute::Os,
        "Linux",
        "ssh",
        Confidence::STRONG,
        Timestamp(5),
    );
    let d = inv
        .devices()
        .into_iter()
        .find(|d| d.key == DeviceKey::Mac(A))
        .expect("device");
    assert_eq!(d.hostnames.len(), 1);
    assert_eq!(
        d.hostnames[0].sources.iter().cloned().collect::<Vec<_>>(),
        vec!["dhcp", "lldp"]
    );
    assert_eq!(
        d.vendor.as_ref().map(|g| g.value.as_str()),
        Some("Siemens AG")
    );
    let os = d.os.expect("os guess");
    assert_eq!(
        (os.value.as_str(), os.confidence),
        ("Linux", Confidence::STRONG)
    );
    assert_eq!(os.evidence, vec!["ssh: Linux"]);
}

#[test]
fn services_without_a_recognised_protocol_are_named_by_port() {
    let f = flow("10.0.0.1", A, "10.0.0.2", B, 20000, None);
    assert_eq!(f.service.to_string(), "tcp/20000");
}

#[test]
fn a_host_whose_ttl_shows_router_hops_is_not_merged_into_the_gateway() {
    let mut inv = Inventory::new(no_vendor);
    let mut f = flow("192.168.1.6", A, "3.15.227.20", ROUTER, 502, None);
    f.ttl = [64, 42];
    inv.observe_flow(&f);
    let devices = inv.devices();
    let keys: Vec<String> = devices.iter().map(Device::id).collect();
    assert_eq!(keys, vec!["mac:00:00:0c:00:00:09", "mac:00:1b:1b:00:00:01"]);
    assert!(
        devices[0].ips.is_empty(),
        "the gateway has no address of its own here"
    );
    assert_eq!(
        devices[0].traffic.packets_sent, 2,
        "it carried the remote host's packets"
    );
    assert_eq!(inv.conversations().1.peers, 1);
}

#[test]
fn an_all_zero_mac_is_no_mac() {
    let mut inv = Inventory::new(no_vendor);
    let mut f = flow(
        "127.0.0.1",
        Mac::default(),
        "127.0.0.1",
        Mac::default(),
        502,
        None,
    );
    f.server = ip("127.0.0.2");
    inv.observe_flow(&f);
    let keys: Vec<String> = inv.devices().iter().map(Device::id).collect();
    assert_eq!(keys, vec!["ip:127.0.0.1", "ip:127.0.0.2"]);
}

#[test]
fn an_unanswered_flood_cannot_fill_the_inventory() {
    let mut inv = Inventory::new(no_vendor);
    for i in 0..200_000u32 {
        let mut f = flow("10.0.0.1", A, "10.0.0.2", B, 502, None);
        f.client = IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + i));
        f.client_mac = Some(Mac([2, 0, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]));
        f.packets = [1, 0];
        inv.observe_flow(&f);
    }
    let tracked = inv.hosts.len() + inv.stations.len();
    assert!(
        tracked <= MAX_ADDRESSES / 2 + 2,
        "{tracked} addresses tracked"
    );
    assert!(inv.stats().addresses_dropped > 0);
    let mut answered = flow("10.9.9.9", A, "10.0.0.2", B, 502, None);
    answered.packets = [2, 2];
    inv.observe_flow(&answered);
    assert!(
        inv.hosts.contains_key(&ip("10.9.9.9")),
        "a device that talks still gets in"
    );
}

fn at(addr: &str) -> Address {
    Address {
        ip: Some(ip(addr)),
        mac: None,
    }
}

fn device_at<'a>(devices: &'a [Device], addr: &str) -> &'a Device {
    devices
        .iter()
        .find(|d| d.ips.iter().any(|(i, _)| *i == ip(addr)))
        .unwrap_or_else(|| panic!("a device at {addr}"))
}

fn type_of(d: &Device) -> Option<&str> {
    d.device_type.as_ref().map(|g| g.value.as_str())
}

const PLC2: Mac = Mac([0x00, 0x1b, 0x1b, 0, 0, 3]);

#[test]
fn a_modbus_server_is_a_level_one_controller_and_its_poller_an_hmi() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 502, Some("modbus")));
    inv.observe_activity(
        at("10.0.0.1"),
        at("10.0.0.2"),
        Activity::Read,
        "modbus",
        Timestamp(11),
    );
    let devices = inv.devices();
    let plc = device_at(&devices, "10.0.0.2");
    assert_eq!(type_of(plc), Some("plc"));
    assert_eq!(plc.category, Some("industrial"));
    assert_eq!(plc.purdue_level, Some(1));
    assert!(plc.roles.contains("modbus server"));
    let hmi = device_at(&devices, "10.0.0.1");
    assert_eq!(type_of(hmi), Some("hmi"));
    assert_eq!(hmi.purdue_level, Some(2));
    assert!(hmi.roles.contains("modbus client"));
    let evidence = &hmi.device_type.as_ref().expect("type").evidence;
    assert_eq!(evidence, &vec!["polls 1 industrial server(s) over modbus"]);
}

#[test]
fn a_host_that_downloads_programs_is_an_engineering_workstation() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 102, Some("s7comm")));
    for activity in [Activity::Read, Activity::ProgramDownload, Activity::PlcStop] {
        inv.observe_activity(
            at("10.0.0.1"),
            at("10.0.0.2"),
            activity,
            "s7comm",
            Timestamp(12),
        );
    }
    let devices = inv.devices();
    let ews = device_at(&devices, "10.0.0.1");
    let guess = ews.device_type.as_ref().expect("type");
    assert_eq!(guess.value, "engineering_workstation");
    assert!(
        guess.evidence[0].starts_with("performs engineering on 1 device(s): program_download"),
        "{:?}",
        guess.evidence
    );
    assert!(
        guess.evidence.iter().any(|e| e.starts_with("also: hmi")),
        "the weaker reading is kept as evidence: {:?}",
        guess.evidence
    );
    let plc = device_at(&devices, "10.0.0.2");
    let done_to_it: Vec<Activity> = plc
        .activities
        .iter()
        .filter(|a| !a.performed)
        .map(|a| a.activity)
        .collect();
    assert_eq!(
        done_to_it,
        vec![Activity::Read, Activity::ProgramDownload, Activity::PlcStop]
    );
}

#[test]
fn polling_many_industrial_servers_makes_a_scada_server() {
    let mut inv = Inventory::new(no_vendor);
    for i in 2..8u8 {
        let server = format!("10.0.1.{i}");
        let mac = Mac([0x00, 0x1b, 0x1b, 0, 1, i]);
        inv.observe_flow(&flow("10.0.0.1", A, &server, mac, 20000, Some("dnp3")));
        inv.observe_activity(
            at("10.0.0.1"),
            at(&server),
            Activity::Read,
            "dnp3",
            Timestamp(13),
        );
    }
    let devices = inv.devices();
    let scada = device_at(&devices, "10.0.0.1");
    assert_eq!(type_of(scada), Some("scada_server"));
    assert!(scada.roles.contains("dnp3 master"));
    let rtu = device_at(&devices, "10.0.1.2");
    assert_eq!(type_of(rtu), Some("rtu"));
    assert!(rtu.roles.contains("dnp3 outstation"));
}

#[test]
fn a_stated_type_beats_behaviour_and_a_plc_with_a_web_server_stays_a_plc() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 80, Some("http")));
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 44818, Some("enip")));
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.3", PLC2, 80, Some("http")));
    inv.observe_identity(
        at("10.0.0.3"),
        Attribute::DeviceType,
        "communication adapter",
        "enip",
        Confidence::STATED,
        Timestamp(14),
    );
    let devices = inv.devices();
    let plc = device_at(&devices, "10.0.0.2");
    assert_eq!(type_of(plc), Some("plc"));
    let adapter = device_at(&devices, "10.0.0.3");
    let guess = adapter.device_type.as_ref().expect("type");
    assert_eq!(guess.value, "communication_adapter");
    assert_eq!(guess.confidence, Confidence::STATED);
    assert_eq!(guess.evidence, vec!["enip says communication adapter"]);
}

#[test]
fn a_host_with_only_it_services_is_an_it_host_at_level_four() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 22, Some("ssh")));
    let devices = inv.devices();
    let host = device_at(&devices, "10.0.0.2");
    assert_eq!(type_of(host), Some("it_host"));
    assert_eq!(host.category, Some("it"));
    assert_eq!(host.purdue_level, Some(4));
}

#[test]
fn descriptions_of_one_module_merge_and_different_slots_stay_apart() {
    let mut inv = Inventory::new(no_vendor);
    inv.observe_flow(&flow("10.0.0.1", A, "10.0.0.2", B, 44818, Some("enip")));
    let module = |slot: u16, firmware: &str, serial: &str| ModuleInfo {
        rack: None,
        slot: Some(slot),
        kind: String::new(),
        model: "1756-L61/B LOGIX5561".to_string(),
        order_number: String::new(),
        firmware: firmware.to_string(),
        hardware: String::new(),
        serial: serial.to_string(),
        protocol: "enip".to_string(),
    };
    inv.observe_module(at("10.0.0.2"), &module(0, "20.11", ""), Timestamp(15));
    inv.observe_module(at("10.0.0.2"), &module(0, "", "0x00c0ffee"), Timestamp(16));
    inv.observe_module(at("10.0.0.2"), &module(3, "3.1", ""), Timestamp(17));
    let devices = inv.devices();
    let modules = &device_at(&devices, "10.0.0.2").modules;
    assert_eq!(modules.len(), 2);
    assert_eq!(
        (modules[0].firmware.as_str(), modules[0].serial.as_str()),
        ("20.11", "0x00c0ffee")
    );
    assert_eq!(modules[1].slot, Some(3));
}

#[test]
fn activity_peers_are_bounded_and_counted() {
    let mut inv = Inventory::new(no_vendor);
    for i in 0..100u32 {
        let server = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0100 + i));
        inv.observe_activity(
            at("10.0.0.1"),
            Address {
                ip: Some(server),
                mac: None,
            },
            Activity::Identify,
            "enip",
            Timestamp(18),
        );
    }
    let d = inv
        .hosts
        .get(&ip("10.0.0.1"))
        .expect("the scanner is tracked");
    let a = &d.activities[0];
    assert_eq!(a.count, 100);
    assert_eq!(a.peers.len() as u64 + a.peers_dropped, 100);
    assert_eq!(a.peers.len(), observe::MAX_ACTIVITY_PEERS);
}

/// A device with two addresses that both saw the same models: the counts add up, and what it
/// reports does not depend on the order of the inventory's maps (each inventory hashes with
/// its own random keys).
#[test]
fn a_device_merged_from_several_addresses_is_the_same_every_run() {
    let build = || {
        let mut inv = Inventory::new(no_vendor);
        for (host, models) in [("10.0.0.1", 3), ("10.0.0.2", 1)] {
            inv.observe_flow(&flow(host, A, "10.0.0.9", B, 44818, Some("enip")));
            for (n, model) in ["1756-ENBT/A", "1756-L61/B"].iter().enumerate() {
                for _ in 0..models + n {
                    let at = Address {
                        ip: Some(ip(host)),
                        mac: None,
                    };
                    let (stated, time) = (Confidence::STATED, Timestamp(5));
                    inv.observe_identity(at, Attribute::Model, model, "enip", stated, time);
                }
            }
        }
        let devices = inv.devices();
        let d = devices.iter().find(|d| d.key == DeviceKey::Mac(A));
        format!("{:?}", d.expect("device"))
    };
    let first = build();
    assert!(first.contains(r#"value: "1756-ENBT/A", sources: Sources(["enip"]), confidence: Confidence(90), count: 4,"#), "counts of both addresses add up: {first}");
    for _ in 0..20 {
        assert_eq!(build(), first);
    }
}
