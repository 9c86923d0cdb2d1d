//! Step 4, the loop against a real API server: lab-02 in-process, lab-04's scheduler binding
//! pods through `pods/binding`, reporting failures on the pod, and retrying on cluster events.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, PodCondition};
use kube::api::PostParams;

use crate::cluster::{Cluster, node_name};

/// Three nodes of different sizes, and the scheduler running without preemption (step 5).
fn three_nodes() -> Cluster {
    let cluster = Cluster::start();
    cluster.create_node("small", "2", "4Gi");
    cluster.create_node("medium", "4", "8Gi");
    cluster.create_node("large", "8", "16Gi");
    cluster.start_scheduler(false);
    cluster
}

/// The pod's `PodScheduled` condition, if it has one.
async fn pod_scheduled(cluster: &Cluster, name: &str) -> Option<PodCondition> {
    cluster
        .pods()
        .get(name)
        .await
        .ok()?
        .status?
        .conditions?
        .into_iter()
        .find(|c| c.type_ == "PodScheduled")
}

#[test]
fn step4_loop_binds_every_pod_and_posts_scheduled_events() {
    let cluster = three_nodes();
    let names: Vec<String> = (0..6).map(|i| format!("web-{i}")).collect();
    for name in &names {
        cluster.create_pod(name, "500m", "1Gi", "default-scheduler");
    }
    for name in &names {
        let node = cluster.wait_for(&format!("{name} bound"), || async {
            node_name(&cluster.pods().get(name).await.ok()?)
        });
        assert!(
            ["small", "medium", "large"].contains(&node.as_str()),
            "{name} on {node}"
        );
        let expected = format!("Successfully assigned default/{name} to {node}");
        cluster.wait_for(&format!("{name}'s Scheduled event"), || async {
            cluster
                .events_of(name)
                .await
                .into_iter()
                .find(|e| e.reason.as_deref() == Some("Scheduled"))
                .filter(|e| e.message.as_deref() == Some(expected.as_str()))
        });
    }
}

#[test]
fn step4_loop_reports_unschedulable_pod_with_condition_and_event() {
    let cluster = three_nodes();
    cluster.create_pod("huge", "100m", "64Gi", "default-scheduler");
    let expected = "0/3 nodes are available: 3 Insufficient memory.";
    let condition = cluster.wait_for("huge's PodScheduled=False", || async {
        pod_scheduled(&cluster, "huge")
            .await
            .filter(|c| c.status == "False")
    });
    assert_eq!(condition.reason.as_deref(), Some("Unschedulable"));
    let message = condition.message.unwrap_or_default();
    assert!(message.starts_with(expected), "message: {message}");
    let event = cluster.wait_for("huge's FailedScheduling event", || async {
        cluster
            .events_of("huge")
            .await
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("FailedScheduling"))
    });
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    let note = event.message.unwrap_or_default();
    assert!(note.starts_with(expected), "event: {note}");
    assert_eq!(node_name(&cluster.pod("huge")), None);
}

#[test]
fn step4_loop_leaves_pods_of_other_schedulers_alone() {
    let cluster = three_nodes();
    cluster.create_pod("theirs", "100m", "128Mi", "other");
    cluster.create_pod("ours", "100m", "128Mi", "default-scheduler");
    cluster.wait_for("ours bound", || async {
        node_name(&cluster.pods().get("ours").await.ok()?)
    });
    // The informer delivered "theirs" before "ours", and the loop has handled "ours".
    let theirs = cluster.pod("theirs");
    assert_eq!(
        node_name(&theirs),
        None,
        "another scheduler's pod was bound"
    );
    assert_eq!(cluster.block_on(pod_scheduled(&cluster, "theirs")), None);
    let events = cluster.block_on(cluster.events_of("theirs"));
    assert!(events.is_empty(), "events about theirs: {events:?}");
}

#[test]
fn step4_loop_schedules_unschedulable_pod_when_a_big_node_joins() {
    let cluster = three_nodes();
    cluster.create_pod("huge", "100m", "64Gi", "default-scheduler");
    cluster.wait_for("huge's PodScheduled=False", || async {
        pod_scheduled(&cluster, "huge")
            .await
            .filter(|c| c.status == "False")
    });
    // NodeAdded may help a pod NodeResourcesFit rejected: it moves back and is retried.
    cluster.create_node("big", "16", "128Gi");
    let node = cluster.wait_for("huge bound", || async {
        node_name(&cluster.pods().get("huge").await.ok()?)
    });
    assert_eq!(node, "big");
}

