//! Step 3's pure decisions: fenceposts, the pod-template-hash, revisions and history, the
//! status and its conditions, proportional scaling, with no apiserver.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use lab_03::deployment::hash::{
    compute_hash, deployment_template, equal_ignore_hash, find_new_replica_set,
    find_old_replica_sets, new_replica_set,
};
use lab_03::deployment::history::{history_to_delete, set_new_replica_set_annotations};
use lab_03::deployment::recreate::old_pods_running;
use lab_03::deployment::replicas::{max_surge, max_unavailable, resolve_fenceposts, scaled_value};
use lab_03::deployment::rolling::{Scale, reconcile_old_replica_sets};
use lab_03::deployment::scale::{is_scaling_event, scale};
use lab_03::deployment::status::{
    calculate_status, get_condition, paused_condition, rollout_status,
};
use lab_03::pods::to_time;
use serde_json::json;

use super::rollout::{deployment, old_rs, rolling};

/// 2024-01-01T00:00:00Z.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200)
}

fn percent(text: &str) -> IntOrString {
    IntOrString::String(text.to_owned())
}

fn with_annotations(mut rs: ReplicaSet, pairs: &[(&str, &str)]) -> ReplicaSet {
    let annotations = rs.metadata.annotations.get_or_insert_default();
    for (key, value) in pairs {
        annotations.insert((*key).to_owned(), (*value).to_owned());
    }
    rs
}

fn sizes(scales: Vec<Scale>) -> Vec<(String, i32)> {
    scales.into_iter().map(|s| (s.name, s.replicas)).collect()
}

#[test]
fn step3_percentages_round_up_for_surge_and_down_for_unavailable() {
    assert_eq!(scaled_value(&percent("25%"), 10, true), Some(3));
    assert_eq!(scaled_value(&percent("25%"), 10, false), Some(2));
    assert_eq!(scaled_value(&percent("100%"), 7, false), Some(7));
    assert_eq!(scaled_value(&IntOrString::Int(4), 10, true), Some(4));
    assert_eq!(scaled_value(&percent("25"), 10, true), None);
    // The defaults on 10 replicas: 3 more pods, 2 fewer available.
    let d = deployment(10, rolling(json!("25%"), json!("25%")));
    assert_eq!((max_surge(&d), max_unavailable(&d)), (3, 2));
    // 1 replica at 25%/25%: surge 1 (0.25 up), unavailable 0 (0.25 down).
    assert_eq!(resolve_fenceposts(&d, 1), (1, 0));
}

#[test]
fn step3_zero_surge_and_zero_unavailable_resolve_to_one_unavailable() {
    let d = deployment(3, rolling(json!("10%"), json!("10%")));
    // 10% of 3: surge rounds up to 1, so unavailable stays 0.
    assert_eq!(resolve_fenceposts(&d, 3), (1, 0));
    let d = deployment(3, rolling(json!(0), json!("10%")));
    assert_eq!(resolve_fenceposts(&d, 3), (0, 1));
    // Never more unavailable than replicas; Recreate has neither.
    let d = deployment(2, rolling(json!(0), json!(5)));
    assert_eq!(max_unavailable(&d), 2);
    let d = deployment(2, json!({"type": "Recreate"}));
    assert_eq!((max_surge(&d), max_unavailable(&d)), (0, 0));
}

#[test]
fn step3_pod_template_hash_names_and_labels_the_new_replica_set() {
    let d = deployment(3, rolling(json!(1), json!(1)));
    let template = deployment_template(&d);
    let hash = compute_hash(&template, None);
    assert_eq!(hash, compute_hash(&template.clone(), None), "stable");
    assert!(
        hash.chars()
            .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
        "{hash}"
    );
    assert_ne!(
        hash,
        compute_hash(&template, Some(1)),
        "the collision count changes it"
    );
    let mut other = template.clone();
    other.spec.as_mut().expect("spec").containers[0].image = Some("nginx:1.27".to_owned());
    assert_ne!(hash, compute_hash(&other, None));

    let rs = new_replica_set(&d, 2);
    assert_eq!(
        rs.metadata.name.as_deref(),
        Some(format!("web-{hash}").as_str())
    );
    let spec = rs.spec.clone().expect("spec");
    assert_eq!(spec.replicas, Some(2));
    let selector = spec.selector.match_labels.expect("matchLabels");
    assert_eq!(selector.get("pod-template-hash"), Some(&hash));
    assert_eq!(selector.get("app").map(String::as_str), Some("web"));
    let labels = spec
        .template
        .clone()
        .and_then(|t| t.metadata)
        .and_then(|m| m.labels);
    assert_eq!(
        labels.as_ref().and_then(|l| l.get("pod-template-hash")),
        Some(&hash)
    );
    let owner = &rs.metadata.owner_references.clone().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("Deployment", "d-uid", Some(true))
    );
    // The new ReplicaSet's template equals the Deployment's but for the hash.
    assert!(equal_ignore_hash(
        &spec.template.expect("template"),
        &template
    ));
}

