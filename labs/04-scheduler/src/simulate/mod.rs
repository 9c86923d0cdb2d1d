//! The simulator: schedule the pending pods of a YAML file of Nodes and Pods, without a cluster.
//!
//! A scenario is a multi-document YAML file of v1 Node and v1 Pod objects. Pods with
//! `spec.nodeName` are already running there; the others are pending and are scheduled in file
//! order, each assumed onto its node before the next is scheduled, exactly as the scheduler's
//! loop would (step 4) if they were created in that order.
//!
//! Step 5 adds `scheduling.k8s.io/v1` PriorityClass documents: every pod's priority is
//! resolved as admission would (when the scenario has classes or the pod names one), and with
//! [`Options::preemption`] a pod that fits nowhere preempts lower-priority pods: the victims
//! leave the snapshot and the pod is placed on the nominated node, as the loop would do once
//! the victims are gone.

mod render;

use k8s_openapi::api::core::v1::{Node, Pod};
use thiserror::Error;

pub use render::{render_json, render_text};

use k8s_openapi::api::scheduling::v1::PriorityClass;

use crate::framework::{
    CycleState, FitError, Profile, ScheduleResult, SchedulingState, run_filters, schedule_one,
};
use crate::preemption::{Preemption, PriorityClasses, admit, preempt};
use crate::snapshot::{PodInfo, Snapshot};

/// A scenario file the simulator cannot use, with the document (1-based) at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("document {document}: {message}")]
pub struct ScenarioError {
    /// Which document of the file (1 is the first).
    pub document: usize,
    /// What is wrong, naming the field where it can.
    pub message: String,
}

/// The simulator's options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The tie-breaking seed.
    pub seed: u64,
    /// Run DefaultPreemption's PostFilter for pods that fit nowhere (step 5). Off by default
    /// so the step 3 snapshots do not depend on step 5; the CLI turns it on.
    pub preemption: bool,
}

/// What happened to one pending pod.
#[derive(Debug, Clone)]
pub enum Decision {
    /// It was placed.
    Scheduled(ScheduleResult),
    /// It fits nowhere (with preemption on, the FitError carries why preemption cannot help).
    Unschedulable(FitError),
    /// It fit nowhere, and preempting lower-priority pods made room: `fit` is the first
    /// cycle's failure, `preemption` the victims and the node it then went to.
    Preempted {
        /// Why no node fit before preemption.
        fit: FitError,
        /// The node, the victims and why that node.
        preemption: Preemption,
    },
    /// It asks for another scheduler (`spec.schedulerName`), so this one leaves it alone.
    NotOurs(String),
}

/// One pending pod's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `namespace/name`.
    pub pod: String,
    /// The decision.
    pub decision: Decision,
}

/// The result of a whole run.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The nodes, in file order (the order `--explain` lists them).
    pub nodes: Vec<String>,
    /// One outcome per pending pod, in file order.
    pub outcomes: Vec<Outcome>,
}

enum Object {
    Node(Box<Node>),
    Pod(Box<Pod>),
    PriorityClass(Box<PriorityClass>),
}

/// Reads the documents of a scenario, in order, each with its 1-based number.
fn parse(text: &str) -> Result<Vec<(usize, Object)>, ScenarioError> {
    let mut objects = Vec::new();
    for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let number = i + 1;
        let error = |message: String| ScenarioError {
            document: number,
            message,
        };
        let value = <serde_yaml::Value as serde::Deserialize>::deserialize(document)
            .map_err(|e| error(format!("not YAML: {e}")))?;
        if value.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        let field = |name: &str| {
            value
                .get(name)
                .and_then(serde_yaml::Value::as_str)
                .map(str::to_string)
        };
        let kind = field("kind").ok_or_else(|| error("kind: missing".into()))?;
        let wanted = match kind.as_str() {
            "PriorityClass" => "scheduling.k8s.io/v1",
            _ => "v1",
        };
        match field("apiVersion").as_deref() {
            Some(version) if version == wanted => {}
            Some(other) => {
                return Err(error(format!(
                    "apiVersion: expected {wanted}, found {other:?}"
                )));
            }
            None => return Err(error("apiVersion: missing".into())),
        }
        let object = match kind.as_str() {
            "PriorityClass" => Object::PriorityClass(Box::new(
                serde_yaml::from_value(value).map_err(|e| error(format!("PriorityClass: {e}")))?,
            )),
            "Node" => Object::Node(Box::new(
                serde_yaml::from_value(value).map_err(|e| error(format!("Node: {e}")))?,
            )),
            "Pod" => Object::Pod(Box::new(
                serde_yaml::from_value(value).map_err(|e| error(format!("Pod: {e}")))?,
            )),
            other => {
                return Err(error(format!(
                    "kind: expected Node, Pod or PriorityClass, found {other:?}"
                )));
            }
        };
        let name = match &object {
            Object::Node(n) => n.metadata.name.as_deref(),
            Object::Pod(p) => p.metadata.name.as_deref(),
            Object::PriorityClass(c) => c.metadata.name.as_deref(),
        };
        if name.is_none_or(str::is_empty) {
            return Err(error("metadata.name: missing".into()));
        }
        objects.push((number, object));
    }
    Ok(objects)
}

