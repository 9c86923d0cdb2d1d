//! `PodInfo`: a pod with everything the scheduler reads from it worked out once, when the pod
//! enters the snapshot or a scheduling cycle: its effective requests, its host ports, its
//! affinity terms and spread constraints with their selectors compiled.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Pod};
use thiserror::Error;

use super::resources::{CPU, MEMORY, ResourceError, Resources};
use super::terms::{spread_constraints, terms, weighted_terms};
use crate::labels::{Labels, Selector, SelectorError, labels_of};

/// What the scheduler assumes a container needs when it requests no CPU, for scoring only
/// (`DefaultMilliCPURequest`: 0.1 core).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// The same for memory (`DefaultMemoryRequest`: 200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A pod the scheduler cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PodError {
    /// A quantity in its requests or overhead is malformed.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// A label selector in its affinity or spread constraints is malformed.
    #[error("{field}: {source}")]
    Selector {
        /// Where the selector was.
        field: String,
        /// What is wrong with it.
        source: SelectorError,
    },
    /// A field has a value the API would have refused.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// A host port a container asks for (`ports[].hostPort`), with its defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// `hostIP`, `0.0.0.0` when unset (all addresses).
    pub ip: String,
    /// `protocol`, `TCP` when unset.
    pub protocol: String,
    /// `hostPort`.
    pub port: i32,
}

/// Which namespaces a pod affinity term looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// `namespaceSelector: {}`: every namespace.
    All,
    /// The listed namespaces (the pod's own when the term names none).
    List(Vec<String>),
}

/// A compiled `PodAffinityTerm`: pods matching `selector` in `namespaces`, grouped by the
/// value of the node label `topology_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityTerm {
    /// The namespaces whose pods count.
    pub namespaces: Namespaces,
    /// Which pods count.
    pub selector: Selector,
    /// The node label that defines a topology domain.
    pub topology_key: String,
}

impl AffinityTerm {
    /// True if `pod` (namespace and labels) is one of the pods this term talks about.
    pub fn matches(&self, namespace: &str, labels: &Labels) -> bool {
        let in_namespace = match &self.namespaces {
            Namespaces::All => true,
            Namespaces::List(list) => list.iter().any(|n| n == namespace),
        };
        in_namespace && self.selector.matches(labels)
    }
}

/// A preferred affinity term with its weight (1-100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedTerm {
    /// The term.
    pub term: AffinityTerm,
    /// Its weight.
    pub weight: i64,
}

/// A compiled `topologySpreadConstraints` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadConstraint {
    /// How uneven the domains may get.
    pub max_skew: i64,
    /// The node label that defines a domain.
    pub topology_key: String,
    /// True for `DoNotSchedule` (a filter), false for `ScheduleAnyway` (a score).
    pub hard: bool,
    /// Which pods are counted (with `matchLabelKeys` merged in).
    pub selector: Selector,
    /// `minDomains`, 1 when unset.
    pub min_domains: i64,
    /// `nodeAffinityPolicy: Honor` (the default): only nodes matching the pod's node affinity
    /// and nodeSelector count.
    pub honor_node_affinity: bool,
    /// `nodeTaintsPolicy: Honor` (the default is Ignore): only nodes whose taints the pod
    /// tolerates count.
    pub honor_node_taints: bool,
}

/// A pod and what the scheduler reads from it.
#[derive(Debug, Clone)]
pub struct PodInfo {
    /// The pod itself.
    pub pod: Arc<Pod>,
    /// `namespace/name`.
    pub key: String,
    /// `metadata.namespace`, `default` when unset.
    pub namespace: String,
    /// The effective requests: what the pod needs to fit (see [`pod_requests`]).
    pub requests: Resources,
    /// CPU and memory requests with the scoring defaults for containers that request none.
    pub non_zero: NonZero,
    /// The host ports its containers use.
    pub host_ports: Vec<HostPort>,
    /// `podAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub required_affinity: Vec<AffinityTerm>,
    /// `podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    pub required_anti_affinity: Vec<AffinityTerm>,
    /// `podAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred_affinity: Vec<WeightedTerm>,
    /// `podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
    pub preferred_anti_affinity: Vec<WeightedTerm>,
    /// `topologySpreadConstraints`.
    pub spread_constraints: Vec<SpreadConstraint>,
    /// A copy of `metadata.labels`: affinity and spread match pod labels all the time, and a
    /// copy here saves a pointer chase through the Pod for each of them.
    labels: Labels,
    /// `metadata.deletionTimestamp` is set: spreading does not count pods on their way out.
    terminating: bool,
}

/// CPU (millicores) and memory (bytes) as scoring sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NonZero {
    /// Millicores.
    pub milli_cpu: i64,
    /// Bytes.
    pub memory: i64,
}

