//! Names for the numeric vendor ids that industrial protocols carry, from registry tables
//! embedded at build time.
//!
//! Dissectors keep a vendor id as a number in their records (`vendor_id`) and ask here for the
//! name to put in an identity: [`cip()`] for the vendor id of a CIP Identity object (EtherNet/IP
//! List Identity, Get Attributes All), [`bacnet()`] for the BACnet vendor identifier of an I-Am
//! or of a device object's `vendor-identifier` property.
//!
//! # Sources
//!
//! Each table is a generated file of sorted `(id, name)` pairs that
//! `scripts/update-vendor-ids.sh` writes from a Python package pinned by version and SHA-256.
//! The script reads the package as a zip archive (it never imports or runs it), collapses
//! runs of white space in names, leaves out entries that name nobody, and refuses an id that
//! appears twice; two runs give the same bytes. To update a table, change the package's
//! version and hash at the top of the script and run it (it downloads the wheel with pip, or
//! reads it from `VENDOR_ID_WHEELS=dir`).
//!
//! | table | registry | source | licence | ids |
//! |---|---|---|---|---|
//! | `cip.rs` | ODVA's CIP vendor ids | `pycomm3` 1.2.16, `_VENDORS` in `cip/status_info.py` | MIT | 1,463 of 1–1734, and 9876 |
//! | `bacnet.rs` | ASHRAE's BACnet vendor identifiers | `ace-bacnet-devices` 0.2.1, `vendors/data/vendor-ids.json`, its snapshot of ASHRAE's published list | MIT | 1,631 of 0–1640 |
//!
//! The CIP table is the list as pycomm3 keeps it, not ODVA's own: it has no entry for ids
//! that pycomm3 lacks (0, 6, 15, …) or that ODVA assigned after it was last updated, and its
//! names are as pycomm3 spells them. pycomm3 notes that its list came through pylogix
//! (Apache-2.0) from the table in Wireshark's CIP dissector; the names and numbers are ODVA's
//! assignments, but the table reached pycomm3 through a GPL program.
//!
//! The BACnet table leaves out the ids ASHRAE keeps for itself ("Reserved for ASHRAE": 555,
//! 666, 777, 888, 911, 999, 1111) and the three the snapshot lacks (1395, 1400, 1520); a
//! holder of several ids (Siemens Schweiz AG has 7, 9 and 22) is named under each.
//!
//! PROFINET vendor ids (assigned by PROFIBUS & PROFINET International) are not mapped: no
//! permissively licensed machine-readable copy of that list could be found in a package
//! registry; the one there (in `profinet-py`) is GPL-3.0, as is Wireshark's.
//!
//! # Design
//!
//! A sorted static slice searched by halves costs no start-up, no heap and no build step, and
//! diffs line by line when a registry is updated; a `match` would compile to much the same
//! but hide the sortedness the search relies on, which a test checks instead. Unlike the MAC
//! vendor table (`rampart-oui`), these are a few thousand entries and live in this crate.

mod bacnet;
mod cip;

/// Name the holder of a CIP vendor id (EtherNet/IP, DeviceNet, ControlNet), as ODVA assigned it.
pub fn cip(id: u16) -> Option<&'static str> {
    lookup(cip::TABLE, id)
}

/// Name the holder of a BACnet vendor identifier, as ASHRAE registered it.
pub fn bacnet(id: u16) -> Option<&'static str> {
    lookup(bacnet::TABLE, id)
}

/// Find `id` in a table sorted by id.
fn lookup(table: &'static [(u16, &'static str)], id: u16) -> Option<&'static str> {
    let index = table.binary_search_by_key(&id, |&(key, _)| key).ok()?;
    table.get(index).map(|&(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_sorted_unique_and_named(table: &[(u16, &str)]) {
        assert!(!table.is_empty());
        for pair in table.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
        for &(id, name) in table {
            assert!(!name.is_empty(), "id {id} has an empty name");
            assert_eq!(name, name.trim(), "id {id} has padding");
            assert!(!name.contains("  "), "id {id} has a double space");
        }
    }

    #[test]
    fn tables_are_sorted_unique_and_named() {
        assert_sorted_unique_and_named(bacnet::TABLE);
        assert_sorted_unique_and_named(cip::TABLE);
    }

    #[test]
    fn names_well_known_cip_vendors() {
        assert_eq!(cip(1), Some("Rockwell Automation/Allen-Bradley"));
        assert_eq!(cip(47), Some("Omron Corporation"));
        assert_eq!(cip(90), Some("HMS Networks"));
        assert_eq!(cip(108), Some("Beckhoff Automation"));
        assert_eq!(cip(243), Some("Schneider Electric"));
        assert_eq!(cip(283), Some("Hilscher GmbH"));
    }

    #[test]
    fn collapses_runs_of_spaces_in_names() {
        // The source spells it "Murata  Machinery Ltd.".
        assert_eq!(cip(290), Some("Murata Machinery Ltd."));
    }

    #[test]
    fn names_no_cip_vendor_for_unlisted_ids() {
        assert_eq!(cip(0), None);
        assert_eq!(cip(6), None);
        assert_eq!(cip(1735), None);
        assert_eq!(cip(u16::MAX), None);
    }

    #[test]
    fn names_well_known_bacnet_vendors() {
        assert_eq!(bacnet(0), Some("ASHRAE"));
        assert_eq!(bacnet(2), Some("The Trane Company"));
        assert_eq!(bacnet(5), Some("Johnson Controls, Inc."));
        assert_eq!(bacnet(7), Some("Siemens Schweiz AG"));
        assert_eq!(bacnet(8), Some("Delta Controls"));
        assert_eq!(bacnet(24), Some("Automated Logic Corporation"));
        assert_eq!(bacnet(36), Some("Tridium Inc."));
    }

    #[test]
    fn names_every_id_of_a_holder_with_several() {
        for id in [7, 9, 22] {
            assert_eq!(bacnet(id), Some("Siemens Schweiz AG"), "id {id}");
        }
    }

    #[test]
    fn keeps_names_outside_ascii() {
        assert_eq!(bacnet(73), Some("ABB Gebäudetechnik AG Bereich NetServ"));
    }

    #[test]
    fn names_no_bacnet_vendor_for_reserved_or_unassigned_ids() {
        // ASHRAE keeps 555 for itself; 1395 is missing from the snapshot; the list ends at 1640.
        assert_eq!(bacnet(555), None);
        assert_eq!(bacnet(1395), None);
        assert_eq!(bacnet(1641), None);
        assert_eq!(bacnet(u16::MAX), None);
    }

    #[test]
    fn finds_the_first_and_last_entries() {
        for (table, find) in [(bacnet::TABLE, bacnet as fn(u16) -> _), (cip::TABLE, cip)] {
            let &(first, first_name) = table.first().expect("table is not empty");
            let &(last, last_name) = table.last().expect("table is not empty");
            assert_eq!(find(first), Some(first_name));
            assert_eq!(find(last), Some(last_name));
        }
    }
}
