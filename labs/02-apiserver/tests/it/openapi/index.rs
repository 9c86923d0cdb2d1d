//! The index, `GET /openapi/v3`: one URL per served group-version, with a content hash.

use lab_02::openapi::{ServedResource, document_hash, group_version_path, index};
use serde_json::{Value, json};

use super::{GROUP_VERSIONS, document, served};

/// The hash in the index entry of `key` (e.g. `apis/apps/v1`).
fn hash_of(index: &Value, key: &str) -> String {
    let url = index["paths"][key]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("no entry for {key}"));
    url.split_once("?hash=").expect("a hash").1.to_owned()
}

#[test]
fn step5_index_lists_exactly_the_served_group_versions() {
    let listed = index(&served());
    let keys: Vec<&String> = listed["paths"].as_object().expect("paths").keys().collect();
    let mut expected: Vec<String> = GROUP_VERSIONS
        .iter()
        .map(|(group, version)| group_version_path(group, version))
        .collect();
    expected.sort();
    assert_eq!(keys, expected.iter().collect::<Vec<_>>());
    assert!(
        keys.contains(&&"api/v1".to_owned()),
        "the core group is api/v1"
    );
    assert!(keys.contains(&&"apis/networking.k8s.io/v1".to_owned()));
    assert_eq!(
        index(&[]),
        json!({ "paths": {} }),
        "nothing served, nothing listed"
    );
}

#[test]
fn step5_index_urls_carry_the_document_hash() {
    let listed = index(&served());
    for (group, version) in GROUP_VERSIONS {
        let key = group_version_path(group, version);
        let hash = document_hash(&document(group, version));
        assert_eq!(hash.len(), 128, "SHA-512 in hex");
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
            "upper-case hex, as the real server writes it: {hash}"
        );
        assert_eq!(
            listed["paths"][&key]["serverRelativeURL"],
            format!("/openapi/v3/{key}?hash={hash}"),
            "kubectl GETs exactly this URL"
        );
    }
}

#[test]
fn step5_index_hashes_are_stable() {
    assert_eq!(index(&served()), index(&served()), "same input, same index");

    let mut reversed = served();
    reversed.reverse();
    assert_eq!(
        index(&reversed),
        index(&served()),
        "the order of the registry does not matter"
    );

    // A new batch/v1 resource changes batch/v1's document, and no other.
    let mut more = served();
    more.push(ServedResource::new(
        "batch", "v1", "Widget", "widgets", true,
    ));
    let (before, after) = (index(&served()), index(&more));
    assert_ne!(
        hash_of(&before, "apis/batch/v1"),
        hash_of(&after, "apis/batch/v1")
    );
    assert_eq!(
        hash_of(&before, "apis/apps/v1"),
        hash_of(&after, "apis/apps/v1")
    );

    let hashes: std::collections::BTreeSet<String> = GROUP_VERSIONS
        .iter()
        .map(|(group, version)| hash_of(&before, &group_version_path(group, version)))
        .collect();
    assert_eq!(hashes.len(), GROUP_VERSIONS.len(), "one hash per document");
}
