//! The scheduling framework: one scheduling cycle for one pod, as `schedule_one` does it
//! upstream (`schedulePod`): PreFilter, Filter over (a sample of) the nodes, PreScore, Score,
//! NormalizeScore, weights, and the choice of a host.
//!
//! Everything here is a pure function of the snapshot, the pod and the profile, plus a seeded
//! random generator for ties: no API call, no clock. The loop of step 4 calls [`schedule_one`],
//! then [`Snapshot::assume`](crate::snapshot::Snapshot::assume) with the chosen node.

mod cycle;
mod profile;
mod rng;
mod status;

pub use cycle::{CycleState, run_filters};
pub use profile::{FilterPlugin, Profile, ScorePlugin};
pub use rng::Rng;
pub use status::{FitError, Rejection};

use crate::plugins::topology_spread::CountsCache;
use crate::snapshot::{NodeInfo, PodInfo, Snapshot};

/// Below this many nodes, all are filtered (`minFeasibleNodesToFind`).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// The adaptive percentage never goes below this (`minFeasibleNodesPercentageToFind`).
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// What carries over from one cycle to the next: the tie-breaking generator, and where the
/// next search through the nodes starts (so a sample of nodes rotates over the cluster).
#[derive(Debug, Clone)]
pub struct SchedulingState {
    /// Breaks ties between equally scored nodes.
    pub rng: Rng,
    /// Index of the node the next cycle filters first (`nextStartNodeIndex`).
    pub next_start_node_index: usize,
    /// PodTopologySpread's PreFilter counts, carried to the next pod of the same workload.
    pub spread_filter_cache: CountsCache,
    /// The same for its PreScore.
    pub spread_score_cache: CountsCache,
}

impl SchedulingState {
    /// A fresh state with a seeded generator.
    pub fn new(seed: u64) -> Self {
        SchedulingState {
            rng: Rng::new(seed),
            next_start_node_index: 0,
            spread_filter_cache: CountsCache::default(),
            spread_score_cache: CountsCache::default(),
        }
    }
}

/// One plugin's part of a node's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginScore {
    /// The plugin.
    pub plugin: ScorePlugin,
    /// Its normalised score, 0-100.
    pub score: i64,
    /// Its weight in the profile.
    pub weight: i64,
}

/// A feasible node's scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScores {
    /// The node.
    pub node: String,
    /// Each plugin that scored (skipped plugins are absent).
    pub plugins: Vec<PluginScore>,
    /// The sum of score * weight.
    pub total: i64,
}

/// A successful cycle (`ScheduleResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleResult {
    /// The chosen node.
    pub node: String,
    /// How many nodes were filtered.
    pub evaluated_nodes: usize,
    /// How many passed.
    pub feasible_nodes: usize,
    /// The nodes that were filtered out, with why.
    pub rejected: Vec<(String, Rejection)>,
    /// The scores of the feasible nodes (empty when only one was feasible: it is not scored).
    pub scores: Vec<NodeScores>,
}

// ANCHOR: schedule_api
/// How many feasible nodes to find before scoring (`numFeasibleNodesToFind`): all of them
/// below 100 nodes; otherwise `percentage` of the nodes, where 0 means the adaptive default
/// `50 - nodes/125` (never below 5%), and never fewer than 100.
pub fn num_feasible_nodes_to_find(percentage: u32, num_all_nodes: usize) -> usize {
    // BEGIN SOLUTION step-3: small clusters: all; else the (adaptive) percentage, at least 100
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut percentage = percentage as usize;
    if percentage == 0 {
        percentage = 50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    let count = num_all_nodes * percentage.min(100) / 100;
    count.max(MIN_FEASIBLE_NODES_TO_FIND)
    // END SOLUTION
}

/// Picks the node with the highest total; among equal totals each has the same chance
/// (reservoir sampling, as `selectHost` does), drawn from `rng` so runs repeat.
pub fn select_host(scores: &[NodeScores], rng: &mut Rng) -> Option<usize> {
    // BEGIN SOLUTION step-3: keep the best so far; the k-th tie replaces it with probability 1/k
    let mut best = 0;
    let mut ties = 1;
    for (i, candidate) in scores.iter().enumerate().skip(1) {
        if candidate.total > scores[best].total {
            best = i;
            ties = 1;
        } else if candidate.total == scores[best].total {
            ties += 1;
            if rng.below(ties) == 0 {
                best = i;
            }
        }
    }
    (!scores.is_empty()).then_some(best)
    // END SOLUTION
}

/// One scheduling cycle: finds the node for `pod`, or says why there is none.
pub fn schedule_one(
    snapshot: &Snapshot,
    pod: &PodInfo,
    profile: &Profile,
    state: &mut SchedulingState,
) -> Result<ScheduleResult, FitError> {
    let nodes = snapshot.nodes();
    let fit_error = |rejected| FitError::new(pod.key.clone(), nodes.len(), rejected);
    if nodes.is_empty() {
        return Err(fit_error(Vec::new()));
    }
    let cycle =
        CycleState::pre_filter_cached(snapshot, pod, profile, &mut state.spread_filter_cache);
    let wanted = num_feasible_nodes_to_find(profile.percentage_of_nodes_to_score, nodes.len());
    let start = state.next_start_node_index % nodes.len();
    let mut feasible: Vec<&NodeInfo> = Vec::new();
    let mut rejected = Vec::new();
    let mut processed = 0;
    for i in 0..nodes.len() {
        let node = &nodes[(start + i) % nodes.len()];
        processed += 1;
        match run_filters(&cycle, profile, node) {
            Ok(()) => {
                feasible.push(node);
                if feasible.len() >= wanted {
                    break;
                }
            }
            Err(rejection) => rejected.push((node.name.clone(), rejection)),
        }
    }
    state.next_start_node_index = (start + processed) % nodes.len();
    let evaluated_nodes = processed;
    match feasible.as_slice() {
        [] => Err(fit_error(rejected)),
        // One feasible node: nothing to compare, so upstream skips scoring.
        [only] => Ok(ScheduleResult {
            node: only.name.clone(),
            evaluated_nodes,
            feasible_nodes: 1,
            rejected,
            scores: Vec::new(),
        }),
        _ => {
            let scores = cycle.score(profile, &feasible, &mut state.spread_score_cache);
            let best = select_host(&scores, &mut state.rng).unwrap_or(0);
            Ok(ScheduleResult {
                node: scores[best].node.clone(),
                evaluated_nodes,
                feasible_nodes: feasible.len(),
                rejected,
                scores,
            })
        }
    }
}
// ANCHOR_END: schedule_api
