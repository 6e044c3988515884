#![no_main]
//! STIX 2.1 bundles. The first byte chooses what the rest is: a whole bundle (even), or the
//! pattern of one indicator in a bundle built around it (odd), which reaches the pattern
//! parser far more often than whole random JSON would. What loads must match in the index
//! the value it was loaded from.

use rampart_detect::intel::index::Index;
use rampart_detect::intel::indicator::Target;
use rampart_detect::intel::stix;
use rampart_event::Timestamp;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let bundle = if mode % 2 == 0 {
        text.to_string()
    } else {
        serde_json::json!({"type": "bundle", "id": "bundle--f", "objects": [{
            "type": "indicator", "id": "indicator--f", "pattern_type": "stix",
            "pattern": text, "valid_from": "2026-01-01T00:00:00Z"}]})
        .to_string()
    };
    let Ok(loaded) = stix::parse(&bundle, "fuzz.json") else {
        return;
    };
    assert!(loaded.unsupported.len() <= stix::MAX_LISTED);
    assert!(loaded.unsupported.len() <= loaded.unsupported_count);
    let mut index = Index::default();
    for indicator in &loaded.indicators {
        index.insert(indicator.clone());
    }
    let t = Timestamp(0);
    for indicator in &loaded.indicators {
        if !indicator.valid_at(t) {
            continue;
        }
        let found = match &indicator.target {
            Target::Ip(ip) => index.ip(*ip, t).is_some(),
            Target::Cidr(net) => {
                index.ip(net.network(), t).is_some() && index.ip(net.broadcast(), t).is_some()
            }
            Target::Domain(d) => {
                index.domain(d, t).is_some() && index.domain(&format!("x.{d}"), t).is_some()
            }
            Target::Url { host, path } => index
                .url(host, if path.is_empty() { "/" } else { path }, t)
                .is_some(),
            Target::Ja3(f) | Target::Ja4(f) => index.fingerprint(f, t).is_some(),
        };
        assert!(found, "{:?} does not match itself", indicator.target);
    }
});
