//! Pure parsing of BOOTP (RFC 951) and DHCP options (RFC 2131 §3, RFC 2132).
//!
//! The fixed header is read with the dissect [`Reader`]; options are walked over the
//! `options` field and, when option 52 says so, over `file` and `sname` (RFC 2131 §4.1
//! order). The first instance of an option wins; later ones are ignored rather than
//! concatenated (RFC 3396), which only matters for options longer than 255 bytes.

use std::net::Ipv4Addr;

use rampart_dissect::{Mac, Reader, Truncated};

/// Offset of `sname` in the fixed header.
const SNAME_OFFSET: usize = 44;
/// Offset of `file` in the fixed header.
const FILE_OFFSET: usize = 108;
/// Length of the fixed header up to the options field.
pub const FIXED_LEN: usize = 236;
/// The cookie that opens the DHCP options field (RFC 2131 §3).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

/// A BOOTP/DHCP message's fixed header, fields borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootp<'a> {
    /// 1 BOOTREQUEST, 2 BOOTREPLY.
    pub op: u8,
    /// Hardware address type (1 Ethernet).
    pub htype: u8,
    /// Hardware address length.
    pub hlen: u8,
    /// Transaction id.
    pub xid: u32,
    /// Client address, when it already has one.
    pub ciaddr: Ipv4Addr,
    /// Address offered or assigned.
    pub yiaddr: Ipv4Addr,
    /// Next server (boot server).
    pub siaddr: Ipv4Addr,
    /// Relay agent.
    pub giaddr: Ipv4Addr,
    /// Client hardware address field, 16 bytes.
    pub chaddr: &'a [u8],
    /// Server host name field, 64 bytes.
    pub sname: &'a [u8],
    /// Boot file name field, 128 bytes.
    pub file: &'a [u8],
    /// The options after the magic cookie; `None` for plain BOOTP.
    pub options: Option<&'a [u8]>,
}

impl Bootp<'_> {
    /// Return the client's MAC when the hardware address is Ethernet.
    pub fn client_mac(&self) -> Option<Mac> {
        if self.htype == 1 && self.hlen == 6 {
            Mac::from_slice(self.chaddr)
        } else {
            None
        }
    }

    /// Return the client hardware address as long as `hlen` says, within the field.
    pub fn hardware_address(&self) -> &[u8] {
        self.chaddr
            .get(..usize::from(self.hlen))
            .unwrap_or(self.chaddr)
    }
}

/// Read the fixed header (RFC 2131 §2, figure 1) and find the options.
pub fn parse_bootp(data: &[u8]) -> Result<Bootp<'_>, Truncated> {
    let mut r = Reader::new(data);
    let op = r.u8("op")?;
    let htype = r.u8("htype")?;
    let hlen = r.u8("hlen")?;
    r.skip("hops", 1)?;
    let xid = r.u32("xid")?;
    r.skip("secs and flags", 4)?;
    let mut ip = |field| r.u32(field).map(Ipv4Addr::from);
    let (ciaddr, yiaddr, siaddr, giaddr) =
        (ip("ciaddr")?, ip("yiaddr")?, ip("siaddr")?, ip("giaddr")?);
    let chaddr = r.bytes("chaddr", 16)?;
    let sname = r.bytes("sname", 64)?;
    let file = r.bytes("file", 128)?;
    let options = match r.bytes("magic cookie", 4) {
        Ok(cookie) if cookie == MAGIC_COOKIE => Some(r.rest()),
        _ => None,
    };
    Ok(Bootp {
        op,
        htype,
        hlen,
        xid,
        ciaddr,
        yiaddr,
        siaddr,
        giaddr,
        chaddr,
        sname,
        file,
        options,
    })
}