#[test]
fn step3_the_new_replica_set_is_the_oldest_with_the_current_template() {
    let d = deployment(3, rolling(json!(1), json!(1)));
    let old = old_rs("web-old", 0, 3, 3);
    let mut current = new_replica_set(&d, 1);
    current.metadata.uid = Some("new-uid".to_owned());
    current.metadata.creation_timestamp = Some(to_time(now()));
    let rss = [old.clone(), current.clone()];
    let found = find_new_replica_set(&d, &rss).expect("a new ReplicaSet");
    assert_eq!(found.metadata.uid.as_deref(), Some("new-uid"));
    let olds = find_old_replica_sets(&d, &rss);
    assert_eq!(olds.len(), 1);
    assert_eq!(olds[0].metadata.name.as_deref(), Some("web-old"));
    assert!(find_new_replica_set(&d, &[old]).is_none());
}

#[test]
fn step3_old_unhealthy_pods_are_scaled_down_first() {
    // 10 replicas, surge 3, unavailable 2; the new ReplicaSet has 5 pods, none available yet;
    // an old ReplicaSet has 8 pods of which only 2 are available.
    let d = deployment(10, rolling(json!(3), json!(2)));
    let mut new = new_replica_set(&d, 5);
    new.status = Some(Default::default());
    let old = old_rs("web-old", 0, 8, 2);
    // maxScaledDown = 13 - 8 - 5 = 0: nothing may go.
    assert!(reconcile_old_replica_sets(&d, std::slice::from_ref(&old), &new).is_empty());
    // With 4 new pods available: maxScaledDown = 13 - 8 - 1 = 4, all of them unhealthy old
    // ones; then 2 + 4 available is not above 8 so no healthy pod goes.
    new.status = serde_json::from_value(json!({"replicas": 5, "availableReplicas": 4})).ok();
    assert_eq!(
        sizes(reconcile_old_replica_sets(&d, &[old], &new)),
        [("web-old".to_owned(), 4)]
    );
}

#[test]
fn step3_healthy_old_pods_go_while_enough_stay_available() {
    let d = deployment(10, rolling(json!(3), json!(2)));
    let mut new = new_replica_set(&d, 3);
    new.status = serde_json::from_value(json!({"replicas": 3, "availableReplicas": 3})).ok();
    // Two old ReplicaSets, the older one first: available 10 + 3 = 13, min 8: 5 may go.
    let old = [old_rs("web-b", 5, 6, 6), old_rs("web-a", 1, 4, 4)];
    assert_eq!(
        sizes(reconcile_old_replica_sets(&d, &old, &new)),
        [("web-a".to_owned(), 0), ("web-b".to_owned(), 5)]
    );
}

#[test]
fn step3_proportional_scaling_shares_new_replicas_by_size_mid_rollout() {
    // 10 replicas + surge 3 = 13 pods: 8 old, 5 new. Scaled to 15 (18 allowed): 5 more, shared
    // 8*18/13 = 11 (+3) and 5*18/13 = 7 (+2).
    let mut d = deployment(15, rolling(json!(3), json!(2)));
    let annotate = |rs: ReplicaSet| {
        with_annotations(
            rs,
            &[
                ("deployment.kubernetes.io/desired-replicas", "10"),
                ("deployment.kubernetes.io/max-replicas", "13"),
            ],
        )
    };
    let old = annotate(old_rs("web-old", 0, 8, 8));
    let mut new = annotate(new_replica_set(&d, 5));
    new.metadata.creation_timestamp = Some(to_time(now()));
    assert!(is_scaling_event(&d, &[old.clone(), new.clone()]));
    let mut scales = sizes(scale(&d, Some(&new), std::slice::from_ref(&old)));
    scales.sort();
    let new_name = new.metadata.name.clone().expect("name");
    let mut expected = vec![("web-old".to_owned(), 11), (new_name.clone(), 7)];
    expected.sort();
    assert_eq!(scales, expected);
    // Scaled down to 5 (8 allowed): 5 fewer, 8*8/13 = 5 (-3) and 5*8/13 = 3 (-2).
    if let Some(spec) = d.spec.as_mut() {
        spec.replicas = Some(5);
    }
    let mut scales = sizes(scale(&d, Some(&new), &[old]));
    scales.sort();
    let mut expected = vec![("web-old".to_owned(), 5), (new_name, 3)];
    expected.sort();
    assert_eq!(scales, expected);
}

