use super::*;

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
