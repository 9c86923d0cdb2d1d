//! One pod's scheduling cycle: what PreFilter works out once, the filters per node, and the
//! scores over the feasible nodes (`CycleState` upstream).

use super::profile::{FilterPlugin, Profile, ScorePlugin};
use super::status::Rejection;
use super::{NodeScores, PluginScore};
use crate::plugins::{
    image_locality, inter_pod_affinity, node_affinity, node_basics, node_resources, normalize,
    taint_toleration, topology_spread,
};
use crate::snapshot::{NodeInfo, PodInfo, Snapshot};

/// The pod being scheduled and what the filters need, worked out once per cycle.
#[derive(Debug)]
pub struct CycleState<'a> {
    /// The snapshot the cycle reads.
    pub snapshot: &'a Snapshot,
    /// The pod.
    pub pod: &'a PodInfo,
    /// InterPodAffinity's PreFilter counts (`None`: nothing to check).
    pub inter_pod: Option<inter_pod_affinity::FilterState>,
    /// PodTopologySpread's PreFilter counts (`None`: no DoNotSchedule constraint).
    pub spread: Option<topology_spread::FilterState>,
}

impl<'a> CycleState<'a> {
    /// PreFilter: the per-pod work of the enabled filters.
    pub fn pre_filter(snapshot: &'a Snapshot, pod: &'a PodInfo, profile: &Profile) -> Self {
        let enabled = |p| profile.filters.contains(&p);
        CycleState {
            snapshot,
            pod,
            inter_pod: enabled(FilterPlugin::InterPodAffinity)
                .then(|| inter_pod_affinity::pre_filter(snapshot, pod))
                .flatten(),
            spread: enabled(FilterPlugin::PodTopologySpread)
                .then(|| topology_spread::pre_filter(snapshot, pod))
                .flatten(),
        }
    }

    /// [`CycleState::pre_filter`], with PodTopologySpread's counts kept up to date in `cache`
    /// from one cycle to the next (what `schedule_one` uses).
    pub fn pre_filter_cached(
        snapshot: &'a Snapshot,
        pod: &'a PodInfo,
        profile: &Profile,
        cache: &mut topology_spread::CountsCache,
    ) -> Self {
        let enabled = |p| profile.filters.contains(&p);
        CycleState {
            snapshot,
            pod,
            inter_pod: enabled(FilterPlugin::InterPodAffinity)
                .then(|| inter_pod_affinity::pre_filter(snapshot, pod))
                .flatten(),
            spread: enabled(FilterPlugin::PodTopologySpread)
                .then(|| topology_spread::pre_filter_cached(snapshot, pod, cache))
                .flatten(),
        }
    }

    /// PreScore, Score, NormalizeScore and weights over the feasible nodes.
    pub fn score(
        &self,
        profile: &Profile,
        feasible: &[&NodeInfo],
        spread_cache: &mut topology_spread::CountsCache,
    ) -> Vec<NodeScores> {
        let mut result: Vec<NodeScores> = feasible
            .iter()
            .map(|n| NodeScores {
                node: n.name.clone(),
                plugins: Vec::new(),
                total: 0,
            })
            .collect();
        let pod = self.pod;
        for &(plugin, weight) in &profile.scores {
            let raw =
                |f: &dyn Fn(&NodeInfo) -> i64| feasible.iter().map(|n| f(n)).collect::<Vec<i64>>();
            let scores: Option<Vec<i64>> = match plugin {
                ScorePlugin::TaintToleration => {
                    let mut s = raw(&|n| taint_toleration::score(pod, n));
                    normalize::default_normalize_score(&mut s, true);
                    Some(s)
                }
                ScorePlugin::NodeAffinity => node_affinity::has_preferred(pod).then(|| {
                    let mut s = raw(&|n| node_affinity::score(pod, n));
                    normalize::default_normalize_score(&mut s, false);
                    s
                }),
                ScorePlugin::NodeResourcesFit => {
                    Some(raw(&|n| node_resources::least_allocated(pod, n)))
                }
                ScorePlugin::NodeResourcesBalancedAllocation => {
                    (!node_resources::is_best_effort(pod))
                        .then(|| raw(&|n| node_resources::balanced_allocation(pod, n)))
                }
                ScorePlugin::ImageLocality => {
                    Some(raw(&|n| image_locality::score(self.snapshot, pod, n)))
                }
                ScorePlugin::InterPodAffinity => inter_pod_affinity::pre_score(self.snapshot, pod)
                    .map(|state| {
                        let mut s = raw(&|n| inter_pod_affinity::score(&state, n));
                        inter_pod_affinity::normalize(&mut s);
                        s
                    }),
                ScorePlugin::PodTopologySpread => {
                    topology_spread::pre_score_cached(self.snapshot, pod, feasible, spread_cache)
                        .map(|state| {
                            let mut s = raw(&|n| topology_spread::score(&state, pod, n));
                            topology_spread::normalize(&state, feasible, &mut s);
                            s
                        })
                }
            };
            // A plugin whose PreScore said "skip" adds nothing.
            let Some(scores) = scores else { continue };
            for (node, score) in result.iter_mut().zip(scores) {
                node.total += score * weight;
                node.plugins.push(PluginScore {
                    plugin,
                    score,
                    weight,
                });
            }
        }
        result
    }
}

/// Runs the profile's filters on one node in order; the first rejection is the answer
/// (`RunFilterPlugins` stops there too).
pub fn run_filters(
    cycle: &CycleState<'_>,
    profile: &Profile,
    node: &NodeInfo,
) -> Result<(), Rejection> {
    let pod = cycle.pod;
    for plugin in &profile.filters {
        match plugin {
            FilterPlugin::NodeUnschedulable => node_basics::node_unschedulable(pod, node)?,
            FilterPlugin::NodeName => node_basics::node_name(pod, node)?,
            FilterPlugin::TaintToleration => taint_toleration::filter(pod, node)?,
            FilterPlugin::NodeAffinity => node_affinity::filter(pod, node)?,
            FilterPlugin::NodePorts => node_basics::node_ports(pod, node)?,
            FilterPlugin::NodeResourcesFit => node_resources::filter(pod, node)?,
            FilterPlugin::PodTopologySpread => {
                if let Some(state) = &cycle.spread {
                    topology_spread::filter(state, pod, node)?;
                }
            }
            FilterPlugin::InterPodAffinity => {
                if let Some(state) = &cycle.inter_pod {
                    inter_pod_affinity::filter(state, pod, node)?;
                }
            }
        }
    }
    Ok(())
}
