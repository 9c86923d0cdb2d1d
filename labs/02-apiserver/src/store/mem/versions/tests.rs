//! Unit tests of one key's versions: reads at a revision, and what compaction may drop.

use bytes::Bytes;

use super::KeyHistory;
use crate::store::{Event, KeyValue};

const KEY: &str = "/registry/pods/default/web";

fn pair(value: &str, create_revision: i64, mod_revision: i64) -> KeyValue {
    KeyValue {
        key: KEY.into(),
        value: Bytes::copy_from_slice(value.as_bytes()),
        create_revision,
        mod_revision,
    }
}

/// web: created at 5 (v1), updated at 9 (v2), deleted at 12.
fn history() -> KeyHistory {
    let mut versions = KeyHistory::default();
    let (v1, v2) = (pair("v1", 5, 5), pair("v2", 5, 9));
    versions.record(&Event::Put {
        kv: v1.clone(),
        prev: None,
    });
    versions.record(&Event::Put {
        kv: v2.clone(),
        prev: Some(v1),
    });
    versions.record(&Event::Delete {
        key: KEY.into(),
        prev: v2,
        revision: 12,
    });
    versions
}

#[test]
fn a_read_sees_the_newest_version_at_or_before_its_revision() {
    let versions = history();
    assert_eq!(versions.at(KEY, 4), None);
    assert_eq!(versions.at(KEY, 5), Some(pair("v1", 5, 5)));
    assert_eq!(versions.at(KEY, 8), Some(pair("v1", 5, 5)));
    assert_eq!(versions.at(KEY, 11), Some(pair("v2", 5, 9)));
    assert_eq!(versions.at(KEY, 12), None);
    assert_eq!(versions.latest(KEY), None);
}

#[test]
fn pruning_keeps_what_a_read_at_the_compaction_revision_sees() {
    let mut versions = history();
    assert!(!versions.prune(10));
    assert_eq!(versions.at(KEY, 10), Some(pair("v2", 5, 9)));
    assert_eq!(versions.at(KEY, 12), None);
}

#[test]
fn pruning_past_a_delete_leaves_nothing() {
    let mut versions = history();
    assert!(versions.prune(12));
}
