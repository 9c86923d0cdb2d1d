//! `apps/v1` defaults (`pkg/apis/apps/v1/defaults.go`): one replica, rolling updates, ten old
//! revisions kept, and the pod defaults for each template.

use serde_json::{Value, json};

use super::core::default_pvc;
use super::pod::default_pod_template;
use super::{items_mut, object_at, set_default};

// ANCHOR: deployment
/// `SetDefaults_Deployment`: 1 replica, a `RollingUpdate` strategy of 25% surge and 25%
/// unavailable, 10 old ReplicaSets kept, 600 s to progress, and the pod template's defaults.
pub(crate) fn default_deployment(deployment: &mut Value) {
    // BEGIN SOLUTION step-2: replicas, strategy (type, then rollingUpdate's two fields), revisionHistoryLimit, progressDeadlineSeconds, then the template
    let Some(spec) = object_at(deployment, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    if let Some(strategy) = object_at(spec, "strategy") {
        set_default(strategy, "type", json!("RollingUpdate"));
        // Only a rolling update has the two knobs; a `Recreate` strategy stays bare.
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(rolling) = object_at(strategy, "rollingUpdate")
        {
            set_default(rolling, "maxUnavailable", json!("25%"));
            set_default(rolling, "maxSurge", json!("25%"));
        }
    }
    set_default(spec, "revisionHistoryLimit", json!(10));
    set_default(spec, "progressDeadlineSeconds", json!(600));
    if let Some(template) = object_at(spec, "template") {
        default_pod_template(template);
    }
    // END SOLUTION
}
// ANCHOR_END: deployment

/// `SetDefaults_ReplicaSet`: 1 replica.
pub(crate) fn default_replica_set(replica_set: &mut Value) {
    let Some(spec) = object_at(replica_set, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    if let Some(template) = object_at(spec, "template") {
        default_pod_template(template);
    }
}

/// `SetDefaults_DaemonSet`: a rolling update one node at a time (maxUnavailable 1, maxSurge
/// 0), 10 old revisions kept.
pub(crate) fn default_daemon_set(daemon_set: &mut Value) {
    let Some(spec) = object_at(daemon_set, "spec") else {
        return;
    };
    if let Some(strategy) = object_at(spec, "updateStrategy") {
        set_default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(rolling) = object_at(strategy, "rollingUpdate")
        {
            set_default(rolling, "maxUnavailable", json!(1));
            set_default(rolling, "maxSurge", json!(0));
        }
    }
    set_default(spec, "revisionHistoryLimit", json!(10));
    if let Some(template) = object_at(spec, "template") {
        default_pod_template(template);
    }
}

/// `SetDefaults_StatefulSet`: pods one by one (`OrderedReady`), a rolling update from
/// partition 0, 1 replica, 10 old revisions, PVCs kept on delete and scale-down, and the PVC
/// defaults for each claim template.
pub(crate) fn default_stateful_set(stateful_set: &mut Value) {
    let Some(spec) = object_at(stateful_set, "spec") else {
        return;
    };
    set_default(spec, "podManagementPolicy", json!("OrderedReady"));
    if let Some(strategy) = object_at(spec, "updateStrategy") {
        let type_missing = strategy
            .get("type")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if type_missing {
            // Only a defaulted type brings a defaulted rollingUpdate; an explicit
            // `RollingUpdate` without one stays without one, as in the real defaults.
            if let Some(map) = strategy.as_object_mut() {
                map.insert("type".to_string(), json!("RollingUpdate"));
            }
            set_default(strategy, "rollingUpdate", json!({}));
        }
        if let Some(rolling) = strategy.get_mut("rollingUpdate").filter(|r| r.is_object()) {
            set_default(rolling, "partition", json!(0));
        }
    }
    if let Some(policy) = object_at(spec, "persistentVolumeClaimRetentionPolicy") {
        set_default(policy, "whenDeleted", json!("Retain"));
        set_default(policy, "whenScaled", json!("Retain"));
    }
    set_default(spec, "replicas", json!(1));
    set_default(spec, "revisionHistoryLimit", json!(10));
    if let Some(template) = object_at(spec, "template") {
        default_pod_template(template);
    }
    for claim in items_mut(spec, "volumeClaimTemplates") {
        default_pvc(claim);
    }
}