/// A scenario read into a snapshot: the nodes and running pods, and the pending pods in file
/// order.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Nodes and running pods.
    pub snapshot: Snapshot,
    /// The pods without `spec.nodeName`, in file order.
    pub pending: Vec<PodInfo>,
    /// The scenario's PriorityClasses.
    pub classes: PriorityClasses,
}

/// Reads a scenario into a snapshot and the list of pending pods.
pub fn load(text: &str) -> Result<Loaded, ScenarioError> {
    let objects = parse(text)?;
    let mut snapshot = Snapshot::new();
    let mut pending = Vec::new();
    let mut classes = PriorityClasses::new();
    let error = |document, message: String| ScenarioError { document, message };
    for (_, object) in &objects {
        if let Object::PriorityClass(class) = object {
            classes.add((**class).clone());
        }
    }
    // Nodes first, wherever they are in the file, so running pods can name any of them.
    for (number, object) in &objects {
        if let Object::Node(node) = object {
            snapshot
                .add_node((**node).clone())
                .map_err(|e| error(*number, e.to_string()))?;
        }
    }
    for (number, object) in objects {
        let Object::Pod(mut pod) = object else {
            continue;
        };
        // Admission resolves priorities; a scenario without classes has nothing to resolve
        // unless a pod names one (which then is an error).
        let names_class = pod
            .spec
            .as_ref()
            .and_then(|s| s.priority_class_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        if !classes.is_empty() || names_class {
            admit(&mut pod, &classes).map_err(|e| error(number, e.to_string()))?;
        }
        let info = PodInfo::new(*pod).map_err(|e| error(number, e.to_string()))?;
        if info.node_name().is_some() {
            snapshot
                .add_pod_info(std::sync::Arc::new(info))
                .map_err(|e| error(number, format!("spec.nodeName: {e}")))?;
        } else {
            pending.push(info);
        }
    }
    Ok(Loaded {
        snapshot,
        pending,
        classes,
    })
}

/// Runs a scenario: builds the snapshot from its nodes and running pods, then schedules each
/// pending pod in file order with the default profile.
pub fn simulate(text: &str, options: &Options) -> Result<Simulation, ScenarioError> {
    let Loaded {
        mut snapshot,
        pending,
        ..
    } = load(text)?;
    let profile = Profile::default();
    let mut state = SchedulingState::new(options.seed);
    let mut outcomes = Vec::new();
    for pod in pending {
        let asked = pod
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.clone())
            .unwrap_or_else(|| profile.scheduler_name.clone());
        let decision = if asked != profile.scheduler_name {
            Decision::NotOurs(asked)
        } else {
            match schedule_one(&snapshot, &pod, &profile, &mut state) {
                Ok(result) => {
                    // Only a node from the snapshot can be chosen, so assuming cannot fail.
                    if let Err(e) = snapshot.assume(&pod, &result.node) {
                        tracing::warn!(pod = %pod.key, error = %e, "could not assume the pod");
                    }
                    Decision::Scheduled(result)
                }
                Err(fit) if options.preemption => {
                    preempt_and_place(&mut snapshot, &pod, &profile, fit)
                }
                Err(fit) => Decision::Unschedulable(fit),
            }
        };
        outcomes.push(Outcome {
            pod: pod.key.clone(),
            decision,
        });
    }
    Ok(Simulation {
        nodes: snapshot.nodes().iter().map(|n| n.name.clone()).collect(),
        outcomes,
    })
}

/// A pod that fit nowhere: runs preemption; on success deletes the victims from the snapshot
/// and assumes the pod on the nominated node (where the next cycle would put it first).
fn preempt_and_place(
    snapshot: &mut Snapshot,
    pod: &PodInfo,
    profile: &Profile,
    mut fit: FitError,
) -> Decision {
    match preempt(snapshot, pod, profile, &fit) {
        Err(none) => {
            fit.post_filter_message = Some(none.message);
            Decision::Unschedulable(fit)
        }
        Ok(preemption) => {
            for victim in &preemption.victims {
                snapshot.remove_pod(victim);
            }
            let node = &preemption.nominated_node_name;
            let cycle = CycleState::pre_filter(snapshot, pod, profile);
            let fits = snapshot
                .node(node)
                .is_some_and(|info| run_filters(&cycle, profile, info).is_ok());
            if !fits || snapshot.assume(pod, node).is_err() {
                tracing::warn!(pod = %pod.key, %node, "the pod does not fit its nominated node");
            }
            Decision::Preempted { fit, preemption }
        }
    }
}
