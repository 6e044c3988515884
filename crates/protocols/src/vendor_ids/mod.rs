//! Names for the numeric vendor ids that industrial protocols carry, from registry tables
//! embedded at build time.
//!
//! Dissectors keep a vendor id as a number in their records (`vendor_id`) and ask here for the
//! name to put in an identity: [`bacnet`] for the BACnet vendor identifier of an I-Am or of
//! a device object's `vendor-identifier` property.
//!
//! # Sources
//!
//! Each table is a generated file, `sorted (id, name)` pairs, that
//! `scripts/update-vendor-ids.sh` writes from a Python package pinned by version and SHA-256.
//! The script reads the package as a zip archive (it never imports or runs it), collapses
//! runs of white space in names, leaves out entries that name nobody, and refuses an id that
//! appears twice; two runs give the same bytes. To update a table, change the package's
//! version and hash at the top of the script and run it (it downloads the wheel with pip, or
//! reads it from `VENDOR_ID_WHEELS=dir`).
//!
//! | table | registry | source | licence | ids |
//! |---|---|---|---|---|
//! | `bacnet.rs` | ASHRAE's BACnet vendor identifiers | `ace-bacnet-devices` 0.2.1, `vendors/data/vendor-ids.json`, its snapshot of ASHRAE's published list | MIT | 1,631 of 0–1640 |
//!
//! The BACnet table leaves out the ids ASHRAE keeps for itself ("Reserved for ASHRAE": 555,
//! 666, 777, 888, 911, 999, 1111) and the three the snapshot lacks (1395, 1400, 1520); a
//! holder of several ids (Siemens Schweiz AG has 7, 9 and 22) is named under each.
//!
//! PROFINET vendor ids (assigned by PROFIBUS & PROFINET International) are not mapped: no
//! permissively licensed machine-readable copy of that list could be found, and the copies
//! that exist are under the GPL.
//!
//! # Design
//!
//! A sorted static slice searched by halves costs no start-up, no heap and no build step, and
//! diffs line by line when a registry is updated; a `match` would compile to much the same
//! but hide the sortedness the search relies on, which a test checks instead. Unlike the MAC
//! vendor table (`rampart-oui`), these are a few thousand entries and live in this crate.

mod bacnet;

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
    fn first_and_last_entries_are_found() {
        let &(first, first_name) = bacnet::TABLE.first().expect("table is not empty");
        let &(last, last_name) = bacnet::TABLE.last().expect("table is not empty");
        assert_eq!(bacnet(first), Some(first_name));
        assert_eq!(bacnet(last), Some(last_name));
    }
}
