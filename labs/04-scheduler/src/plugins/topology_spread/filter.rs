//! PodTopologySpread's filter: the `DoNotSchedule` constraints.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{NodeSelector, Toleration};

use super::{NAME, count_matching, counts, has_all_keys, node_included};
use crate::framework::Rejection;
use crate::snapshot::{NodeInfo, PodChange, PodInfo, Snapshot, SpreadConstraint};

/// The skew would exceed maxSkew.
pub const ERR_CONSTRAINTS: &str = "node(s) didn't match pod topology spread constraints";
/// The node lacks a constraint's topology key.
pub const ERR_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// What the filter needs, counted once per pod.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterState {
    /// The pod's `DoNotSchedule` constraints.
    pub constraints: Vec<SpreadConstraint>,
    /// Per constraint: label value (domain) -> matching pods there.
    pub counts: Vec<HashMap<String, i64>>,
    /// Per constraint: the smallest count over its domains (the global minimum).
    pub min_counts: Vec<i64>,
}

/// PreFilter: `None` when the pod has no `DoNotSchedule` constraint. Counts matching pods per
/// domain over the nodes that have every key and that the inclusion policies admit.
pub fn pre_filter(snapshot: &Snapshot, pod: &PodInfo) -> Option<FilterState> {
    let constraints: Vec<SpreadConstraint> = pod
        .spread_constraints
        .iter()
        .filter(|c| c.hard)
        .cloned()
        .collect();
    if constraints.is_empty() {
        return None;
    }
    let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); constraints.len()];
    for node in snapshot.nodes() {
        if !has_all_keys(node, &constraints) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if !node_included(c, pod, node) {
                continue;
            }
            let value = node
                .labels()
                .get(&c.topology_key)
                .cloned()
                .unwrap_or_default();
            *counts[i].entry(value).or_default() += count_matching(node, c, &pod.namespace);
        }
    }
    let min_counts = min_counts(&constraints, &counts);
    Some(FilterState {
        constraints,
        counts,
        min_counts,
    })
}

/// The global minimum of each constraint.
fn min_counts(constraints: &[SpreadConstraint], counts: &[HashMap<String, i64>]) -> Vec<i64> {
    constraints
        .iter()
        .zip(counts)
        .map(|(c, domains)| {
            // minDomains: with fewer domains than that, the global minimum is taken as 0.
            if (domains.len() as i64) < c.min_domains {
                0
            } else {
                // No eligible domain at all: MaxInt32 upstream, so nothing can exceed maxSkew.
                domains
                    .values()
                    .copied()
                    .min()
                    .unwrap_or(i64::from(i32::MAX))
            }
        })
        .collect()
}

/// The filter: for each constraint, `count in this node's domain + self match - global
/// minimum <= maxSkew`.
pub fn filter(state: &FilterState, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    // BEGIN SOLUTION step-2: missing key is unresolvable; skew = domain count + self - global min
    let labels = node.labels();
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(value) = labels.get(&c.topology_key) else {
            return Err(Rejection::unresolvable(NAME, ERR_MISSING_LABEL));
        };
        let self_match = i64::from(c.selector.matches(pod.labels()));
        let here = state.counts[i].get(value).copied().unwrap_or(0);
        let skew = here + self_match - state.min_counts[i];
        if skew > c.max_skew {
            return Err(Rejection::unschedulable(NAME, ERR_CONSTRAINTS));
        }
    }
    Ok(())
    // END SOLUTION
}

/// Everything the PreFilter counts depend on: pods with equal keys (the replicas of one
/// workload, typically) get equal counts.
#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    namespace: String,
    constraints: Vec<SpreadConstraint>,
    node_selector: Option<BTreeMap<String, String>>,
    required_node_affinity: Option<NodeSelector>,
    tolerations: Option<Vec<Toleration>>,
}

impl CacheKey {
    fn of(pod: &PodInfo, constraints: Vec<SpreadConstraint>) -> Self {
        let spec = pod.pod.spec.as_ref();
        CacheKey {
            namespace: pod.namespace.clone(),
            constraints,
            node_selector: spec.and_then(|s| s.node_selector.clone()),
            required_node_affinity: spec
                .and_then(|s| s.affinity.as_ref())
                .and_then(|a| a.node_affinity.as_ref())
                .and_then(|n| {
                    n.required_during_scheduling_ignored_during_execution
                        .clone()
                }),
            tolerations: spec.and_then(|s| s.tolerations.clone()),
        }
    }
}

/// The last PreFilter's counts, kept between cycles: the next pod of the same workload replays
/// the snapshot's journal (usually the one pod assumed since) instead of recounting every node.
#[derive(Debug, Clone, Default)]
pub struct FilterCache {
    entry: Option<(CacheKey, u64, FilterState)>,
}

/// [`pre_filter`] through the cache: the same counts, updated from the pod changes since the
/// cached generation when the key matches and the journal reaches back; recounted otherwise.
pub fn pre_filter_cached(
    snapshot: &Snapshot,
    pod: &PodInfo,
    cache: &mut FilterCache,
) -> Option<FilterState> {
    let constraints: Vec<SpreadConstraint> = pod
        .spread_constraints
        .iter()
        .filter(|c| c.hard)
        .cloned()
        .collect();
    if constraints.is_empty() {
        return None;
    }
    let key = CacheKey::of(pod, constraints);
    if let Some((cached_key, generation, state)) = &mut cache.entry
        && *cached_key == key
        && let Some(changes) = snapshot.pod_changes_since(*generation)
    {
        for change in changes {
            let (index, changed, delta) = match change {
                PodChange::Added(index, changed) => (*index, changed, 1),
                PodChange::Removed(index, changed) => (*index, changed, -1),
            };
            let Some(node) = snapshot.nodes().get(index) else {
                continue;
            };
            if !has_all_keys(node, &state.constraints) {
                continue;
            }
            for (i, c) in state.constraints.iter().enumerate() {
                if node_included(c, pod, node) && counts(changed, c, &pod.namespace) {
                    let value = node
                        .labels()
                        .get(&c.topology_key)
                        .cloned()
                        .unwrap_or_default();
                    *state.counts[i].entry(value).or_default() += delta;
                }
            }
        }
        state.min_counts = min_counts(&state.constraints, &state.counts);
        *generation = snapshot.generation();
        return Some(state.clone());
    }
    let state = pre_filter(snapshot, pod)?;
    cache.entry = Some((key, snapshot.generation(), state.clone()));
    Some(state)
}
