//! Why a node was rejected, and the message the scheduler reports when every node was.

use std::collections::BTreeMap;
use std::fmt;

/// A filter plugin's "no" for one node (`framework.Status` with code Unschedulable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The plugin that said no, e.g. `NodeResourcesFit`.
    pub plugin: &'static str,
    /// `UnschedulableAndUnresolvable`: preempting pods on this node would not help (a label or
    /// a taint is wrong, not a lack of room). Preemption (step 5) skips such nodes.
    pub unresolvable: bool,
    /// The reasons, as the real plugin words them: "Insufficient cpu".
    pub reasons: Vec<String>,
}

impl Rejection {
    /// A rejection with one reason that preemption could fix.
    pub fn unschedulable(plugin: &'static str, reason: impl Into<String>) -> Self {
        Rejection {
            plugin,
            unresolvable: false,
            reasons: vec![reason.into()],
        }
    }

    /// A rejection with one reason that preemption cannot fix.
    pub fn unresolvable(plugin: &'static str, reason: impl Into<String>) -> Self {
        Rejection {
            plugin,
            unresolvable: true,
            reasons: vec![reason.into()],
        }
    }
}

/// Every node that was looked at rejected the pod (`framework.FitError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError {
    /// `namespace/name` of the pod.
    pub pod: String,
    /// How many nodes the snapshot has (the N of "0/N nodes are available").
    pub num_all_nodes: usize,
    /// Each rejected node with its rejection, in the order they were filtered.
    pub rejected: Vec<(String, Rejection)>,
    /// What PostFilter (preemption, step 5) said when it could not help, e.g. "preemption:
    /// 0/3 nodes are available: 3 No preemption victims found for incoming pod."; appended to
    /// the message after a space (`Diagnosis.PostFilterMsg`).
    pub post_filter_message: Option<String>,
}

impl std::error::Error for FitError {}

// ANCHOR: fit_error
impl fmt::Display for FitError {
    /// The aggregated message of `FitError.Error()`: "0/3 nodes are available: 1 Insufficient
    /// memory, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }."
    /// When preemption (step 5) could not help, its message follows: " preemption: 0/3 nodes
    /// are available: 3 No preemption victims found for incoming pod.." (upstream adds a
    /// period after it too, hence the two).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_reasons(f)?;
        match &self.post_filter_message {
            Some(message) if self.num_all_nodes > 0 => write!(f, " {message}."),
            _ => Ok(()),
        }
    }
}

impl FitError {
    /// A FitError without a PostFilter message.
    pub fn new(pod: String, num_all_nodes: usize, rejected: Vec<(String, Rejection)>) -> Self {
        FitError {
            pod,
            num_all_nodes,
            rejected,
            post_filter_message: None,
        }
    }

    /// The filters' part of the message: "0/3 nodes are available: 1 Insufficient memory, ...".
    fn fmt_reasons(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // BEGIN SOLUTION step-2: count each reason over all nodes, "count reason", sorted as strings
        if self.num_all_nodes == 0 {
            // ErrNoNodesAvailable: the cycle never reached the filters.
            return write!(f, "no nodes available to schedule pods");
        }
        let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, rejection) in &self.rejected {
            for reason in &rejection.reasons {
                *histogram.entry(reason).or_default() += 1;
            }
        }
        // Upstream sorts the formatted "count reason" strings, so "10 x" sorts before "2 y".
        let mut parts: Vec<String> = histogram
            .iter()
            .map(|(reason, count)| format!("{count} {reason}"))
            .collect();
        parts.sort();
        write!(f, "0/{} nodes are available:", self.num_all_nodes)?;
        if !parts.is_empty() {
            write!(f, " {}.", parts.join(", "))?;
        }
        Ok(())
        // END SOLUTION
    }
}
// ANCHOR_END: fit_error
