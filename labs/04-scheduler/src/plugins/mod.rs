//! The plugins of the default profile, one module per plugin (as in upstream's
//! `pkg/scheduler/framework/plugins/`). Each is a set of pure functions over a pod and the
//! snapshot: `filter` says whether a node can run the pod, `score` rates a node that can, and
//! `pre_filter` / `pre_score` work out once per pod what every node's check then reads.

pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_basics;
pub mod node_resources;
pub mod normalize;
pub mod taint_toleration;
pub mod topology_spread;

/// Scores run from 0 to this (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;
