//! Pure parsing of NTP packets: the time packet (RFC 5905 §7.3), mode 6 control messages
//! (RFC 9327 §2) and ntpd's mode 7 private messages (`ntp_request.h`).

use rampart_dissect::{Reader, Truncated};

/// Length of a time packet without extension fields or MAC.
pub const TIME_LEN: usize = 48;

/// Seconds from the NTP prime epoch (1900) to the Unix epoch (RFC 5905 §6).
const UNIX_OFFSET: f64 = 2_208_988_800.0;

/// Name an association mode (RFC 5905 §7.3 figure 10).
pub fn mode_name(mode: u8) -> &'static str {
    match mode {
        0 => "reserved",
        1 => "symmetric_active",
        2 => "symmetric_passive",
        3 => "client",
        4 => "server",
        5 => "broadcast",
        6 => "control",
        _ => "private",
    }
}

/// Name a mode 6 opcode (RFC 9327 §2; 8 to 12 and 31 are ntpd's).
pub fn control_opcode_name(opcode: u8) -> Option<&'static str> {
    Some(match opcode {
        1 => "read_status",
        2 => "read_variables",
        3 => "write_variables",
        4 => "read_clock_variables",
        5 => "write_clock_variables",
        6 => "set_trap",
        7 => "async_message",
        8 => "configure",
        9 => "save_config",
        10 => "read_mru",
        11 => "read_ordlist",
        12 => "request_nonce",
        31 => "unset_trap",
        _ => return None,
    })
}

/// Name a mode 7 request code (ntpd `ntp_request.h`; 20 and 42 are the `monlist` requests
/// abused for amplification, CVE-2013-5211).
pub fn private_request_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "peer_list",
        1 => "peer_list_sum",
        2 => "peer_info",
        3 => "peer_stats",
        4 => "sys_info",
        5 => "sys_stats",
        6 => "io_stats",
        7 => "mem_stats",
        8 => "loop_info",
        9 => "timer_stats",
        10 => "config",
        11 => "unconfig",
        12 => "set_sys_flag",
        13 => "clr_sys_flag",
        16 => "get_restrict",
        20 => "mon_getlist",
        42 => "mon_getlist_1",
        43 => "hostname_associd",
        44 => "if_stats",
        45 => "if_reload",
        _ => return None,
    })
}

/// An NTP timestamp: seconds and fraction since the era's epoch (RFC 5905 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamp {
    /// Whole seconds.
    pub seconds: u32,
    /// Fraction of a second, in units of 2^-32 s.
    pub fraction: u32,
}

impl Timestamp {
    /// Return Unix time in seconds, or 0 for an unset timestamp. Seconds below 2^31 are taken
    /// to be in era 1 (after 2036), as RFC 4330 §3 advises.
    pub fn unix(self) -> f64 {
        if self.seconds == 0 && self.fraction == 0 {
            return 0.0;
        }
        let era = if self.seconds < 0x8000_0000 {
            4_294_967_296.0
        } else {
            0.0
        };
        f64::from(self.seconds) + era - UNIX_OFFSET + f64::from(self.fraction) / 4_294_967_296.0
    }
}

/// A time packet of modes 0 to 5 (RFC 5905 §7.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimePacket {
    /// Leap indicator.
    pub leap: u8,
    /// Version number.
    pub version: u8,
    /// Association mode.
    pub mode: u8,
    /// Stratum (0 unspecified or kiss-o'-death, 1 primary, 2–15 secondary, 16 unsynchronised).
    pub stratum: u8,
    /// Poll interval, log2 seconds.
    pub poll: i8,
    /// Clock precision, log2 seconds.
    pub precision: i8,
    /// Root delay, seconds.
    pub root_delay: f64,
    /// Root dispersion, seconds.
    pub root_dispersion: f64,
    /// Reference id.
    pub reference_id: [u8; 4],
    /// Reference timestamp.
    pub reference: Timestamp,
    /// Origin timestamp.
    pub origin: Timestamp,
    /// Receive timestamp.
    pub receive: Timestamp,
    /// Transmit timestamp.
    pub transmit: Timestamp,
    /// Bytes after the 48-byte header (extension fields, MAC).
    pub trailing: usize,
}

/// A mode 6 control message (RFC 9327 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlPacket<'a> {
    /// Version number.
    pub version: u8,
    /// R: this is a response.
    pub response: bool,
    /// E: the response reports an error.
    pub error: bool,
    /// M: more fragments follow.
    pub more: bool,
    /// Opcode.
    pub opcode: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Status word.
    pub status: u16,
    /// Association id.
    pub association_id: u16,
    /// Offset of this fragment's data.
    pub offset: u16,
    /// Data length the header claims.
    pub count: u16,
    /// The data, at most `count` bytes (fewer when the packet is cut short).
    pub data: &'a [u8],
}

