//! Step 4: the StatefulSet's identity, ordered decisions, partitioned updates and status,
//! state by state. Pure.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use lab_03::statefulset::adopt::claim_pods;
use lab_03::statefulset::decide::{Actions, NewPod, Revisions, decide};
use lab_03::statefulset::identity::{
    POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL, claims, new_pod, parent_and_ordinal,
};
use lab_03::statefulset::status::{calculate_status, revision_data, revision_template};
use serde_json::{Value, json};

const OLD: Revisions<'static> = Revisions {
    current: "web-old",
    update: "web-old",
};
const UPDATE: Revisions<'static> = Revisions {
    current: "web-old",
    update: "web-new",
};

/// The StatefulSet `web` with `replicas`, `policy` and `strategy` (JSON `updateStrategy`).
fn web(replicas: i32, policy: &str, strategy: &Value) -> StatefulSet {
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "sts-uid", "generation": 2},
        "spec": {
            "replicas": replicas,
            "serviceName": "nginx",
            "podManagementPolicy": policy,
            "updateStrategy": strategy,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                          "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    }))
    .expect("a StatefulSet")
}

fn ordered(replicas: i32) -> StatefulSet {
    web(replicas, "OrderedReady", &json!({"type": "RollingUpdate"}))
}

/// Pod `web-<ordinal>` of `revision` in `phase` (Running ones are Ready unless `ready` is off).
fn pod(set: &StatefulSet, ordinal: i32, revision: &str, phase: &str, ready: bool) -> Arc<Pod> {
    let template = set.spec.as_ref().unwrap().template.clone();
    let mut pod = new_pod(set, &template, revision, ordinal);
    let ready = if ready && phase == "Running" {
        "True"
    } else {
        "False"
    };
    pod.status = serde_json::from_value(json!({
        "phase": phase,
        "conditions": [{"type": "Ready", "status": ready}]
    }))
    .ok();
    Arc::new(pod)
}

fn running(set: &StatefulSet, ordinals: std::ops::Range<i32>, revision: &str) -> Vec<Arc<Pod>> {
    ordinals
        .map(|i| pod(set, i, revision, "Running", true))
        .collect()
}

fn terminating(pod: &Arc<Pod>) -> Arc<Pod> {
    let mut pod = (**pod).clone();
    pod.metadata.deletion_timestamp = serde_json::from_value(json!("2024-01-01T00:00:00Z")).ok();
    Arc::new(pod)
}

/// The time of the decisions (pods became ready at 2024-01-01T00:00:00Z when it matters).
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200 + 3600)
}

fn created(actions: &Actions) -> Vec<i32> {
    actions.create.iter().map(|c| c.ordinal).collect()
}

fn names(pods: &[Arc<Pod>]) -> Vec<String> {
    pods.iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect()
}

fn deleted(actions: &Actions) -> Vec<String> {
    names(&actions.delete)
}

#[test]
fn step4_statefulset_pods_have_ordinal_names_identity_labels_hostname_and_their_claim() {
    let set = ordered(3);
    let template = set.spec.as_ref().unwrap().template.clone();
    let pod = new_pod(&set, &template, "web-abc", 2);
    assert_eq!(pod.metadata.name.as_deref(), Some("web-2"));
    let labels = pod.metadata.labels.clone().unwrap();
    assert_eq!(labels[POD_NAME_LABEL], "web-2");
    assert_eq!(labels[POD_INDEX_LABEL], "2");
    assert_eq!(labels[REVISION_LABEL], "web-abc");
    assert_eq!(labels["app"], "web");
    let owner = &pod.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("StatefulSet", "sts-uid", Some(true))
    );
    let spec = pod.spec.unwrap();
    assert_eq!(spec.hostname.as_deref(), Some("web-2"));
    assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
    let volumes = spec.volumes.unwrap();
    assert_eq!(volumes.len(), 1);
    assert_eq!(volumes[0].name, "data");
    assert_eq!(
        volumes[0]
            .persistent_volume_claim
            .as_ref()
            .unwrap()
            .claim_name,
        "data-web-2"
    );

    let claims = claims(&set, 2);
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].metadata.name.as_deref(), Some("data-web-2"));
    assert_eq!(claims[0].metadata.labels.as_ref().unwrap()["app"], "web");
    assert!(
        claims[0].metadata.owner_references.is_none(),
        "Retain: no owner"
    );

    assert_eq!(parent_and_ordinal("web-12"), Some(("web", 12)));
    assert_eq!(parent_and_ordinal("my-db-0"), Some(("my-db", 0)));
    assert_eq!(parent_and_ordinal("web-x"), None);
    assert_eq!(parent_and_ordinal("web"), None);
}

