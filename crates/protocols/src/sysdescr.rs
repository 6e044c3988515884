//! Vendor, OS and firmware hints from the free-text descriptions devices give of themselves:
//! LLDP system description, CDP software version, SNMP sysDescr, Telnet and FTP banners.
//!
//! These texts follow vendor habits, not a grammar, so everything here is a weak signal: a
//! short table of well-known substrings, matched without regard to ASCII case, and two version
//! patterns (`Version 12.2(44)SE`, `FW: V4.02`). Protocols report the hints with
//! [`Confidence::WEAK`](rampart_dissect::Confidence::WEAK) next to the text itself, which they
//! report as stated. One table for all protocols keeps the hints consistent across them.

/// What a description suggests about the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hints {
    /// The maker, when a known product line is named.
    pub vendor: Option<&'static str>,
    /// The operating system, when one is named.
    pub os: Option<&'static str>,
}

/// Substring, vendor, OS. More specific needles come first: the first vendor and the first OS
/// that match win.
const TABLE: &[(&str, Option<&str>, Option<&str>)] = &[
    ("Cisco IOS XE", Some("Cisco"), Some("Cisco IOS XE")),
    ("Cisco IOS XR", Some("Cisco"), Some("Cisco IOS XR")),
    ("Cisco NX-OS", Some("Cisco"), Some("Cisco NX-OS")),
    (
        "Cisco Adaptive Security Appliance",
        Some("Cisco"),
        Some("Cisco ASA"),
    ),
    ("Cisco IOS", Some("Cisco"), Some("Cisco IOS")),
    (
        "Cisco Internetwork Operating System",
        Some("Cisco"),
        Some("Cisco IOS"),
    ),
    // The banner of a Cisco IOS Telnet or console login.
    ("User Access Verification", Some("Cisco"), Some("Cisco IOS")),
    ("Cisco", Some("Cisco"), None),
    ("Siemens, SIMATIC", Some("Siemens"), None),
    ("SCALANCE", Some("Siemens"), None),
    ("RUGGEDCOM", Some("Siemens"), Some("RUGGEDCOM ROS")),
    ("Siemens", Some("Siemens"), None),
    ("Hirschmann", Some("Hirschmann"), None),
    ("Belden", Some("Belden"), None),
    ("Juniper Networks", Some("Juniper Networks"), Some("Junos")),
    ("JUNOS", Some("Juniper Networks"), Some("Junos")),
    (
        "Arista Networks EOS",
        Some("Arista Networks"),
        Some("Arista EOS"),
    ),
    ("MikroTik", Some("MikroTik"), Some("RouterOS")),
    ("RouterOS", Some("MikroTik"), Some("RouterOS")),
    ("FortiGate", Some("Fortinet"), Some("FortiOS")),
    ("ProCurve", Some("HP"), None),
    ("Hewlett-Packard", Some("HP"), None),
    ("Aruba", Some("Aruba"), None),
    ("Huawei", Some("Huawei"), None),
    ("Moxa", Some("Moxa"), None),
    ("Phoenix Contact", Some("Phoenix Contact"), None),
    ("Rockwell Automation", Some("Rockwell Automation"), None),
    ("Allen-Bradley", Some("Rockwell Automation"), None),
    ("Schneider Electric", Some("Schneider Electric"), None),
    ("Westermo", Some("Westermo"), None),
    ("WAGO", Some("WAGO"), None),
    ("VxWorks", None, Some("VxWorks")),
    ("Microsoft Windows", Some("Microsoft"), Some("Windows")),
    ("Windows", None, Some("Windows")),
    ("FreeBSD", None, Some("FreeBSD")),
    ("Ubuntu", None, Some("Linux")),
    ("Debian", None, Some("Linux")),
    ("Red Hat", None, Some("Linux")),
    ("CentOS", None, Some("Linux")),
    ("Linux", None, Some("Linux")),
];

/// Look for well-known product and OS names in a description.
pub fn hints(text: &str) -> Hints {
    let mut first = [TABLE.len(); 2];
    for m in needles().find_overlapping_iter(text) {
        let at = m.pattern().as_usize();
        let (_, vendor, os) = TABLE[at];
        if vendor.is_some() {
            first[0] = first[0].min(at);
        }
        if os.is_some() {
            first[1] = first[1].min(at);
        }
    }
    Hints {
        vendor: TABLE.get(first[0]).and_then(|&(_, vendor, _)| vendor),
        os: TABLE.get(first[1]).and_then(|&(_, _, os)| os),
    }
}

