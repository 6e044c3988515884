//! DHCP code tables (RFC 2132, RFC 2131 §3.1) and the operating-system hints that DHCP
//! vendor class identifiers give away.

/// Name a DHCP message type (option 53; RFC 2132 §9.6, RFC 4388, RFC 6926).
pub fn message_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        9 => "forcerenew",
        10 => "leasequery",
        11 => "leaseunassigned",
        12 => "leaseunknown",
        13 => "leaseactive",
        14 => "bulkleasequery",
        15 => "leasequerydone",
        _ => return None,
    })
}

/// Write into `out` the operating system a vendor class identifier (DHCPv4 option 60,
/// DHCPv6 option 16) reveals; return whether it revealed one. These are the client stacks'
/// defaults: Windows sends `MSFT 5.0`, Android `android-dhcp-<release>`, dhcpcd
/// `dhcpcd-<version>:<kernel>-<release>:<machine>:<platform>`, BusyBox `udhcp <version>`.
pub fn os_hint(vendor_class: &str, out: &mut String) -> bool {
    out.clear();
    if vendor_class.starts_with("MSFT") {
        out.push_str("Windows");
    } else if let Some(release) = vendor_class.strip_prefix("android-dhcp-") {
        out.push_str("Android");
        if !release.is_empty() && release.chars().all(|c| c.is_ascii_digit() || c == '.') {
            out.push(' ');
            out.push_str(release);
        }
    } else if vendor_class.starts_with("dhcpcd") {
        // The second field names the kernel: `Linux-5.10.17-v7+`, `NetBSD-9.2`.
        let kernel = vendor_class
            .split(':')
            .nth(1)
            .and_then(|k| k.split('-').next());
        match kernel {
            Some(kernel)
                if !kernel.is_empty() && kernel.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                out.push_str(kernel);
            }
            _ => out.push_str("Linux"),
        }
    } else if vendor_class.starts_with("udhcp") {
        out.push_str("Linux");
    } else if vendor_class.starts_with("AAPLBSDPC") {
        out.push_str("macOS");
    }
    !out.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(vendor_class: &str) -> Option<String> {
        let mut out = String::new();
        os_hint(vendor_class, &mut out).then_some(out)
    }

    #[test]
    fn reads_os_from_well_known_vendor_classes() {
        assert_eq!(hint("MSFT 5.0").as_deref(), Some("Windows"));
        assert_eq!(hint("android-dhcp-11").as_deref(), Some("Android 11"));
        assert_eq!(hint("android-dhcp-x").as_deref(), Some("Android"));
        assert_eq!(
            hint("dhcpcd-8.1.2:Linux-5.10.17-v7+:armv7l:BCM2835").as_deref(),
            Some("Linux")
        );
        assert_eq!(
            hint("dhcpcd-9.4.1:NetBSD-9.2:amd64:Intel").as_deref(),
            Some("NetBSD")
        );
        assert_eq!(hint("udhcp 1.30.1").as_deref(), Some("Linux"));
    }

    #[test]
    fn says_nothing_about_unknown_vendor_classes() {
        assert_eq!(hint("PXEClient:Arch:00000:UNDI:002001"), None);
        assert_eq!(hint(""), None);
    }

    #[test]
    fn keeps_unknown_message_types_nameless() {
        assert_eq!(message_type_name(5), Some("ack"));
        assert_eq!(message_type_name(200), None);
    }
}
