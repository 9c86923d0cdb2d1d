//! NodeResourcesFit and NodeResourcesBalancedAllocation: does the pod fit in what the node has
//! left, and how good a fit is it.
//!
//! The filter compares the pod's effective requests with allocatable minus what the pods already
//! on the node request. The default score (`LeastAllocated`) prefers emptier nodes, which
//! spreads load; BalancedAllocation prefers nodes whose CPU and memory would be used in the same
//! proportion, so neither runs out while the other sits idle.

use super::MAX_NODE_SCORE;
use crate::framework::Rejection;
use crate::snapshot::{NodeInfo, PodInfo};

/// The plugin name.
pub const NAME: &str = "NodeResourcesFit";

/// What the node lacks for this pod: the real plugin's reasons ("Too many pods",
/// "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage",
/// "Insufficient example.com/gpu"), and whether any request exceeds even the empty node (then
/// no preemption could help).
pub fn insufficient_resources(pod: &PodInfo, node: &NodeInfo) -> (Vec<String>, bool) {
    // BEGIN SOLUTION step-2: pods count first, then each requested resource against allocatable - requested
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    if node.pods.len() as i64 + 1 > node.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    let want = &pod.requests;
    if want.is_zero() {
        return (reasons, unresolvable);
    }
    let have = &node.allocatable;
    let used = &node.requested;
    let mut check = |name: &str, want: i64, have: i64, used: i64| {
        if want > 0 && want > have - used {
            reasons.push(format!("Insufficient {name}"));
            unresolvable |= want > have;
        }
    };
    check("cpu", want.milli_cpu, have.milli_cpu, used.milli_cpu);
    check("memory", want.memory, have.memory, used.memory);
    check(
        "ephemeral-storage",
        want.ephemeral_storage,
        have.ephemeral_storage,
        used.ephemeral_storage,
    );
    for (name, amount) in &want.scalar {
        check(name, *amount, have.scalar(name), used.scalar(name));
    }
    (reasons, unresolvable)
    // END SOLUTION
}

/// The filter.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let (reasons, unresolvable) = insufficient_resources(pod, node);
    if reasons.is_empty() {
        return Ok(());
    }
    Err(Rejection {
        plugin: NAME,
        unresolvable,
        reasons,
    })
}

// ANCHOR: scores
/// `LeastAllocated` over CPU and memory (weight 1 each), with the scoring defaults for
/// containers that request nothing: `(allocatable - requested) * 100 / allocatable` per
/// resource, then the weighted mean (integer arithmetic, as upstream).
pub fn least_allocated(pod: &PodInfo, node: &NodeInfo) -> i64 {
    // BEGIN SOLUTION step-3: per resource free share of allocatable after placing the pod, averaged
    let per_resource = |requested: i64, allocatable: i64| {
        if allocatable == 0 || requested > allocatable {
            0
        } else {
            (allocatable - requested) * MAX_NODE_SCORE / allocatable
        }
    };
    let cpu = per_resource(
        node.non_zero_requested.milli_cpu + pod.non_zero.milli_cpu,
        node.allocatable.milli_cpu,
    );
    let memory = per_resource(
        node.non_zero_requested.memory + pod.non_zero.memory,
        node.allocatable.memory,
    );
    (cpu + memory) / 2
    // END SOLUTION
}

/// True for a pod that requests neither CPU nor memory: BalancedAllocation skips it (since
/// v1.33, kubernetes#129138), or best-effort pods would all pile onto one node.
pub fn is_best_effort(pod: &PodInfo) -> bool {
    pod.requests.milli_cpu == 0 && pod.requests.memory == 0
}

/// BalancedAllocation: `(1 - std) * 100` where std is the standard deviation of the CPU and
/// memory fractions the node would have in use (each capped at 1), with the pod's real
/// requests (no defaults). For two resources std is half their difference.
pub fn balanced_allocation(pod: &PodInfo, node: &NodeInfo) -> i64 {
    // BEGIN SOLUTION step-3: fraction of each resource in use after placing the pod; 100 * (1 - std)
    let fraction = |requested: i64, allocatable: i64| {
        (allocatable != 0).then(|| (requested as f64 / allocatable as f64).min(1.0))
    };
    let fractions: Vec<f64> = [
        fraction(
            node.requested.milli_cpu + pod.requests.milli_cpu,
            node.allocatable.milli_cpu,
        ),
        fraction(
            node.requested.memory + pod.requests.memory,
            node.allocatable.memory,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let std = match fractions.as_slice() {
        [a, b] => ((a - b) / 2.0).abs(),
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    // END SOLUTION
}
// ANCHOR_END: scores
