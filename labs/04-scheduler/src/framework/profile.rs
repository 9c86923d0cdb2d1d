//! The profile: which filter and score plugins run, in which order, with which weights.

/// A filter plugin of the default profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterPlugin {
    /// Cordoned nodes.
    NodeUnschedulable,
    /// `spec.nodeName`.
    NodeName,
    /// NoSchedule and NoExecute taints.
    TaintToleration,
    /// `nodeSelector` and required node affinity.
    NodeAffinity,
    /// Host ports.
    NodePorts,
    /// Requests against allocatable.
    NodeResourcesFit,
    /// `DoNotSchedule` topology spread constraints.
    PodTopologySpread,
    /// Required inter-pod affinity and anti-affinity.
    InterPodAffinity,
}

/// A score plugin of the default profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScorePlugin {
    /// Fewer untolerated PreferNoSchedule taints.
    TaintToleration,
    /// Preferred node affinity.
    NodeAffinity,
    /// LeastAllocated: emptier nodes.
    NodeResourcesFit,
    /// `ScheduleAnyway` constraints and the system defaults.
    PodTopologySpread,
    /// Preferred inter-pod affinity and anti-affinity.
    InterPodAffinity,
    /// CPU and memory used in proportion.
    NodeResourcesBalancedAllocation,
    /// Images already on the node.
    ImageLocality,
}

impl FilterPlugin {
    /// The plugin's upstream name.
    pub fn name(self) -> &'static str {
        match self {
            FilterPlugin::NodeUnschedulable => "NodeUnschedulable",
            FilterPlugin::NodeName => "NodeName",
            FilterPlugin::TaintToleration => "TaintToleration",
            FilterPlugin::NodeAffinity => "NodeAffinity",
            FilterPlugin::NodePorts => "NodePorts",
            FilterPlugin::NodeResourcesFit => "NodeResourcesFit",
            FilterPlugin::PodTopologySpread => "PodTopologySpread",
            FilterPlugin::InterPodAffinity => "InterPodAffinity",
        }
    }
}

impl ScorePlugin {
    /// The plugin's upstream name.
    pub fn name(self) -> &'static str {
        match self {
            ScorePlugin::TaintToleration => "TaintToleration",
            ScorePlugin::NodeAffinity => "NodeAffinity",
            ScorePlugin::NodeResourcesFit => "NodeResourcesFit",
            ScorePlugin::PodTopologySpread => "PodTopologySpread",
            ScorePlugin::InterPodAffinity => "InterPodAffinity",
            ScorePlugin::NodeResourcesBalancedAllocation => "NodeResourcesBalancedAllocation",
            ScorePlugin::ImageLocality => "ImageLocality",
        }
    }
}

// ANCHOR: profile
/// A scheduling profile (`KubeSchedulerProfile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The `schedulerName` pods use to ask for this profile.
    pub scheduler_name: String,
    /// Filters, in the order they run; the first "no" decides.
    pub filters: Vec<FilterPlugin>,
    /// Scores with their weights.
    pub scores: Vec<(ScorePlugin, i64)>,
    /// `percentageOfNodesToScore`: 0 means the adaptive default.
    pub percentage_of_nodes_to_score: u32,
}

impl Default for Profile {
    /// The default profile of kube-scheduler v1.33 (`getDefaultPlugins`), without the volume
    /// plugins (no volumes here): filters in upstream order, scores with upstream weights.
    fn default() -> Self {
        Profile {
            scheduler_name: "default-scheduler".to_string(),
            filters: vec![
                FilterPlugin::NodeUnschedulable,
                FilterPlugin::NodeName,
                FilterPlugin::TaintToleration,
                FilterPlugin::NodeAffinity,
                FilterPlugin::NodePorts,
                FilterPlugin::NodeResourcesFit,
                FilterPlugin::PodTopologySpread,
                FilterPlugin::InterPodAffinity,
            ],
            scores: vec![
                (ScorePlugin::TaintToleration, 3),
                (ScorePlugin::NodeAffinity, 2),
                (ScorePlugin::NodeResourcesFit, 1),
                (ScorePlugin::PodTopologySpread, 2),
                (ScorePlugin::InterPodAffinity, 2),
                (ScorePlugin::NodeResourcesBalancedAllocation, 1),
                (ScorePlugin::ImageLocality, 1),
            ],
            percentage_of_nodes_to_score: 0,
        }
    }
}
// ANCHOR_END: profile
