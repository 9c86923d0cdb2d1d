//! Pod priority: PriorityClass objects and how a pod's priority is resolved from them (what the
//! `Priority` admission plugin does when a pod is created).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use thiserror::Error;

/// The built-in class for cluster add-ons (`system-cluster-critical`).
pub const SYSTEM_CLUSTER_CRITICAL: (&str, i32) = ("system-cluster-critical", 2_000_000_000);
/// The built-in class for node-critical pods (`system-node-critical`).
pub const SYSTEM_NODE_CRITICAL: (&str, i32) = ("system-node-critical", 2_000_001_000);

/// A pod whose priority cannot be resolved: admission would refuse it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PriorityError {
    /// `spec.priorityClassName` names no class.
    #[error("spec.priorityClassName: no PriorityClass with name {0} was found")]
    UnknownClass(String),
}

/// The PriorityClasses of a cluster (or of a scenario), by name.
#[derive(Debug, Clone, Default)]
pub struct PriorityClasses {
    classes: BTreeMap<String, PriorityClass>,
}

impl PriorityClasses {
    /// No classes (the two system classes are always known).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a class.
    pub fn add(&mut self, class: PriorityClass) {
        let name = class.metadata.name.clone().unwrap_or_default();
        self.classes.insert(name, class);
    }

    /// True if no class was added.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The value of the class `name`, the system classes included.
    pub fn value(&self, name: &str) -> Option<i32> {
        match name {
            n if n == SYSTEM_CLUSTER_CRITICAL.0 => Some(SYSTEM_CLUSTER_CRITICAL.1),
            n if n == SYSTEM_NODE_CRITICAL.0 => Some(SYSTEM_NODE_CRITICAL.1),
            _ => self.classes.get(name).map(|c| c.value),
        }
    }

    /// The class `name`'s `preemptionPolicy` (`PreemptLowerPriority` when unset).
    pub fn preemption_policy(&self, name: &str) -> Option<&str> {
        self.classes
            .get(name)
            .and_then(|c| c.preemption_policy.as_deref())
    }

    /// The class with `globalDefault: true`; with several, the one of lowest value (as
    /// admission picks it).
    pub fn global_default(&self) -> Option<&PriorityClass> {
        self.classes
            .values()
            .filter(|c| c.global_default == Some(true))
            .min_by_key(|c| c.value)
    }
}

// ANCHOR: resolve_priority
/// A pod's priority: `spec.priority` if it is already set (the pod was admitted); else the
/// value of its `priorityClassName`; else the value of the global default class; else 0.
pub fn resolve_priority(pod: &Pod, classes: &PriorityClasses) -> Result<i32, PriorityError> {
    // BEGIN SOLUTION step-5: spec.priority, else the named class (or an error), else globalDefault, else 0
    let spec = pod.spec.as_ref();
    if let Some(priority) = spec.and_then(|s| s.priority) {
        return Ok(priority);
    }
    if let Some(name) = spec
        .and_then(|s| s.priority_class_name.as_deref())
        .filter(|n| !n.is_empty())
    {
        return classes
            .value(name)
            .ok_or_else(|| PriorityError::UnknownClass(name.to_string()));
    }
    Ok(classes.global_default().map_or(0, |c| c.value))
    // END SOLUTION
}
// ANCHOR_END: resolve_priority

/// Admission: sets `spec.priority` (and `spec.preemptionPolicy`, `priorityClassName` from the
/// class) the way the API server does when the pod is created.
pub fn admit(pod: &mut Pod, classes: &PriorityClasses) -> Result<(), PriorityError> {
    let priority = resolve_priority(pod, classes)?;
    let spec = pod.spec.get_or_insert_with(Default::default);
    if spec
        .priority_class_name
        .as_deref()
        .is_none_or(str::is_empty)
        && spec.priority.is_none()
    {
        spec.priority_class_name = classes
            .global_default()
            .and_then(|c| c.metadata.name.clone());
    }
    if spec.preemption_policy.is_none() {
        spec.preemption_policy = Some(
            spec.priority_class_name
                .as_deref()
                .and_then(|n| classes.preemption_policy(n))
                .unwrap_or("PreemptLowerPriority")
                .to_string(),
        );
    }
    spec.priority = Some(priority);
    Ok(())
}