/// A mode 7 private message (ntpd `struct req_pkt` / `resp_pkt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivatePacket {
    /// Version number.
    pub version: u8,
    /// R: this is a response.
    pub response: bool,
    /// M: more fragments follow.
    pub more: bool,
    /// Sequence number.
    pub sequence: u8,
    /// Implementation (0 universal, 2 old xntpd, 3 xntpd).
    pub implementation: u8,
    /// Request code.
    pub request_code: u8,
    /// Error code (responses).
    pub error: u8,
    /// Number of data items.
    pub items: u16,
    /// Size of each data item.
    pub item_size: u16,
}

/// One NTP packet of any mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Packet<'a> {
    /// Modes 0 to 5.
    Time(TimePacket),
    /// Mode 6.
    Control(ControlPacket<'a>),
    /// Mode 7.
    Private(PrivatePacket),
}

/// Parse one datagram.
pub fn parse(data: &[u8]) -> Result<Packet<'_>, Truncated> {
    let mut r = Reader::new(data);
    let first = r.u8("li_vn_mode")?;
    let version = (first >> 3) & 0x07;
    match first & 0x07 {
        6 => {
            let second = r.u8("r_e_m_opcode")?;
            let sequence = r.u16("sequence")?;
            let status = r.u16("status")?;
            let association_id = r.u16("association_id")?;
            let offset = r.u16("offset")?;
            let count = r.u16("count")?;
            let rest = r.rest();
            Ok(Packet::Control(ControlPacket {
                version,
                response: second & 0x80 != 0,
                error: second & 0x40 != 0,
                more: second & 0x20 != 0,
                opcode: second & 0x1f,
                sequence,
                status,
                association_id,
                offset,
                count,
                data: rest.get(..usize::from(count)).unwrap_or(rest),
            }))
        }
        7 => {
            let second = r.u8("auth_sequence")?;
            let implementation = r.u8("implementation")?;
            let request_code = r.u8("request_code")?;
            let err_items = r.u16("err_nitems")?;
            let item_size = r.u16("mbz_itemsize")? & 0x0fff;
            Ok(Packet::Private(PrivatePacket {
                version,
                response: first & 0x80 != 0,
                more: first & 0x40 != 0,
                sequence: second & 0x7f,
                implementation,
                request_code,
                error: (err_items >> 12) as u8,
                items: err_items & 0x0fff,
                item_size,
            }))
        }
        mode => {
            let stratum = r.u8("stratum")?;
            let poll = r.u8("poll")? as i8;
            let precision = r.u8("precision")? as i8;
            let root_delay = short_format(r.u32("root_delay")?);
            let root_dispersion = short_format(r.u32("root_dispersion")?);
            let mut reference_id = [0u8; 4];
            reference_id.copy_from_slice(r.bytes("reference_id", 4)?);
            let mut timestamp = |field| {
                Ok::<_, Truncated>(Timestamp {
                    seconds: r.u32(field)?,
                    fraction: r.u32(field)?,
                })
            };
            let reference = timestamp("reference_timestamp")?;
            let origin = timestamp("origin_timestamp")?;
            let receive = timestamp("receive_timestamp")?;
            let transmit = timestamp("transmit_timestamp")?;
            Ok(Packet::Time(TimePacket {
                leap: first >> 6,
                version,
                mode,
                stratum,
                poll,
                precision,
                root_delay,
                root_dispersion,
                reference_id,
                reference,
                origin,
                receive,
                transmit,
                trailing: r.remaining(),
            }))
        }
    }
}

/// Convert the NTP short format (16.16 fixed point seconds) to seconds.
fn short_format(raw: u32) -> f64 {
    f64::from(raw) / 65_536.0
}

