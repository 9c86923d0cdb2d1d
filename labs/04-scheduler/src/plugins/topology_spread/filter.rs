//! PodTopologySpread's filter: the `DoNotSchedule` constraints.

use std::collections::HashMap;

use super::{NAME, count_matching, has_all_keys, node_included};
use crate::framework::Rejection;
use crate::snapshot::{NodeInfo, PodInfo, Snapshot, SpreadConstraint};

/// The skew would exceed maxSkew.
pub const ERR_CONSTRAINTS: &str = "node(s) didn't match pod topology spread constraints";
/// The node lacks a constraint's topology key.
pub const ERR_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// What the filter needs, counted once per pod.
#[derive(Debug, Clone)]
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
    let min_counts = constraints
        .iter()
        .zip(&counts)
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
        .collect();
    Some(FilterState {
        constraints,
        counts,
        min_counts,
    })
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
