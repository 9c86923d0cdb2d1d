//! Helpers shared by the tests: nodes and pods from YAML, and running every filter without the
//! scoring half of a cycle (so step 2's tests do not need step 3).

use k8s_openapi::api::core::v1::{Node, Pod};
use lab_04::framework::{CycleState, FitError, Profile, run_filters};
use lab_04::simulate;
use lab_04::snapshot::{NodeInfo, PodInfo, Snapshot};

/// A Node from YAML.
pub(crate) fn node(yaml: &str) -> Node {
    serde_yaml::from_str(yaml).expect("test node YAML")
}

/// A Pod from YAML.
pub(crate) fn pod(yaml: &str) -> Pod {
    serde_yaml::from_str(yaml).expect("test pod YAML")
}

/// A PodInfo from YAML.
pub(crate) fn pod_info(yaml: &str) -> PodInfo {
    PodInfo::new(pod(yaml)).expect("a valid test pod")
}

/// A plain node with `cpu`, `memory` and 110 pods, and extra labels.
pub(crate) fn plain_node(name: &str, cpu: &str, memory: &str, labels: &str) -> Node {
    node(&format!(
        "metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}{labels}}}}}\n\
         status: {{allocatable: {{cpu: \"{cpu}\", memory: {memory}, pods: \"110\"}}}}"
    ))
}

/// The snapshot and the pending pods of a scenario written inline.
pub(crate) fn scenario(yaml: &str) -> (Snapshot, Vec<PodInfo>) {
    let loaded = simulate::load(yaml).expect("a valid test scenario");
    (loaded.snapshot, loaded.pending)
}

/// Runs every filter of the default profile on every node: the feasible node names, or the
/// FitError the scheduler would report.
pub(crate) fn filter_all(snapshot: &Snapshot, pod: &PodInfo) -> Result<Vec<String>, FitError> {
    let profile = Profile::default();
    let cycle = CycleState::pre_filter(snapshot, pod, &profile);
    let mut feasible = Vec::new();
    let mut rejected = Vec::new();
    for node in snapshot.nodes() {
        match run_filters(&cycle, &profile, node) {
            Ok(()) => feasible.push(node.name.clone()),
            Err(r) => rejected.push((node.name.clone(), r)),
        }
    }
    if feasible.is_empty() {
        return Err(FitError::new(
            pod.key.clone(),
            snapshot.nodes().len(),
            rejected,
        ));
    }
    Ok(feasible)
}

/// The reasons one node gives for the pod (empty if it fits).
pub(crate) fn reasons(snapshot: &Snapshot, pod: &PodInfo, node: &str) -> Vec<String> {
    let profile = Profile::default();
    let cycle = CycleState::pre_filter(snapshot, pod, &profile);
    let info: &NodeInfo = snapshot.node(node).expect("node in the snapshot");
    match run_filters(&cycle, &profile, info) {
        Ok(()) => Vec::new(),
        Err(r) => r.reasons,
    }
}