#[test]
fn step4_statefulset_ordered_scale_up_creates_one_ordinal_after_the_previous_is_ready() {
    let set = ordered(3);
    let none = decide(&set, &[], OLD, now());
    assert_eq!(
        none.create,
        [NewPod {
            ordinal: 0,
            revision: "web-old".into()
        }]
    );
    assert!(none.delete.is_empty());

    // web-0 exists but is Pending, then Running but not Ready: wait.
    let pending = vec![pod(&set, 0, "web-old", "Pending", false)];
    assert_eq!(decide(&set, &pending, OLD, now()), Actions::default());
    let unready = vec![pod(&set, 0, "web-old", "Running", false)];
    assert_eq!(decide(&set, &unready, OLD, now()), Actions::default());

    // web-0 Running and Ready: web-1, and only web-1.
    assert_eq!(
        created(&decide(&set, &running(&set, 0..1, "web-old"), OLD, now())),
        [1]
    );
    assert_eq!(
        created(&decide(&set, &running(&set, 0..2, "web-old"), OLD, now())),
        [2]
    );
    assert_eq!(
        decide(&set, &running(&set, 0..3, "web-old"), OLD, now()),
        Actions::default()
    );
}

#[test]
fn step4_statefulset_ordered_start_waits_min_ready_seconds_after_ready() {
    let mut set = ordered(2);
    set.spec.as_mut().unwrap().min_ready_seconds = Some(10);
    let mut web_0 = (*pod(&set, 0, "web-old", "Running", true)).clone();
    let ready_at = "2024-01-01T00:00:00Z";
    web_0.status.as_mut().unwrap().conditions.as_mut().unwrap()[0].last_transition_time =
        serde_json::from_value(json!(ready_at)).ok();
    let pods = vec![Arc::new(web_0)];
    let ready = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200);
    let early = decide(&set, &pods, OLD, ready + Duration::from_secs(5));
    assert_eq!(early, Actions::default());
    let later = decide(&set, &pods, OLD, ready + Duration::from_secs(11));
    assert_eq!(created(&later), [1]);
}

#[test]
fn step4_statefulset_parallel_creates_and_deletes_all_at_once() {
    let set = web(3, "Parallel", &json!({"type": "RollingUpdate"}));
    assert_eq!(created(&decide(&set, &[], OLD, now())), [0, 1, 2]);
    let some = vec![pod(&set, 1, "web-old", "Pending", false)];
    assert_eq!(created(&decide(&set, &some, OLD, now())), [0, 2]);

    let set = web(1, "Parallel", &json!({"type": "RollingUpdate"}));
    let mut pods = running(&set, 0..4, "web-old");
    pods[2] = pod(&set, 2, "web-old", "Pending", false);
    assert_eq!(
        deleted(&decide(&set, &pods, OLD, now())),
        ["web-3", "web-2", "web-1"]
    );
}

#[test]
fn step4_statefulset_ordered_scale_down_removes_the_highest_ordinal_first_one_at_a_time() {
    let set = ordered(1);
    let pods = running(&set, 0..3, "web-old");
    let actions = decide(&set, &pods, OLD, now());
    assert_eq!(deleted(&actions), ["web-2"]);
    assert!(actions.create.is_empty());

    // web-2 terminating: wait for it to go before web-1.
    let mut going = pods.clone();
    going[2] = terminating(&pods[2]);
    assert_eq!(decide(&set, &going, OLD, now()), Actions::default());
    assert_eq!(deleted(&decide(&set, &pods[..2], OLD, now())), ["web-1"]);

    // A replica that is not Ready blocks the scale down.
    let mut unready = pods.clone();
    unready[0] = pod(&set, 0, "web-old", "Running", false);
    assert_eq!(decide(&set, &unready, OLD, now()), Actions::default());
}

#[test]
fn step4_statefulset_failed_pod_is_deleted_and_recreated_with_the_same_ordinal() {
    let set = ordered(3);
    let mut pods = running(&set, 0..3, "web-old");
    pods[1] = pod(&set, 1, "web-old", "Failed", false);
    let actions = decide(&set, &pods, OLD, now());
    assert_eq!(deleted(&actions), ["web-1"]);
    assert_eq!(created(&actions), [1]);
}

#[test]
fn step4_statefulset_rolling_update_replaces_from_the_highest_ordinal_waiting_for_ready() {
    let set = ordered(3);
    let pods = running(&set, 0..3, "web-old");
    assert_eq!(deleted(&decide(&set, &pods, UPDATE, now())), ["web-2"]);
    // web-2 gone: it comes back from the update revision.
    let back = decide(&set, &pods[..2], UPDATE, now());
    assert_eq!(
        back.create,
        [NewPod {
            ordinal: 2,
            revision: "web-new".into()
        }]
    );
    assert!(back.delete.is_empty());
    // The new web-2 not Ready yet: web-1 waits.
    let mut next = pods.clone();
    next[2] = pod(&set, 2, "web-new", "Running", false);
    assert_eq!(decide(&set, &next, UPDATE, now()), Actions::default());
    next[2] = pod(&set, 2, "web-new", "Running", true);
    assert_eq!(deleted(&decide(&set, &next, UPDATE, now())), ["web-1"]);
    // All updated: nothing to do.
    let done = running(&set, 0..3, "web-new");
    assert_eq!(decide(&set, &done, UPDATE, now()), Actions::default());
}