impl PodInfo {
    /// Reads a pod. Fails on what the API server would have refused: bad quantities, bad
    /// selectors.
    pub fn new(pod: Pod) -> Result<Self, PodError> {
        let namespace = pod
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let key = format!("{namespace}/{}", pod.metadata.name.as_deref().unwrap_or(""));
        let requests = pod_requests(&pod)?;
        let non_zero = non_zero_requests(&pod)?;
        let spec = pod.spec.as_ref();
        let host_ports = spec
            .into_iter()
            .flat_map(|s| &s.containers)
            .flat_map(|c| c.ports.iter().flatten())
            .filter(|p| p.host_port.is_some_and(|h| h > 0))
            .map(|p| HostPort {
                ip: p
                    .host_ip
                    .clone()
                    .filter(|ip| !ip.is_empty())
                    .unwrap_or_else(|| "0.0.0.0".into()),
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                port: p.host_port.unwrap_or(0),
            })
            .collect();
        let affinity = spec.and_then(|s| s.affinity.as_ref());
        let pod_affinity = affinity.and_then(|a| a.pod_affinity.as_ref());
        let anti = affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let field = "spec.affinity";
        let required_affinity = terms(
            pod_affinity.and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            &namespace,
            &format!("{field}.podAffinity.requiredDuringSchedulingIgnoredDuringExecution"),
        )?;
        let required_anti_affinity = terms(
            anti.and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            &namespace,
            &format!("{field}.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"),
        )?;
        let preferred_affinity = weighted_terms(
            pod_affinity.and_then(|a| {
                a.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            &namespace,
            &format!("{field}.podAffinity.preferredDuringSchedulingIgnoredDuringExecution"),
        )?;
        let preferred_anti_affinity = weighted_terms(
            anti.and_then(|a| {
                a.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            &namespace,
            &format!("{field}.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution"),
        )?;
        let spread_constraints = spread_constraints(&pod)?;
        let labels = labels_of(pod.metadata.labels.as_ref()).clone();
        let terminating = pod.metadata.deletion_timestamp.is_some();
        Ok(PodInfo {
            labels,
            terminating,
            pod: Arc::new(pod),
            key,
            namespace,
            requests,
            non_zero,
            host_ports,
            required_affinity,
            required_anti_affinity,
            preferred_affinity,
            preferred_anti_affinity,
            spread_constraints,
        })
    }

    /// `metadata.labels` (empty when unset).
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// True if the pod is being deleted (`metadata.deletionTimestamp` is set).
    pub fn terminating(&self) -> bool {
        self.terminating
    }

    /// `spec.nodeName`, when the pod is bound (or assumed).
    pub fn node_name(&self) -> Option<&str> {
        self.pod
            .spec
            .as_ref()?
            .node_name
            .as_deref()
            .filter(|n| !n.is_empty())
    }

    /// True if the pod has any inter-pod affinity or anti-affinity term.
    pub fn has_affinity(&self) -> bool {
        !(self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty())
    }
}

/// One container's requests. A resource with a limit but no request requests its limit: the API
/// server defaults it that way, and scenario files are read without an API server.
fn container_requests(container: &Container, field: &str) -> Result<Resources, ResourceError> {
    let resources = container.resources.as_ref();
    let mut list = resources
        .and_then(|r| r.requests.clone())
        .unwrap_or_default();
    for (name, limit) in resources
        .and_then(|r| r.limits.as_ref())
        .into_iter()
        .flatten()
    {
        list.entry(name.clone()).or_insert_with(|| limit.clone());
    }
    Resources::from_list(Some(&list), &format!("{field}.resources.requests"))
}

// ANCHOR: pod_requests
/// A pod's effective requests (`resourcehelper.PodRequests`): the sum over its containers,
/// raised to what any init container needs while it runs (init containers run one at a time,
/// next to the sidecars started before them), plus `spec.overhead`.
pub fn pod_requests(pod: &Pod) -> Result<Resources, PodError> {
    aggregate_requests(pod, container_requests)
}
// ANCHOR_END: pod_requests

/// The requests scoring uses (`GetNonzeroRequests`): a container that requests no CPU counts as
/// 100m, one that requests no memory as 200 MiB, so empty pods still spread out.
pub fn non_zero_requests(pod: &Pod) -> Result<NonZero, PodError> {
    let total = aggregate_requests(pod, |container, field| {
        let mut requests = container_requests(container, field)?;
        let asked = container
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref());
        let limits = container.resources.as_ref().and_then(|r| r.limits.as_ref());
        let has = |name: &str| {
            asked.is_some_and(|r| r.contains_key(name))
                || limits.is_some_and(|l| l.contains_key(name))
        };
        if !has(CPU) {
            requests.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has(MEMORY) {
            requests.memory = DEFAULT_MEMORY_REQUEST;
        }
        Ok(requests)
    })?;
    Ok(NonZero {
        milli_cpu: total.milli_cpu,
        memory: total.memory,
    })
}

/// The aggregation shared by [`pod_requests`] and [`non_zero_requests`].
fn aggregate_requests(
    pod: &Pod,
    per_container: impl Fn(&Container, &str) -> Result<Resources, ResourceError>,
) -> Result<Resources, PodError> {
    // BEGIN SOLUTION step-1: sum the containers, max with each init container (plus the sidecars before it), add overhead
    let Some(spec) = pod.spec.as_ref() else {
        return Ok(Resources::default());
    };
    let mut total = Resources::default();
    for (i, container) in spec.containers.iter().enumerate() {
        total.add(&per_container(container, &format!("spec.containers[{i}]"))?);
    }
    // Sidecars (init containers with restartPolicy Always) keep running: they add to the
    // total, and every later init container runs next to them.
    let mut sidecars = Resources::default();
    let mut init_peak = Resources::default();
    for (i, container) in spec.init_containers.iter().flatten().enumerate() {
        let mut needs = per_container(container, &format!("spec.initContainers[{i}]"))?;
        if container.restart_policy.as_deref() == Some("Always") {
            total.add(&needs);
            sidecars.add(&needs);
            needs = sidecars.clone();
        } else {
            needs.add(&sidecars);
        }
        init_peak.max_with(&needs);
    }
    total.max_with(&init_peak);
    total.add(&Resources::from_list(
        spec.overhead.as_ref(),
        "spec.overhead",
    )?);
    Ok(total)
    // END SOLUTION
}