/// The options a monitor reports, first instance of each.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Options<'a> {
    /// 1: subnet mask.
    pub subnet_mask: Option<Ipv4Addr>,
    /// 3: the first router.
    pub router: Option<Ipv4Addr>,
    /// 12: host name.
    pub hostname: Option<&'a [u8]>,
    /// 15: domain name.
    pub domain_name: Option<&'a [u8]>,
    /// 50: requested IP address.
    pub requested_ip: Option<Ipv4Addr>,
    /// 51: lease time in seconds.
    pub lease_time: Option<u32>,
    /// 52: option overload (1 file, 2 sname, 3 both).
    pub overload: Option<u8>,
    /// 53: DHCP message type.
    pub message_type: Option<u8>,
    /// 54: server identifier.
    pub server_id: Option<Ipv4Addr>,
    /// 55: parameter request list.
    pub params: Option<&'a [u8]>,
    /// 56: error message.
    pub message: Option<&'a [u8]>,
    /// 60: vendor class identifier.
    pub vendor_class: Option<&'a [u8]>,
    /// 61: client identifier.
    pub client_id: Option<&'a [u8]>,
    /// 81: client FQDN, its domain name part (RFC 4702 §2).
    pub client_fqdn: Option<&'a [u8]>,
}

/// Something wrong in the options, located in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OptionProblem {
    /// An option's length runs past its field.
    #[error(
        "option {code} at offset {offset} claims {claimed} bytes, {available} remain in {area}"
    )]
    Truncated {
        /// Option code.
        code: u8,
        /// Where the option starts.
        offset: usize,
        /// Its length byte.
        claimed: usize,
        /// Bytes left in the field.
        available: usize,
        /// The field (`options`, `file`, `sname`).
        area: &'static str,
    },
    /// A field of options does not close with option 255.
    #[error("{area} has no end option")]
    MissingEnd {
        /// The field.
        area: &'static str,
        /// Where the field ends.
        offset: usize,
    },
    /// A fixed-size option of the wrong size.
    #[error("option {code} at offset {offset} is {actual} bytes, expected {expected}")]
    BadLength {
        /// Option code.
        code: u8,
        /// Where the option starts.
        offset: usize,
        /// Its length.
        actual: usize,
        /// What RFC 2132 requires.
        expected: &'static str,
    },
    /// Option 52 with a value other than 1, 2, 3, or outside the options field.
    #[error("option overload {value} at offset {offset} in {area}")]
    BadOverload {
        /// Its value.
        value: u8,
        /// Where the option starts.
        offset: usize,
        /// The field it was found in.
        area: &'static str,
    },
}

impl OptionProblem {
    /// Return the anomaly code for this problem.
    pub fn code(&self) -> &'static str {
        match self {
            OptionProblem::Truncated { .. } => "truncated_option",
            OptionProblem::MissingEnd { .. } => "missing_end_option",
            OptionProblem::BadLength { .. } => "bad_option_length",
            OptionProblem::BadOverload { .. } => "bad_overload",
        }
    }

    /// Return the offset of the offending option in the message.
    pub fn offset(&self) -> usize {
        match *self {
            OptionProblem::Truncated { offset, .. }
            | OptionProblem::MissingEnd { offset, .. }
            | OptionProblem::BadLength { offset, .. }
            | OptionProblem::BadOverload { offset, .. } => offset,
        }
    }
}

/// Read the options of `bootp`, following option overload; hand each problem to `problem`.
pub fn read_options<'a>(bootp: &Bootp<'a>, mut problem: impl FnMut(OptionProblem)) -> Options<'a> {
    let mut options = Options::default();
    let Some(area) = bootp.options else {
        return options;
    };
    walk(
        area,
        FIXED_LEN + MAGIC_COOKIE.len(),
        "options",
        &mut options,
        &mut problem,
    );
    let overload = options.overload.unwrap_or(0);
    if overload & 1 != 0 {
        walk(bootp.file, FILE_OFFSET, "file", &mut options, &mut problem);
    }
    if overload & 2 != 0 {
        walk(
            bootp.sname,
            SNAME_OFFSET,
            "sname",
            &mut options,
            &mut problem,
        );
    }
    options
}