/// The table's needles in one automaton, built on first use: a description is searched for
/// all of them in one pass rather than once per needle (every LLDP and SNMP message carries
/// one, and the table has forty rows).
fn needles() -> &'static aho_corasick::AhoCorasick {
    static NEEDLES: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(TABLE.iter().map(|&(needle, _, _)| needle))
                .expect("the needle table is small and fixed")
        });
    &NEEDLES
}

/// Find a firmware version in a description: the token after `Version ` (Cisco, most network
/// gear) or after `FW: ` (Siemens SIMATIC NET), up to the next comma or white space.
pub fn firmware(text: &str) -> Option<&str> {
    ["Version ", "FW: "].iter().find_map(|marker| {
        let start = find_ignore_case(text, marker)? + marker.len();
        let rest = text.get(start..)?;
        let end = rest
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = rest.get(..end)?;
        (!token.is_empty()).then_some(token)
    })
}

/// Find the product name in a Siemens SIMATIC NET description, which lists maker, product
/// line, product, order number, hardware and firmware separated by commas
/// (`Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02`).
pub fn model(text: &str) -> Option<&str> {
    let mut parts = text.split(", ");
    let maker = parts.next()?;
    let line = parts.next()?;
    let product = parts.next()?.trim();
    let simatic = maker.eq_ignore_ascii_case("Siemens") && line.starts_with("SIMATIC");
    (simatic && !product.is_empty()).then_some(product)
}

/// Tell whether `haystack` contains `needle`, ignoring ASCII case.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    find_ignore_case(haystack, needle).is_some()
}

/// Find `needle` in `haystack`, ASCII case ignored: for the version markers and the banner
/// phrases of FTP and Telnet. Candidates are found by their first byte (either case) with
/// `memchr` rather than by comparing at every position.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return Some(0);
    };
    let last_start = h.len().checked_sub(n.len())?;
    let candidates = h.get(..=last_start)?;
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        candidates,
    )
    .find(|&at| {
        h.get(at + 1..at + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_needle_in_any_case_at_either_end() {
        assert_eq!(find_ignore_case("Siemens SCALANCE", "siemens"), Some(0));
        assert_eq!(find_ignore_case("Siemens SCALANCE", "scalance"), Some(8));
        assert_eq!(find_ignore_case("sss scalance", "SCAL"), Some(4));
        assert_eq!(find_ignore_case("short", "longer needle"), None);
        assert_eq!(find_ignore_case("abc", ""), Some(0));
        assert_eq!(find_ignore_case("", "a"), None);
        assert_eq!(find_ignore_case("aaab", "ab"), Some(2));
    }

    #[test]
    fn names_cisco_ios_from_an_ios_description() {
        let text = "Cisco IOS Software, C3560 Software (C3560-ADVIPSERVICESK9-M), Version 12.2(44)SE, RELEASE SOFTWARE (fc1)";
        assert_eq!(
            hints(text),
            Hints {
                vendor: Some("Cisco"),
                os: Some("Cisco IOS")
            }
        );
        assert_eq!(firmware(text), Some("12.2(44)SE"));
    }

    #[test]
    fn names_siemens_and_firmware_from_a_scalance_description() {
        let text = "Siemens, SIMATIC NET, SCALANCE X212-2, 6GK5 212-2BB00-2AA3, HW: 7, FW: V4.02";
        assert_eq!(hints(text).vendor, Some("Siemens"));
        assert_eq!(hints(text).os, None);
        assert_eq!(firmware(text), Some("V4.02"));
        assert_eq!(model(text), Some("SCALANCE X212-2"));
        assert_eq!(model("Siemens, SIMATIC NET"), None);
        assert_eq!(
            model("Cisco IOS Software, C3560 Software, Version 12.2"),
            None
        );
    }

    /// The more specific needle wins wherever it sits in the text, as the table orders them.
    #[test]
    fn the_first_row_that_matches_wins_not_the_first_match_in_the_text() {
        let text = "Linux host running cisco ios xe software";
        assert_eq!(
            hints(text),
            Hints {
                vendor: Some("Cisco"),
                os: Some("Cisco IOS XE")
            }
        );
        let overlapping = hints("Cisco IOS XR Software");
        assert_eq!(overlapping.os, Some("Cisco IOS XR"));
    }

    #[test]
    fn matches_without_regard_to_case() {
        assert_eq!(hints("Welcome to UBUNTU 22.04").os, Some("Linux"));
        assert_eq!(hints("nothing known here"), Hints::default());
        assert_eq!(firmware("no version"), None);
        assert_eq!(firmware("Version "), None);
    }
}
