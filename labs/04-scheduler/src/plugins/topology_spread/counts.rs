//! Matching pods per topology domain: what both halves of PodTopologySpread start from, and a
//! cache that carries the counts from one scheduling cycle to the next.
//!
//! Counting walks every node and every pod on it, which at 5000 nodes is most of a cycle's
//! time. Upstream does it again in every cycle, on 16 threads. Here the counts are kept, per set
//! of constraints, with the snapshot generation they were taken at; the next pod with the same
//! constraints (the next replica of the same workload, usually) replays the snapshot's journal
//! of pod changes since then: the one pod assumed in between when a workload's pods come one
//! after another, the other workloads' pods too when many roll out at once (hence counts for
//! `CACHED_WORKLOADS` sets of constraints, not just the last one).

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{NodeSelector, Toleration};

use super::{count_matching, counts, has_all_keys, node_included};
use crate::snapshot::{NodeInfo, PodChange, PodInfo, Snapshot, SpreadConstraint};

/// Per constraint: domain (label value; "" for nodes without it) -> matching pods.
pub type DomainCounts = Vec<HashMap<String, i64>>;

/// Whether a node counts at all: with `require_all_keys` it must have every topology key.
fn eligible(node: &NodeInfo, constraints: &[SpreadConstraint], require_all_keys: bool) -> bool {
    !require_all_keys || has_all_keys(node, constraints)
}

fn domain<'n>(node: &'n NodeInfo, constraint: &SpreadConstraint) -> &'n str {
    node.labels()
        .get(&constraint.topology_key)
        .map_or("", String::as_str)
}

/// Counts, over every eligible node the inclusion policies admit, the pods each constraint
/// counts, per domain. Every such node's domain is present, with 0 if it has no such pod.
pub fn count_domains(
    snapshot: &Snapshot,
    pod: &PodInfo,
    constraints: &[SpreadConstraint],
    require_all_keys: bool,
) -> DomainCounts {
    let mut counts: DomainCounts = vec![HashMap::new(); constraints.len()];
    for node in snapshot.nodes() {
        if !eligible(node, constraints, require_all_keys) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if node_included(c, pod, node) {
                let here = count_matching(node, c, &pod.namespace);
                *counts[i].entry(domain(node, c).to_string()).or_default() += here;
            }
        }
    }
    counts
}

/// Everything the counts depend on: pods with equal keys get equal counts.
#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    namespace: String,
    constraints: Vec<SpreadConstraint>,
    require_all_keys: bool,
    node_selector: Option<BTreeMap<String, String>>,
    required_node_affinity: Option<NodeSelector>,
    tolerations: Option<Vec<Toleration>>,
}

impl CacheKey {
    fn of(pod: &PodInfo, constraints: &[SpreadConstraint], require_all_keys: bool) -> Self {
        let spec = pod.pod.spec.as_ref();
        CacheKey {
            namespace: pod.namespace.clone(),
            constraints: constraints.to_vec(),
            require_all_keys,
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

/// How many sets of counts the cache keeps (the least recently used goes first): enough for
/// the 100 Deployments of `cargo xtask bench controllers` rolling out together.
pub(super) const CACHED_WORKLOADS: usize = 128;

/// Recent counts, each with what it was counted for and at which snapshot generation, the most
/// recently used last.
#[derive(Debug, Clone, Default)]
pub struct CountsCache {
    entries: Vec<(CacheKey, u64, DomainCounts)>,
}

/// [`count_domains`] through the cache: caught up from the journal when the key matches and the
/// journal reaches back far enough, counted afresh otherwise.
pub fn count_domains_cached(
    snapshot: &Snapshot,
    pod: &PodInfo,
    constraints: &[SpreadConstraint],
    require_all_keys: bool,
    cache: &mut CountsCache,
) -> DomainCounts {
    let key = CacheKey::of(pod, constraints, require_all_keys);
    if let Some(position) = cache.entries.iter().position(|(cached, ..)| *cached == key) {
        let mut entry = cache.entries.remove(position);
        let (_, generation, cached) = &mut entry;
        if let Some(changes) = snapshot.pod_changes_since(*generation) {
            for change in changes {
                let (index, changed, delta) = match change {
                    PodChange::Added(index, changed) => (*index, changed, 1),
                    PodChange::Removed(index, changed) => (*index, changed, -1),
                };
                let Some(node) = snapshot.nodes().get(index) else {
                    continue;
                };
                if !eligible(node, constraints, require_all_keys) {
                    continue;
                }
                for (i, c) in constraints.iter().enumerate() {
                    if node_included(c, pod, node) && counts(changed, c, &pod.namespace) {
                        *cached[i].entry(domain(node, c).to_string()).or_default() += delta;
                    }
                }
            }
            *generation = snapshot.generation();
            let counts = cached.clone();
            cache.entries.push(entry);
            return counts;
        }
    }
    let fresh = count_domains(snapshot, pod, constraints, require_all_keys);
    if cache.entries.len() >= CACHED_WORKLOADS {
        cache.entries.remove(0);
    }
    cache
        .entries
        .push((key, snapshot.generation(), fresh.clone()));
    fresh
}
