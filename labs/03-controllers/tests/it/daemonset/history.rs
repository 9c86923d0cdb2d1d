//! Step 4: a DaemonSet's ControllerRevisions, pure: what a revision holds, which one is
//! current (a rollback finds an old one), and which old ones are deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet};
use k8s_openapi::api::core::v1::Pod;
use lab_03::daemonset::decide::{controller_ref, new_pod};
use lab_03::daemonset::revisions::{
    revision_data, revision_hash, revisions_to_delete, split_history,
};
use lab_03::history::{HASH_LABEL, new_revision};
use serde_json::json;

fn daemon_set(image: &str, history_limit: i32) -> DaemonSet {
    serde_json::from_value(json!({
        "metadata": {"name": "agent", "namespace": "default", "uid": "ds-uid"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "revisionHistoryLimit": history_limit,
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": image}]}
            }
        }
    }))
    .expect("a DaemonSet")
}

/// The revision `number` of the DaemonSet's template with `image`.
fn revision(image: &str, number: i64) -> Arc<ControllerRevision> {
    let ds = daemon_set(image, 10);
    let labels = BTreeMap::from([("app".to_owned(), "agent".to_owned())]);
    Arc::new(new_revision(
        &controller_ref(&ds),
        "default",
        &labels,
        revision_data(&ds),
        number,
        None,
    ))
}

fn numbers(revisions: &[Arc<ControllerRevision>]) -> Vec<i64> {
    revisions.iter().map(|r| r.revision).collect()
}

#[test]
fn step4_daemonset_revision_data_is_the_template_as_a_replace_patch() {
    let ds = daemon_set("agent:1", 10);
    assert_eq!(
        revision_data(&ds),
        json!({"spec": {"template": {
            "$patch": "replace",
            "metadata": {"labels": {"app": "agent"}},
            "spec": {"containers": [{"name": "agent", "image": "agent:1"}]}
        }}})
    );
    let revision = revision("agent:1", 1);
    let hash = revision.metadata.labels.as_ref().unwrap()[HASH_LABEL].clone();
    assert_eq!(revision.metadata.name, Some(format!("agent-{hash}")));
    assert_eq!(revision_hash(&revision), hash);
    // Pods made from it carry the same hash.
    let pod = new_pod(&ds, "n1", &hash);
    assert_eq!(
        pod.metadata.labels.unwrap()["controller-revision-hash"],
        hash
    );
}

#[test]
fn step4_daemonset_history_finds_the_current_revision_and_a_rollback_renumbers_it() {
    let revisions = [revision("agent:1", 1), revision("agent:2", 2)];
    // A new template: no current revision yet; it will be number 3.
    let history = split_history(&daemon_set("agent:3", 10), &revisions);
    assert_eq!(history.current, None);
    assert_eq!(numbers(&history.old), [1, 2]);
    assert_eq!(history.next_revision, 3);
    // The template of revision 2: current, nothing to renumber (2 is past every old one).
    let history = split_history(&daemon_set("agent:2", 10), &revisions);
    assert_eq!(history.current.as_ref().map(|r| r.revision), Some(2));
    assert_eq!(history.next_revision, 2);
    // Rolled back to revision 1's template: it is current and must become number 3.
    let history = split_history(&daemon_set("agent:1", 10), &revisions);
    assert_eq!(history.current.as_ref().map(|r| r.revision), Some(1));
    assert_eq!(numbers(&history.old), [2]);
    assert_eq!(history.next_revision, 3);
    // Another owner's revisions are not ours.
    let mut theirs = daemon_set("agent:1", 10);
    theirs.metadata.uid = Some("other".to_owned());
    assert_eq!(split_history(&theirs, &revisions).old, []);
}

#[test]
fn step4_daemonset_history_keeps_revision_history_limit_old_revisions_and_live_ones() {
    let old: Vec<_> = (1..=5)
        .map(|n| revision(&format!("agent:{n}"), n))
        .collect();
    let ds = daemon_set("agent:6", 2);
    // A pod still runs revision 1 (the update is not finished).
    let pod: Arc<Pod> = Arc::new(new_pod(&ds, "n1", &revision_hash(&old[0])));
    let doomed = revisions_to_delete(&ds, &old, &[pod]);
    assert_eq!(numbers(&doomed), [2, 3, 4]);
    assert_eq!(
        revisions_to_delete(&daemon_set("agent:6", 10), &old, &[]),
        []
    );
}