/// Find `key="value"` or `key=value` in the comma-separated variable list of a mode 6
/// read-variables response (RFC 9327 §3); a value cut by the end of the fragment is skipped.
pub fn variable<'a>(data: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let mut rest = data;
    loop {
        while let [b' ' | b',' | b'\r' | b'\n', tail @ ..] = rest {
            rest = tail;
        }
        let eq = rest.iter().position(|&b| b == b'=' || b == b',')?;
        let (name, tail) = rest.split_at(eq);
        let (value, tail) = match tail {
            [b'=', b'"', quoted @ ..] => {
                let end = quoted.iter().position(|&b| b == b'"')?;
                (quoted.get(..end)?, quoted.get(end + 1..)?)
            }
            [b'=', plain @ ..] => {
                let end = plain.iter().position(|&b| b == b',').unwrap_or(plain.len());
                plain.split_at(end)
            }
            _ => (&[][..], tail),
        };
        if name.eq_ignore_ascii_case(key.as_bytes()) {
            return Some(value);
        }
        if tail.is_empty() {
            return None;
        }
        rest = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An NTPv4 client request (RFC 5905 §7.3) as ntpd sends it.
    pub(super) const CLIENT: &[u8] = &[
        0xe3, // LI=3 (unsynchronised), VN=4, mode=3 (client)
        0x00, // stratum 0
        0x06, // poll 2^6 s
        0xec, // precision 2^-20 s
        0x00, 0x01, 0x00, 0x00, // root delay 1.0 s
        0x00, 0x00, 0x80, 0x00, // root dispersion 0.5 s
        0x00, 0x00, 0x00, 0x00, // reference id
        0, 0, 0, 0, 0, 0, 0, 0, // reference timestamp
        0, 0, 0, 0, 0, 0, 0, 0, // origin timestamp
        0, 0, 0, 0, 0, 0, 0, 0, // receive timestamp
        0xe9, 0x5f, 0x3a, 0x00, 0x80, 0x00, 0x00, 0x00, // transmit 2024-01-14T..., .5 s
    ];

    #[test]
    fn reads_a_client_time_packet() {
        let Ok(Packet::Time(p)) = parse(CLIENT) else {
            panic!("a time packet");
        };
        assert_eq!((p.leap, p.version, p.mode, p.stratum), (3, 4, 3, 0));
        assert_eq!((p.poll, p.precision), (6, -20));
        assert_eq!((p.root_delay, p.root_dispersion), (1.0, 0.5));
        assert_eq!(p.reference.unix(), 0.0);
        assert_eq!(
            p.transmit.unix(),
            f64::from(0xe95f_3a00u32) - 2_208_988_800.0 + 0.5
        );
        assert_eq!(p.trailing, 0);
    }

    #[test]
    fn places_small_seconds_in_the_next_era() {
        let t = Timestamp {
            seconds: 1,
            fraction: 0,
        };
        assert_eq!(t.unix(), 4_294_967_297.0 - 2_208_988_800.0);
    }

    #[test]
    fn names_field_and_offset_of_a_short_time_packet() {
        let e = parse(&CLIENT[..40]).expect_err("cut in transmit timestamp");
        assert_eq!((e.field, e.offset), ("transmit_timestamp", 40));
    }

    #[test]
    fn reads_a_monlist_request() {
        // ntpdc's MON_GETLIST_1 request (ntp_request.h struct req_pkt)
        let data = [
            0x17, // R=0 M=0 VN=2 mode=7
            0x00, // A=0 sequence 0
            0x03, // implementation XNTPD
            0x2a, // request code 42
            0x00, 0x00, // err 0, nitems 0
            0x00, 0x00, // mbz, itemsize 0
        ];
        let Ok(Packet::Private(p)) = parse(&data) else {
            panic!("a private packet");
        };
        assert_eq!(
            (p.version, p.response, p.implementation, p.request_code),
            (2, false, 3, 42)
        );
        assert_eq!(private_request_name(p.request_code), Some("mon_getlist_1"));
    }

    #[test]
    fn reads_a_control_response_and_bounds_its_data() {
        let mut data = vec![
            0x16, // LI=0 VN=2 mode=6
            0x82, // R=1 E=0 M=0 opcode 2 (read variables)
            0x00, 0x01, // sequence 1
            0x06, 0x15, // status
            0x00, 0x00, // association id 0 (system variables)
            0x00, 0x00, // offset 0
            0x00, 0x40, // count 64, more than present
        ];
        data.extend_from_slice(b"version=\"ntpd 4.2.8p15\", system=\"Linux/5.10\"");
        let Ok(Packet::Control(p)) = parse(&data) else {
            panic!("a control packet");
        };
        assert!(p.response && !p.error && !p.more);
        assert_eq!((p.opcode, p.count, p.data.len()), (2, 64, 44));
        assert_eq!(variable(p.data, "version"), Some(&b"ntpd 4.2.8p15"[..]));
        assert_eq!(variable(p.data, "system"), Some(&b"Linux/5.10"[..]));
        assert_eq!(variable(p.data, "processor"), None);
    }

    #[test]
    fn skips_a_variable_cut_by_the_fragment_end() {
        assert_eq!(
            variable(b"leap=0, stratum=2, system=\"Linu", "system"),
            None
        );
        assert_eq!(variable(b"leap=0, stratum=2", "stratum"), Some(&b"2"[..]));
        assert_eq!(variable(b"flag, leap=3", "leap"), Some(&b"3"[..]));
    }
}