#[test]
fn step3_scaling_with_one_active_replica_set_sets_it_to_the_new_size() {
    let d = deployment(5, rolling(json!(1), json!(1)));
    let old = with_annotations(
        old_rs("web-old", 0, 3, 3),
        &[("deployment.kubernetes.io/desired-replicas", "3")],
    );
    assert!(is_scaling_event(&d, std::slice::from_ref(&old)));
    assert_eq!(sizes(scale(&d, None, &[old])), [("web-old".to_owned(), 5)]);
}

#[test]
fn step3_revisions_change_cause_and_rollback_history_on_replica_sets() {
    let mut d = deployment(3, rolling(json!(1), json!(1)));
    d.metadata.annotations = Some(
        [
            (
                "kubernetes.io/change-cause",
                "kubectl set image nginx=nginx:1.26",
            ),
            ("kubectl.kubernetes.io/last-applied-configuration", "{}"),
            ("deployment.kubernetes.io/revision", "7"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    );
    let mut rs = new_replica_set(&d, 1);
    assert!(set_new_replica_set_annotations(&d, &mut rs, 3, false));
    let annotations = rs.metadata.annotations.clone().expect("annotations");
    let get = |key: &str| annotations.get(key).map(String::as_str);
    assert_eq!(get("deployment.kubernetes.io/revision"), Some("3"));
    assert_eq!(
        get("kubernetes.io/change-cause"),
        Some("kubectl set image nginx=nginx:1.26")
    );
    assert_eq!(
        get("kubectl.kubernetes.io/last-applied-configuration"),
        None
    );
    assert_eq!(get("deployment.kubernetes.io/desired-replicas"), Some("3"));
    assert_eq!(get("deployment.kubernetes.io/max-replicas"), Some("4"));
    // Nothing to change the second time.
    assert!(!set_new_replica_set_annotations(&d, &mut rs, 3, true));
    // Rolled back to: revision 5, and 3 goes to the history.
    assert!(set_new_replica_set_annotations(&d, &mut rs, 5, true));
    let annotations = rs.metadata.annotations.clone().expect("annotations");
    assert_eq!(
        annotations
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("5")
    );
    assert_eq!(
        annotations
            .get("deployment.kubernetes.io/revision-history")
            .map(String::as_str),
        Some("3")
    );
    assert!(set_new_replica_set_annotations(&d, &mut rs, 8, true));
    let annotations = rs.metadata.annotations.clone().expect("annotations");
    assert_eq!(
        annotations
            .get("deployment.kubernetes.io/revision-history")
            .map(String::as_str),
        Some("3,5")
    );
}

#[test]
fn step3_history_beyond_the_limit_is_deleted_lowest_revision_first() {
    let mut d = deployment(3, rolling(json!(1), json!(1)));
    if let Some(spec) = d.spec.as_mut() {
        spec.revision_history_limit = Some(1);
    }
    let rev = |name: &str, revision: &str, replicas: i32| {
        with_annotations(
            old_rs(name, 0, replicas, replicas),
            &[("deployment.kubernetes.io/revision", revision)],
        )
    };
    let old = [
        rev("r3", "3", 0),
        rev("r1", "1", 0),
        rev("r2", "2", 1),
        rev("r4", "4", 0),
    ];
    // 4 old, keep 1: the three lowest revisions, but r2 still has a pod.
    assert_eq!(history_to_delete(&d, &old), ["r1", "r3"]);
    if let Some(spec) = d.spec.as_mut() {
        spec.revision_history_limit = None;
    }
    assert!(history_to_delete(&d, &old).is_empty());
}

#[test]
fn step3_status_counts_pods_and_sets_the_available_condition() {
    let d = deployment(3, rolling(json!(1), json!(1)));
    let mut new = new_replica_set(&d, 2);
    new.status =
        serde_json::from_value(json!({"replicas": 2, "readyReplicas": 1, "availableReplicas": 1}))
            .ok();
    let old = old_rs("web-old", 0, 2, 1);
    let status = calculate_status(&d, &[old.clone(), new.clone()], Some(&new), now());
    assert_eq!(status.replicas, Some(4));
    assert_eq!(status.updated_replicas, Some(2));
    assert_eq!(status.ready_replicas, Some(1));
    assert_eq!(status.available_replicas, Some(2));
    assert_eq!(status.unavailable_replicas, Some(2));
    assert_eq!(status.observed_generation, Some(2));
    let available = get_condition(&status, "Available").expect("Available");
    assert_eq!(
        (available.status.as_str(), available.reason.as_deref()),
        ("True", Some("MinimumReplicasAvailable"))
    );
    // 1 available < 3 - 1.
    let old = old_rs("web-old", 0, 2, 0);
    let status = calculate_status(&d, &[old, new.clone()], Some(&new), now());
    let available = get_condition(&status, "Available").expect("Available");
    assert_eq!(
        (available.status.as_str(), available.reason.as_deref()),
        ("False", Some("MinimumReplicasUnavailable"))
    );
    assert_eq!(
        available.message.as_deref(),
        Some("Deployment does not have minimum availability.")
    );
}

fn with_deadline(mut d: Deployment, seconds: i32) -> Deployment {
    if let Some(spec) = d.spec.as_mut() {
        spec.progress_deadline_seconds = Some(seconds);
    }
    d
}

#[test]
fn step3_progressing_condition_updated_complete_then_timed_out() {
    let mut d = with_deadline(deployment(2, rolling(json!(1), json!(0))), 60);
    let mut new = new_replica_set(&d, 2);
    new.status = serde_json::from_value(json!({"replicas": 1, "availableReplicas": 0})).ok();
    // Progress (an updated pod more than before): ReplicaSetUpdated.
    let status = rollout_status(&d, &[new.clone()], Some(&new), now());
    let name = new.metadata.name.clone().expect("name");
    let progressing = get_condition(&status, "Progressing").expect("Progressing");
    assert_eq!(
        (progressing.status.as_str(), progressing.reason.as_deref()),
        ("True", Some("ReplicaSetUpdated"))
    );
    assert_eq!(
        progressing.message.clone(),
        Some(format!("ReplicaSet {name:?} is progressing."))
    );
    d.status = Some(status);
    // No progress for 61 s: ProgressDeadlineExceeded.
    let later = now() + Duration::from_secs(61);
    let status = rollout_status(&d, &[new.clone()], Some(&new), later);
    let progressing = get_condition(&status, "Progressing").expect("Progressing");
    assert_eq!(
        (progressing.status.as_str(), progressing.reason.as_deref()),
        ("False", Some("ProgressDeadlineExceeded"))
    );
    // Within the deadline, nothing changes.
    let status = rollout_status(
        &d,
        &[new.clone()],
        Some(&new),
        now() + Duration::from_secs(30),
    );
    assert_eq!(status, d.status.clone().expect("status"));
    // Every pod updated and available: NewReplicaSetAvailable.
    new.status =
        serde_json::from_value(json!({"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}))
            .ok();
    let status = rollout_status(&d, &[new.clone()], Some(&new), later);
    let progressing = get_condition(&status, "Progressing").expect("Progressing");
    assert_eq!(
        (progressing.status.as_str(), progressing.reason.as_deref()),
        ("True", Some("NewReplicaSetAvailable"))
    );
    assert_eq!(
        progressing.message.clone(),
        Some(format!("ReplicaSet {name:?} has successfully progressed."))
    );
}

#[test]
fn step3_pausing_sets_progressing_unknown() {
    let mut d = with_deadline(deployment(2, rolling(json!(1), json!(0))), 60);
    if let Some(spec) = d.spec.as_mut() {
        spec.paused = Some(true);
    }
    let condition = paused_condition(&d, now()).expect("a condition");
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_deref()),
        ("Unknown", Some("DeploymentPaused"))
    );
    d.status = Some(Default::default());
    d.status.as_mut().expect("status").conditions = Some(vec![condition]);
    assert!(paused_condition(&d, now()).is_none(), "already paused");
    if let Some(spec) = d.spec.as_mut() {
        spec.paused = Some(false);
    }
    let condition = paused_condition(&d, now()).expect("a condition");
    assert_eq!(condition.reason.as_deref(), Some("DeploymentResumed"));
}

#[test]
fn step3_recreate_waits_for_every_old_pod_to_stop() {
    let mut old = old_rs("web-old", 0, 0, 0);
    old.status = serde_json::from_value(json!({"replicas": 0})).ok();
    let pod = |phase: &str| -> Arc<Pod> {
        Arc::new(serde_json::from_value(json!({
            "metadata": {"name": "p", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "web-old", "uid": "web-old-uid", "controller": true}]},
            "status": {"phase": phase}
        })).expect("a pod"))
    };
    assert!(old_pods_running(
        None,
        std::slice::from_ref(&old),
        &[pod("Running")]
    ));
    assert!(old_pods_running(
        None,
        std::slice::from_ref(&old),
        &[pod("Pending")]
    ));
    assert!(!old_pods_running(
        None,
        std::slice::from_ref(&old),
        &[pod("Succeeded")]
    ));
    assert!(!old_pods_running(None, std::slice::from_ref(&old), &[]));
    let mut reporting = old;
    reporting.status = serde_json::from_value(json!({"replicas": 1})).ok();
    assert!(old_pods_running(None, &[reporting], &[]));
}
