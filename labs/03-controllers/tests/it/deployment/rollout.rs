//! Step 3: the rolling update drawn state by state, by running the pure decisions against a
//! simulated world (the ReplicaSet controller and kubelets reduced to "pods appear, then
//! become available").

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use lab_03::deployment::hash::new_replica_set;
use lab_03::deployment::recreate::scale_down_old;
use lab_03::deployment::replicas::rs_replicas;
use lab_03::deployment::rolling::{new_rs_new_replicas, plan};
use serde_json::json;

pub(crate) fn deployment(replicas: i32, strategy: serde_json::Value) -> Deployment {
    let mut value = json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "d-uid", "generation": 2},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.26"}]}
            }
        }
    });
    value["spec"]["strategy"] = strategy;
    serde_json::from_value(value).expect("a Deployment")
}

pub(crate) fn rolling(
    surge: serde_json::Value,
    unavailable: serde_json::Value,
) -> serde_json::Value {
    let mut strategy = json!({"type": "RollingUpdate", "rollingUpdate": {}});
    strategy["rollingUpdate"]["maxSurge"] = surge;
    strategy["rollingUpdate"]["maxUnavailable"] = unavailable;
    strategy
}

/// A ReplicaSet of the old template, created at `created` seconds, with `replicas` pods all
/// available.
pub(crate) fn old_rs(name: &str, created: u32, replicas: i32, available: i32) -> ReplicaSet {
    serde_json::from_value(json!({
        "metadata": {
            "name": name, "namespace": "default", "uid": format!("{name}-uid"),
            "creationTimestamp": format!("2024-01-01T00:00:{created:02}Z"),
            "annotations": {"deployment.kubernetes.io/revision": "1"}
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "pod-template-hash": "old"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
            }
        },
        "status": {"replicas": replicas, "availableReplicas": available}
    }))
    .expect("a ReplicaSet")
}

/// How the simulated world answers a change of `spec.replicas`.
#[derive(Clone, Copy)]
enum Pods {
    /// New pods are available at once.
    ReadyAtOnce,
    /// New pods exist at once and become available one round later.
    ReadyNextRound,
}

fn world(rs: &mut ReplicaSet, pods: Pods) {
    let spec = rs_replicas(rs);
    let status = rs.status.get_or_insert_default();
    let before = status.replicas;
    status.replicas = spec;
    let available = status.available_replicas.unwrap_or(0);
    status.available_replicas = Some(match pods {
        Pods::ReadyAtOnce => spec,
        // Pods that were there last round are ready now; deleted ones went first.
        Pods::ReadyNextRound => spec.min(before.max(available)),
    });
}

fn describe(rs: Option<&ReplicaSet>) -> String {
    match rs {
        None => "-".to_owned(),
        Some(rs) => {
            let status = rs.status.clone().unwrap_or_default();
            format!(
                "{} ({} available)",
                rs_replicas(rs),
                status.available_replicas.unwrap_or(0)
            )
        }
    }
}

/// Runs syncs of a rolling update from 3 old pods until nothing changes; one line per sync:
/// the decision, then the state once the world has answered.
fn simulate(deployment: &Deployment, pods: Pods) -> Vec<String> {
    let mut old = old_rs("web-old", 0, 3, 3);
    let mut new: Option<ReplicaSet> = None;
    let mut lines = vec![format!(
        "start: old {} | new {}",
        describe(Some(&old)),
        describe(None)
    )];
    for _ in 0..20 {
        let action = match &mut new {
            None => {
                let candidate = new_replica_set(deployment, 0);
                let replicas =
                    new_rs_new_replicas(deployment, &[old.clone(), candidate.clone()], &candidate);
                let mut rs = new_replica_set(deployment, replicas);
                rs.metadata.creation_timestamp =
                    serde_json::from_value(json!("2024-01-01T00:01:00Z")).ok();
                new = Some(rs);
                format!("create new at {replicas}")
            }
            Some(rs) => {
                let scales = plan(deployment, rs, std::slice::from_ref(&old));
                if scales.is_empty() {
                    break;
                }
                let mut said = Vec::new();
                for scale in scales {
                    let target = if Some(&scale.name) == old.metadata.name.as_ref() {
                        said.push(format!("old to {}", scale.replicas));
                        &mut old
                    } else {
                        said.push(format!("new to {}", scale.replicas));
                        &mut *rs
                    };
                    if let Some(spec) = target.spec.as_mut() {
                        spec.replicas = Some(scale.replicas);
                    }
                }
                said.join(", ")
            }
        };
        world(&mut old, pods);
        if let Some(rs) = new.as_mut() {
            world(rs, pods);
        }
        lines.push(format!(
            "{action}: old {} | new {}",
            describe(Some(&old)),
            describe(new.as_ref())
        ));
    }
    lines
}

#[test]
fn step3_rolling_update_of_3_replicas_with_max_surge_1_and_max_unavailable_1_state_by_state() {
    let d = deployment(3, rolling(json!(1), json!(1)));
    // At most 4 pods (3 + surge 1) at any time; at least 2 available (3 - unavailable 1).
    assert_eq!(
        simulate(&d, Pods::ReadyAtOnce),
        [
            "start: old 3 (3 available) | new -",
            "create new at 1: old 3 (3 available) | new 1 (1 available)",
            "old to 1: old 1 (1 available) | new 1 (1 available)",
            "new to 3: old 1 (1 available) | new 3 (3 available)",
            "old to 0: old 0 (0 available) | new 3 (3 available)",
        ]
    );
}

#[test]
fn step3_rolling_update_waits_for_new_pods_to_become_available() {
    let d = deployment(3, rolling(json!(1), json!(1)));
    let lines = simulate(&d, Pods::ReadyNextRound);
    assert_eq!(
        lines,
        [
            "start: old 3 (3 available) | new -",
            "create new at 1: old 3 (3 available) | new 1 (0 available)",
            "old to 2: old 2 (2 available) | new 1 (1 available)",
            "new to 2: old 2 (2 available) | new 2 (1 available)",
            "old to 1: old 1 (1 available) | new 2 (2 available)",
            "new to 3: old 1 (1 available) | new 3 (2 available)",
            "old to 0: old 0 (0 available) | new 3 (3 available)",
        ]
    );
}

#[test]
fn step3_max_surge_0_deletes_before_creating() {
    // maxSurge 0: never more than 3 pods; the new ReplicaSet starts at 0 and grows only as
    // old pods go.
    let d = deployment(3, rolling(json!(0), json!(1)));
    assert_eq!(
        simulate(&d, Pods::ReadyAtOnce),
        [
            "start: old 3 (3 available) | new -",
            "create new at 0: old 3 (3 available) | new 0 (0 available)",
            "old to 2: old 2 (2 available) | new 0 (0 available)",
            "new to 1: old 2 (2 available) | new 1 (1 available)",
            "old to 1: old 1 (1 available) | new 1 (1 available)",
            "new to 2: old 1 (1 available) | new 2 (2 available)",
            "old to 0: old 0 (0 available) | new 2 (2 available)",
            "new to 3: old 0 (0 available) | new 3 (3 available)",
        ]
    );
}

#[test]
fn step3_recreate_scales_every_old_replica_set_to_zero() {
    let old = [
        old_rs("a", 0, 2, 2),
        old_rs("b", 1, 0, 0),
        old_rs("c", 2, 1, 0),
    ];
    let downs: Vec<(String, i32)> = scale_down_old(&old)
        .into_iter()
        .map(|scale| (scale.name, scale.replicas))
        .collect();
    assert_eq!(downs, [("a".to_owned(), 0), ("c".to_owned(), 0)]);
}
