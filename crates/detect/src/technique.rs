//! MITRE ATT&CK for ICS techniques that alerts name, with their titles, so a SOC reads
//! `T0843 Program Download` rather than a bare id. Ids and names from the public ATT&CK for
//! ICS matrix.

/// (id, name) of the techniques Rampart's rules use.
pub const TECHNIQUES: &[(&str, &str)] = &[
    ("T0800", "Activate Firmware Update Mode"),
    ("T0801", "Monitor Process State"),
    ("T0802", "Automated Collection"),
    ("T0803", "Block Command Message"),
    ("T0804", "Block Reporting Message"),
    ("T0806", "Brute Force I/O"),
    ("T0809", "Data Destruction"),
    ("T0812", "Default Credentials"),
    ("T0813", "Denial of Control"),
    ("T0814", "Denial of Service"),
    ("T0815", "Denial of View"),
    ("T0816", "Device Restart/Shutdown"),
    ("T0819", "Exploit Public-Facing Application"),
    ("T0821", "Modify Controller Tasking"),
    ("T0822", "External Remote Services"),
    ("T0826", "Loss of Availability"),
    ("T0827", "Loss of Control"),
    ("T0830", "Adversary-in-the-Middle"),
    ("T0831", "Manipulation of Control"),
    ("T0832", "Manipulation of View"),
    ("T0836", "Modify Parameter"),
    ("T0838", "Modify Alarm Settings"),
    ("T0839", "Module Firmware"),
    ("T0840", "Network Connection Enumeration"),
    ("T0842", "Network Sniffing"),
    ("T0843", "Program Download"),
    ("T0845", "Program Upload"),
    ("T0846", "Remote System Discovery"),
    ("T0848", "Rogue Master"),
    ("T0849", "Masquerading"),
    ("T0855", "Unauthorized Command Message"),
    ("T0856", "Spoof Reporting Message"),
    ("T0857", "System Firmware"),
    ("T0858", "Change Operating Mode"),
    ("T0859", "Valid Accounts"),
    ("T0861", "Point & Tag Identification"),
    ("T0864", "Transient Cyber Asset"),
    ("T0866", "Exploitation of Remote Services"),
    ("T0867", "Lateral Tool Transfer"),
    ("T0868", "Detect Operating Mode"),
    ("T0869", "Standard Application Layer Protocol"),
    ("T0877", "I/O Module Discovery"),
    ("T0878", "Alarm Suppression"),
    ("T0880", "Loss of Safety"),
    ("T0881", "Service Stop"),
    ("T0882", "Theft of Operational Information"),
    ("T0883", "Internet Accessible Device"),
    ("T0884", "Connection Proxy"),
    ("T0885", "Commonly Used Port"),
    ("T0886", "Remote Services"),
    ("T0888", "Remote System Information Discovery"),
    ("T0889", "Modify Program"),
    ("T0891", "Hardcoded Credentials"),
];

/// The name of a technique id, when the table has it.
pub fn name(id: &str) -> Option<&'static str> {
    TECHNIQUES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids: Vec<&str> = super::TECHNIQUES.iter().map(|t| t.0).collect();
        assert!(ids.iter().all(|i| i.len() == 5 && i.starts_with("T0")));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), super::TECHNIQUES.len());
        assert_eq!(super::name("T0843"), Some("Program Download"));
    }
}
