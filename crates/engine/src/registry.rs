//! The protocols the engine knows, indexed for the per-packet path.

use rampart_dissect::{FlowProtocol, FrameMatch, FrameRegistration, PluginReport, Transport};

/// Ports below this are treated as service ports for orientation even without a dissector.
const SYSTEM_PORTS: u16 = 1024;

/// Protocols by transport, frame protocols by match, and a bitmap of service ports.
pub struct Registry {
    tcp: Vec<&'static dyn FlowProtocol>,
    udp: Vec<&'static dyn FlowProtocol>,
    plugins: Vec<&'static dyn FlowProtocol>,
    frames: Vec<(FrameMatch, &'static FrameRegistration)>,
    service_ports: Box<[u64; 1024]>,
}

impl Registry {
    /// Index the given protocols, in probing order.
    pub fn new(
        flow: &[&'static dyn FlowProtocol],
        frame: &'static [FrameRegistration],
    ) -> Registry {
        let mut service_ports = Box::new([0u64; 1024]);
        let mut mark = |p: u16| service_ports[usize::from(p / 64)] |= 1 << (p % 64);
        (1..SYSTEM_PORTS).for_each(&mut mark);
        flow.iter()
            .flat_map(|r| r.ports().iter().copied())
            .for_each(&mut mark);
        Registry {
            tcp: flow
                .iter()
                .copied()
                .filter(|r| r.runs_on(Transport::Tcp))
                .collect(),
            udp: flow
                .iter()
                .copied()
                .filter(|r| r.runs_on(Transport::Udp))
                .collect(),
            plugins: flow
                .iter()
                .copied()
                .filter(|r| r.plugin_report().is_some())
                .collect(),
            frames: frame
                .iter()
                .flat_map(|r| r.matches.iter().map(move |m| (*m, r)))
                .collect(),
            service_ports,
        }
    }

    /// The built-in protocols.
    pub fn builtin() -> Registry {
        Registry::with_plugins(&[])
    }

    /// The built-in protocols, then protocols loaded at run time: built-ins are probed first,
    /// so a plugin adds protocols rather than taking over known ones.
    pub fn with_plugins(plugins: &[&'static dyn FlowProtocol]) -> Registry {
        let mut flow: Vec<&'static dyn FlowProtocol> = rampart_protocols::flow_protocols()
            .iter()
            .map(|r| r as &'static dyn FlowProtocol)
            .collect();
        flow.extend_from_slice(plugins);
        Registry::new(&flow, rampart_protocols::frame_protocols())
    }

    /// Return what each protocol loaded at run time did so far.
    pub fn plugin_reports(&self) -> Vec<PluginReport> {
        self.plugins
            .iter()
            .filter_map(|p| p.plugin_report())
            .collect()
    }

    /// Return the protocols that run on `transport`, in probing order.
    pub fn for_transport(&self, transport: Transport) -> &[&'static dyn FlowProtocol] {
        match transport {
            Transport::Tcp => &self.tcp,
            Transport::Udp => &self.udp,
        }
    }

    /// Tell whether `port` is a known service port.
    pub fn is_service_port(&self, port: u16) -> bool {
        self.service_ports[usize::from(port / 64)] & (1 << (port % 64)) != 0
    }

    /// Find the frame protocol for an EtherType.
    pub fn frame_for_ether_type(&self, ether_type: u16) -> Option<&'static FrameRegistration> {
        self.frames.iter().find_map(|(m, r)| match m {
            FrameMatch::EtherType(t) if *t == ether_type => Some(*r),
            _ => None,
        })
    }

    /// Find the frame protocol for an LLC/SNAP header.
    pub fn frame_for_snap(&self, oui: [u8; 3], pid: u16) -> Option<&'static FrameRegistration> {
        self.frames.iter().find_map(|(m, r)| match m {
            FrameMatch::Snap { oui: o, pid: p } if *o == oui && *p == pid => Some(*r),
            _ => None,
        })
    }
}

/// Name a link-layer protocol for statistics when no dissector claims it.
pub fn ether_type_name(ether_type: u16) -> &'static str {
    match ether_type {
        0x0806 => "arp",
        0x8035 => "rarp",
        0x88cc => "lldp",
        0x8892 => "profinet",
        0x88b8 => "goose",
        0x88ba => "sv",
        0x88e3 => "mrp",
        0x88f7 => "ptp",
        0x888e => "eapol",
        0x8899 => "realtek",
        0x9000 => "loopback",
        0x88a4 => "ethercat",
        0x8863 | 0x8864 => "pppoe",
        0x8847 | 0x8848 => "mpls",
        _ => "ethertype",
    }
}

/// Name an 802.3 LLC payload for statistics when no dissector claims it.
pub fn llc_name(dsap: u8, snap: Option<([u8; 3], u16)>) -> &'static str {
    match (dsap, snap) {
        (0x42, _) => "stp",
        (_, Some(([0, 0, 0x0c], 0x2000))) => "cdp",
        (_, Some(([0, 0, 0x0c], 0x2004))) => "dtp",
        (_, Some(([0, 0, 0x0c], 0x010b))) => "pvst",
        (_, Some(([0, 0, 0x0c], 0x0111))) => "udld",
        (0xe0, _) => "ipx",
        (0xf0, _) => "netbios",
        _ => "llc",
    }
}