fn walk<'a>(
    area: &'a [u8],
    base: usize,
    name: &'static str,
    options: &mut Options<'a>,
    problem: &mut impl FnMut(OptionProblem),
) {
    let mut at = 0;
    loop {
        let Some(&code) = area.get(at) else {
            return problem(OptionProblem::MissingEnd {
                area: name,
                offset: base + at,
            });
        };
        match code {
            0 => {
                at += 1;
                continue;
            }
            255 => return,
            _ => {}
        }
        let len = area.get(at + 1).map_or(0, |&l| usize::from(l));
        let Some(data) = area.get(at + 2..at + 2 + len) else {
            return problem(OptionProblem::Truncated {
                code,
                offset: base + at,
                claimed: len,
                available: area.len().saturating_sub(at + 2),
                area: name,
            });
        };
        take(options, code, data, base + at, name, problem);
        at += 2 + len;
    }
}

/// Keep the first instance of an option the monitor reports.
fn take<'a>(
    o: &mut Options<'a>,
    code: u8,
    data: &'a [u8],
    offset: usize,
    area: &'static str,
    problem: &mut impl FnMut(OptionProblem),
) {
    let mut bad = |expected| {
        problem(OptionProblem::BadLength {
            code,
            offset,
            actual: data.len(),
            expected,
        })
    };
    let ip = |data: &[u8]| <[u8; 4]>::try_from(data).ok().map(Ipv4Addr::from);
    match code {
        1 | 50 | 54 => {
            let Some(addr) = ip(data) else {
                return bad("4");
            };
            let slot = match code {
                1 => &mut o.subnet_mask,
                50 => &mut o.requested_ip,
                _ => &mut o.server_id,
            };
            slot.get_or_insert(addr);
        }
        3 => match data.get(..4).and_then(ip) {
            Some(addr) if data.chunks_exact(4).remainder().is_empty() => {
                o.router.get_or_insert(addr);
            }
            _ => bad("a multiple of 4"),
        },
        51 => match <[u8; 4]>::try_from(data) {
            Ok(b) => {
                o.lease_time.get_or_insert(u32::from_be_bytes(b));
            }
            Err(_) => bad("4"),
        },
        52 | 53 => {
            let [value] = data else {
                return bad("1");
            };
            if code == 53 {
                o.message_type.get_or_insert(*value);
            } else if area != "options" || !(1..=3).contains(value) {
                problem(OptionProblem::BadOverload {
                    value: *value,
                    offset,
                    area,
                });
            } else {
                o.overload.get_or_insert(*value);
            }
        }
        12 | 15 | 55 | 56 | 60 | 61 => {
            if data.is_empty() {
                return bad("at least 1");
            }
            let slot = match code {
                12 => &mut o.hostname,
                15 => &mut o.domain_name,
                55 => &mut o.params,
                56 => &mut o.message,
                60 => &mut o.vendor_class,
                _ => &mut o.client_id,
            };
            slot.get_or_insert(data);
        }
        81 => match data.get(3..) {
            Some(name) => {
                o.client_fqdn.get_or_insert(name);
            }
            None => bad("at least 3"),
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DHCPDISCOVER (RFC 2131 §4.4.1) from 00:1b:1b:0a:0b:0c, with `options` appended.
    fn discover(options: &[u8]) -> Vec<u8> {
        let mut msg = vec![
            0x01, // op BOOTREQUEST
            0x01, // htype Ethernet
            0x06, // hlen 6
            0x00, // hops
            0x3d, 0x1d, 0x00, 0x01, // xid 0x3d1d0001
            0x00, 0x00, // secs
            0x80, 0x00, // flags: broadcast
            0, 0, 0, 0, // ciaddr
            0, 0, 0, 0, // yiaddr
            0, 0, 0, 0, // siaddr
            0, 0, 0, 0, // giaddr
            0x00, 0x1b, 0x1b, 0x0a, 0x0b, 0x0c, // chaddr
        ];
        msg.resize(FIXED_LEN, 0); // chaddr padding, sname, file
        msg.extend_from_slice(&MAGIC_COOKIE);
        msg.extend_from_slice(options);
        msg
    }

    fn problems_of(msg: &[u8]) -> (Options<'_>, Vec<OptionProblem>) {
        let bootp = parse_bootp(msg).expect("fixed header");
        let mut problems = Vec::new();
        let options = read_options(&bootp, |p| problems.push(p));
        (options, problems)
    }

    #[test]
    fn reads_the_options_a_monitor_reports() {
        let msg = discover(&[
            53, 1, 1, // message type DISCOVER
            12, 4, b'p', b'l', b'c', b'1', // host name "plc1"
            55, 4, 1, 3, 6, 15, // parameter request list
            60, 8, b'M', b'S', b'F', b'T', b' ', b'5', b'.', b'0', // vendor class
            50, 4, 192, 168, 0, 10, // requested address
            0, 0,   // pad
            255, // end
        ]);
        let (o, problems) = problems_of(&msg);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(o.message_type, Some(1));
        assert_eq!(o.hostname, Some(&b"plc1"[..]));
        assert_eq!(o.params, Some(&[1, 3, 6, 15][..]));
        assert_eq!(o.vendor_class, Some(&b"MSFT 5.0"[..]));
        assert_eq!(o.requested_ip, Some(Ipv4Addr::new(192, 168, 0, 10)));
        let bootp = parse_bootp(&msg).expect("fixed header");
        assert_eq!(
            bootp.client_mac().map(|m| m.to_string()).as_deref(),
            Some("00:1b:1b:0a:0b:0c")
        );
        assert_eq!(bootp.xid, 0x3d1d_0001);
    }

    #[test]
    fn follows_option_overload_into_file_and_sname() {
        let mut msg = discover(&[
            53, 1, 3, // message type REQUEST
            52, 1, 3, // overload: file and sname hold options
            255,
        ]);
        // RFC 2131 §4.1: 'file' is read before 'sname'.
        msg[FILE_OFFSET..FILE_OFFSET + 7].copy_from_slice(&[12, 4, b'h', b'm', b'i', b'2', 255]);
        msg[SNAME_OFFSET..SNAME_OFFSET + 9]
            .copy_from_slice(&[12, 1, b'x', 60, 3, b'a', b'b', b'c', 255]);
        let (o, problems) = problems_of(&msg);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(o.hostname, Some(&b"hmi2"[..]), "the first instance wins");
        assert_eq!(o.vendor_class, Some(&b"abc"[..]));
    }

    #[test]
    fn reports_truncated_option_and_missing_end() {
        let msg = discover(&[53, 1, 1, 12, 9, b'a', b'b']);
        let (o, problems) = problems_of(&msg);
        assert_eq!(o.message_type, Some(1));
        assert_eq!(
            problems,
            vec![OptionProblem::Truncated {
                code: 12,
                offset: 243,
                claimed: 9,
                available: 2,
                area: "options"
            }]
        );
        assert_eq!(problems[0].code(), "truncated_option");
        let (_, problems) = problems_of(&discover(&[53, 1, 1]));
        assert_eq!(problems[0].code(), "missing_end_option");
    }

    #[test]
    fn reports_wrong_sizes_and_bad_overload() {
        let msg = discover(&[
            50, 3, 10, 0, 0, // requested address of 3 bytes
            52, 1, 7, // overload 7
            255,
        ]);
        let (o, problems) = problems_of(&msg);
        assert_eq!(o.requested_ip, None);
        let codes: Vec<&str> = problems.iter().map(OptionProblem::code).collect();
        assert_eq!(codes, vec!["bad_option_length", "bad_overload"]);
        assert_eq!(problems[0].offset(), 240);
    }

    #[test]
    fn treats_a_message_without_cookie_as_plain_bootp() {
        let mut msg = discover(&[]);
        msg.truncate(FIXED_LEN);
        let bootp = parse_bootp(&msg).expect("fixed header");
        assert_eq!(bootp.options, None);
        let e = parse_bootp(&msg[..100]).expect_err("cut in chaddr");
        assert_eq!(e.field, "sname");
    }
}