#[test]
fn step4_statefulset_partition_2_of_3_updates_only_web_2() {
    let set = web(
        3,
        "OrderedReady",
        &json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}),
    );
    let pods = running(&set, 0..3, "web-old");
    assert_eq!(deleted(&decide(&set, &pods, UPDATE, now())), ["web-2"]);
    let mut canary = pods.clone();
    canary[2] = pod(&set, 2, "web-new", "Running", true);
    assert_eq!(decide(&set, &canary, UPDATE, now()), Actions::default());
    // Below the partition, a lost pod comes back at the current revision.
    let lost: Vec<_> = vec![canary[0].clone(), canary[2].clone()];
    assert_eq!(
        decide(&set, &lost, UPDATE, now()).create,
        [NewPod {
            ordinal: 1,
            revision: "web-old".into()
        }]
    );
}

#[test]
fn step4_statefulset_on_delete_never_replaces_pods_itself() {
    let set = web(3, "OrderedReady", &json!({"type": "OnDelete"}));
    let pods = running(&set, 0..3, "web-old");
    assert_eq!(decide(&set, &pods, UPDATE, now()), Actions::default());
    // A pod deleted by hand comes back from the update revision.
    let back = decide(&set, &pods[..2], UPDATE, now());
    assert_eq!(back.create[0].revision, "web-new");
}

#[test]
fn step4_statefulset_status_counts_revisions_and_completes_the_rolling_update() {
    let set = ordered(3);
    let now = SystemTime::now();
    let mut pods = running(&set, 0..2, "web-old");
    pods.push(pod(&set, 2, "web-new", "Running", false));
    let status = calculate_status(&set, &pods, UPDATE, 0, now);
    assert_eq!(status.observed_generation, Some(2));
    assert_eq!(status.replicas, 3);
    assert_eq!(status.ready_replicas, Some(2));
    assert_eq!(status.available_replicas, Some(2));
    assert_eq!(status.current_replicas, Some(2));
    assert_eq!(status.updated_replicas, Some(1));
    assert_eq!(status.current_revision.as_deref(), Some("web-old"));
    assert_eq!(status.update_revision.as_deref(), Some("web-new"));
    assert_eq!(status.collision_count, Some(0));

    // Every pod updated and ready: the update revision becomes the current one.
    let done = running(&set, 0..3, "web-new");
    let status = calculate_status(&set, &done, UPDATE, 1, now);
    assert_eq!(status.current_revision.as_deref(), Some("web-new"));
    assert_eq!(status.current_replicas, Some(3));
    assert_eq!(status.updated_replicas, Some(3));
    assert_eq!(status.collision_count, Some(1));

    // A partitioned update never completes that way: web-0 and web-1 stay current.
    let partitioned = web(
        3,
        "OrderedReady",
        &json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}),
    );
    let mut pods = running(&partitioned, 0..2, "web-old");
    pods.push(pod(&partitioned, 2, "web-new", "Running", true));
    let status = calculate_status(&partitioned, &pods, UPDATE, 0, now);
    assert_eq!(status.current_revision.as_deref(), Some("web-old"));
    assert_eq!(status.updated_replicas, Some(1));
}

#[test]
fn step4_statefulset_revision_data_is_the_template_patch_kubectl_undo_applies() {
    let set = ordered(3);
    let data = revision_data(&set);
    assert_eq!(data["spec"]["template"]["$patch"], "replace");
    assert_eq!(
        data["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.25"
    );
    assert_eq!(data.as_object().unwrap().len(), 1);
    assert_eq!(
        revision_template(&data),
        Some(set.spec.as_ref().unwrap().template.clone())
    );
}

#[test]
fn step4_statefulset_adopts_orphans_with_member_names_and_releases_what_stops_matching() {
    let set = ordered(3);
    let orphan = |name: &str, app: &str| {
        Arc::new(
            serde_json::from_value::<Pod>(
                json!({"metadata": {"name": name, "labels": {"app": app}}}),
            )
            .unwrap(),
        )
    };
    let mut relabelled = (*pod(&set, 1, "web-old", "Running", true)).clone();
    relabelled.metadata.labels = Some([("app".to_owned(), "debug".to_owned())].into());
    let owned = pod(&set, 0, "web-old", "Running", true);
    let pods = vec![
        owned.clone(),
        Arc::new(relabelled),
        orphan("web-2", "web"),
        orphan("web-x", "web"),
        orphan("db-0", "web"),
        orphan("web-3", "db"),
    ];
    let claims = claim_pods(&set, &pods).unwrap();
    assert_eq!(claims.owned, [owned]);
    assert_eq!(names(&claims.adopt), ["web-2"]);
    assert_eq!(names(&claims.release), ["web-1"]);
}
