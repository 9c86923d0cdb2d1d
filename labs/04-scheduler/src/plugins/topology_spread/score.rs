//! PodTopologySpread's score: the `ScheduleAnyway` constraints, or the system defaults.

use std::collections::{HashMap, HashSet};

use super::counts::{CountsCache, DomainCounts, count_domains, count_domains_cached};
use super::{count_matching, has_all_keys};
use crate::labels::Selector;
use crate::plugins::MAX_NODE_SCORE;
use crate::snapshot::{NodeInfo, PodInfo, Snapshot, SpreadConstraint};

/// The hostname label: per-node counts are taken at score time, not in PreScore.
const HOSTNAME: &str = "kubernetes.io/hostname";
/// The zone label.
const ZONE: &str = "topology.kubernetes.io/zone";

/// The system default constraints (`defaultConstraints` with `defaultingType: System`): at most
/// 3 apart per node, 5 per zone, both `ScheduleAnyway`. Upstream applies them to a pod without
/// constraints of its own, with the selector of the Services, ReplicaSets, StatefulSets and
/// ReplicationControllers that own or select it. The snapshot keeps no such objects, so here a
/// pod with a controller owner of one of those kinds gets its own labels as the selector (what
/// its owner's selector matches); any other pod gets none.
pub fn default_constraints(pod: &PodInfo) -> Vec<SpreadConstraint> {
    let owned = pod.pod.metadata.owner_references.iter().flatten().any(|o| {
        o.controller == Some(true)
            && matches!(
                o.kind.as_str(),
                "ReplicaSet" | "StatefulSet" | "ReplicationController"
            )
    });
    if !owned || pod.labels().is_empty() {
        return Vec::new();
    }
    let mut selector = Selector::everything();
    for (key, value) in pod.labels() {
        selector.require_equal(key, value);
    }
    [(HOSTNAME, 3), (ZONE, 5)]
        .into_iter()
        .map(|(key, max_skew)| SpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            hard: false,
            selector: selector.clone(),
            min_domains: 1,
            honor_node_affinity: true,
            honor_node_taints: false,
        })
        .collect()
}

/// What the score needs, counted once per pod over the feasible nodes.
#[derive(Debug, Clone)]
pub struct ScoreState {
    /// The constraints scored.
    pub constraints: Vec<SpreadConstraint>,
    /// Feasible nodes without every topology key: scored 0 (own constraints only).
    pub ignored: HashSet<String>,
    /// Per constraint: domain -> matching pods (not kept for the hostname key).
    pub counts: Vec<HashMap<String, i64>>,
    /// Per constraint: `ln(number of domains + 2)`, so constraints over many domains weigh more.
    pub weights: Vec<f64>,
}

/// PreScore: `None` (skip) when there is nothing to score.
pub fn pre_score(snapshot: &Snapshot, pod: &PodInfo, feasible: &[&NodeInfo]) -> Option<ScoreState> {
    pre_score_with(pod, feasible, |constraints, require_all_keys| {
        count_domains(snapshot, pod, constraints, require_all_keys)
    })
}

/// [`pre_score`] with the counts carried between cycles in `cache`.
pub fn pre_score_cached(
    snapshot: &Snapshot,
    pod: &PodInfo,
    feasible: &[&NodeInfo],
    cache: &mut CountsCache,
) -> Option<ScoreState> {
    pre_score_with(pod, feasible, |constraints, require_all_keys| {
        count_domains_cached(snapshot, pod, constraints, require_all_keys, cache)
    })
}

fn pre_score_with(
    pod: &PodInfo,
    feasible: &[&NodeInfo],
    count_all: impl FnOnce(&[SpreadConstraint], bool) -> DomainCounts,
) -> Option<ScoreState> {
    let own: Vec<SpreadConstraint> = pod
        .spread_constraints
        .iter()
        .filter(|c| !c.hard)
        .cloned()
        .collect();
    // The defaults apply only to a pod that has no constraints at all.
    let system_defaulted = pod.spread_constraints.is_empty();
    let constraints = if system_defaulted {
        default_constraints(pod)
    } else {
        own
    };
    if constraints.is_empty() || feasible.is_empty() {
        return None;
    }
    let require_all_keys = !system_defaulted;
    let mut ignored = HashSet::new();
    let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); constraints.len()];
    let mut domains = vec![0usize; constraints.len()];
    for node in feasible {
        if require_all_keys && !has_all_keys(node, &constraints) {
            ignored.insert(node.name.clone());
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.topology_key == HOSTNAME {
                continue;
            }
            let value = node
                .labels()
                .get(&c.topology_key)
                .cloned()
                .unwrap_or_default();
            if let std::collections::hash_map::Entry::Vacant(slot) = counts[i].entry(value) {
                slot.insert(0);
                domains[i] += 1;
            }
        }
    }
    let weights = constraints
        .iter()
        .zip(&domains)
        .map(|(c, &n)| {
            let size = if c.topology_key == HOSTNAME {
                feasible.len() - ignored.len()
            } else {
                n
            };
            ((size + 2) as f64).ln()
        })
        .collect();
    // Matching pods over all nodes, but only for domains some feasible node is in.
    let all = count_all(&constraints, require_all_keys);
    for (i, c) in constraints.iter().enumerate() {
        if c.topology_key == HOSTNAME {
            continue;
        }
        for (value, count) in counts[i].iter_mut() {
            *count = all[i].get(value).copied().unwrap_or(0);
        }
    }
    Some(ScoreState {
        constraints,
        ignored,
        counts,
        weights,
    })
}

/// One constraint's contribution: `count * weight + (maxSkew - 1)`.
pub fn score_for_count(count: i64, max_skew: i64, weight: f64) -> f64 {
    count as f64 * weight + (max_skew - 1) as f64
}

/// The score before normalising: more matching pods around means a *higher* raw score, which
/// normalising turns into a lower one.
pub fn score(state: &ScoreState, pod: &PodInfo, node: &NodeInfo) -> i64 {
    if state.ignored.contains(&node.name) {
        return 0;
    }
    let labels = node.labels();
    let mut total = 0.0;
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(value) = labels.get(&c.topology_key) else {
            continue;
        };
        let count = if c.topology_key == HOSTNAME {
            count_matching(node, c, &pod.namespace)
        } else {
            state.counts[i].get(value).copied().unwrap_or(0)
        };
        total += score_for_count(count, c.max_skew, state.weights[i]);
    }
    total.round() as i64
}

/// NormalizeScore: `100 * (max + min - score) / max`, ignored nodes 0; all 100 when max is 0.
pub fn normalize(state: &ScoreState, nodes: &[&NodeInfo], scores: &mut [i64]) {
    let considered = || {
        nodes
            .iter()
            .zip(scores.iter())
            .filter(|(n, _)| !state.ignored.contains(&n.name))
            .map(|(_, s)| *s)
    };
    let min = considered().min().unwrap_or(0);
    let max = considered().max().unwrap_or(0).max(0);
    for (node, score) in nodes.iter().zip(scores.iter_mut()) {
        *score = if state.ignored.contains(&node.name) {
            0
        } else if max == 0 {
            MAX_NODE_SCORE
        } else {
            MAX_NODE_SCORE * (max + min - *score) / max
        };
    }
}