#[test]
fn step4_loop_counts_a_pod_bound_to_a_node_before_that_node_arrives() {
    // The node and pod watches are separate streams: a pod bound to a new node (a static
    // pod's mirror, or one bound by another scheduler) can arrive before its node. It must
    // still be counted once the node arrives, or the node looks emptier than it is.
    let cluster = Cluster::start();
    cluster.start_scheduler(false);
    cluster.create_node("other", "3", "8Gi");
    // Once a first pod is bound, the scheduler watches pods: `early` arrives as an event.
    cluster.create_pod("first", "100m", "64Mi", "default-scheduler");
    // (Until the scheduler sees `other`'s status it may report `first` unschedulable: wait
    // for the binding itself.)
    cluster.wait_for("first bound", || async {
        node_name(&cluster.pods().get("first").await.ok()?)
    });
    let early: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "early", "namespace": "default"},
        "spec": {"nodeName": "late", "containers": [{"name": "app", "image": "nginx",
                 "resources": {"requests": {"cpu": "3", "memory": "1Gi"}}}]},
    }))
    .expect("a pod");
    cluster
        .block_on(cluster.pods().create(&PostParams::default(), &early))
        .expect("create the bound pod");
    cluster.create_node("late", "4", "8Gi");
    // 2 CPUs fit only on `other` (2.9 free) once `early` is counted on `late` (1 free). Had it
    // been lost, `late` would look empty and win the LeastAllocated score.
    cluster.create_pod("next", "2", "1Gi", "default-scheduler");
    assert_eq!(
        bound_or_reported(&cluster, "next").as_deref(),
        Some("other")
    );
}

#[test]
fn step5_loop_preempts_a_lower_priority_pod_and_nominates_its_node() {
    let cluster = Cluster::start();
    cluster.create_node("solo", "4", "4Gi");
    cluster.start_scheduler(true);
    cluster.create_pod_with_priority("low", "100m", "3Gi", "default-scheduler", 0);
    cluster.wait_for("low bound", || async {
        node_name(&cluster.pods().get("low").await.ok()?)
    });
    cluster.create_pod_with_priority("high", "100m", "3Gi", "default-scheduler", 1000);
    let nominated = cluster.wait_for("high nominated", || async {
        let pod = cluster.pods().get("high").await.ok()?;
        pod.status?.nominated_node_name
    });
    assert_eq!(nominated, "solo");
    cluster.wait_for("low's Preempted event", || async {
        cluster
            .events_of("low")
            .await
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("Preempted"))
    });
    cluster.wait_for("low deleted", || async {
        cluster.pods().get("low").await.is_err().then_some(())
    });
    // AssignedPodDeleted may help a pod NodeResourcesFit rejected: high is retried and fits.
    let node = cluster.wait_for("high bound", || async {
        node_name(&cluster.pods().get("high").await.ok()?)
    });
    assert_eq!(node, "solo");
}

/// Waits until `name` is bound (its node) or reported unschedulable (`None`).
fn bound_or_reported(cluster: &Cluster, name: &str) -> Option<String> {
    cluster.wait_for(&format!("{name} bound or reported"), || async {
        let pod = cluster.pods().get(name).await.ok()?;
        match node_name(&pod) {
            Some(node) => Some(Some(node)),
            None => pod_scheduled(cluster, name)
                .await
                .filter(|c| c.status == "False")
                .map(|_| None),
        }
    })
}

#[test]
fn step4_loop_binds_a_burst_without_overcommitting_nodes() {
    // Pods arrive faster than they are bound: each cycle must count the pods assumed before
    // it, or two pods would both be given the last room on a node.
    let cluster = Cluster::start();
    for name in ["a", "b", "c"] {
        cluster.create_node(name, "8", "4Gi");
    }
    cluster.start_scheduler(false);
    let names: Vec<String> = (0..13).map(|i| format!("burst-{i}")).collect();
    for name in &names {
        cluster.create_pod(name, "100m", "1Gi", "default-scheduler");
    }
    let mut per_node = BTreeMap::new();
    let mut unschedulable = 0;
    for name in &names {
        match bound_or_reported(&cluster, name) {
            Some(node) => *per_node.entry(node).or_insert(0) += 1,
            None => unschedulable += 1,
        }
    }
    // 4 Gi nodes hold four 1 Gi pods each: 12 bound, 4 per node, one left over.
    let expected: BTreeMap<String, i32> = [("a", 4), ("b", 4), ("c", 4)]
        .map(|(n, c)| (n.to_string(), c))
        .into();
    assert_eq!((per_node, unschedulable), (expected, 1));
}
