//! Amounts of resources: what a node offers (`status.allocatable`) and what pods request.
//!
//! CPU is kept in millicores, memory and ephemeral storage in bytes, and every other resource
//! (extended resources such as `example.com/gpu`, `hugepages-2Mi`) as a whole number, the way
//! the scheduler's `framework.Resource` keeps them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use thiserror::Error;

use crate::quantity::{QuantityError, parse_quantity};

/// A resource amount that could not be read, with the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {source}")]
pub struct ResourceError {
    /// Where the quantity was, e.g. `spec.containers[0].resources.requests.memory`.
    pub field: String,
    /// What is wrong with it.
    pub source: QuantityError,
}

/// Amounts of CPU, memory, ephemeral storage and scalar (extended) resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// CPU in millicores.
    pub milli_cpu: i64,
    /// Memory in bytes.
    pub memory: i64,
    /// Ephemeral storage in bytes.
    pub ephemeral_storage: i64,
    /// Every other resource by name, as whole numbers.
    pub scalar: BTreeMap<String, i64>,
}

/// The resource names the scheduler knows by name.
pub const CPU: &str = "cpu";
/// See [`CPU`].
pub const MEMORY: &str = "memory";
/// See [`CPU`].
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
/// See [`CPU`]: the node's pod capacity, never requested by a pod.
pub const PODS: &str = "pods";

impl Resources {
    /// Reads a resource list (`requests`, `allocatable`, `overhead`). `field` names the list in
    /// errors. The `pods` entry is skipped: a node's pod count is kept apart.
    pub fn from_list(
        list: Option<&BTreeMap<String, ApiQuantity>>,
        field: &str,
    ) -> Result<Self, ResourceError> {
        let mut resources = Resources::default();
        for (name, quantity) in list.into_iter().flatten() {
            if name == PODS {
                continue;
            }
            let value = read(name, quantity, field)?;
            match name.as_str() {
                CPU => resources.milli_cpu = value,
                MEMORY => resources.memory = value,
                EPHEMERAL_STORAGE => resources.ephemeral_storage = value,
                _ => {
                    resources.scalar.insert(name.clone(), value);
                }
            }
        }
        Ok(resources)
    }

    /// Adds `other` to `self`, resource by resource.
    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (name, value) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() += value;
        }
    }

    /// Subtracts `other` from `self` (a pod leaving a node).
    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        for (name, value) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() -= value;
        }
    }

    /// Raises each resource of `self` to at least its amount in `other`.
    pub fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, value) in &other.scalar {
            let mine = self.scalar.entry(name.clone()).or_default();
            *mine = (*mine).max(*value);
        }
    }

    /// The amount of one scalar resource (0 when absent).
    pub fn scalar(&self, name: &str) -> i64 {
        self.scalar.get(name).copied().unwrap_or(0)
    }

    /// True if nothing at all is requested.
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.values().all(|v| *v == 0)
    }
}

/// Reads one quantity: CPU in millicores, everything else as a whole number.
pub(crate) fn read(name: &str, quantity: &ApiQuantity, field: &str) -> Result<i64, ResourceError> {
    let error = |source| ResourceError {
        field: format!("{field}.{name}"),
        source,
    };
    let parsed = parse_quantity(&quantity.0).map_err(error)?;
    let value = if name == CPU {
        parsed.milli_value()
    } else {
        parsed.value()
    };
    value.ok_or_else(|| error(QuantityError::TooLarge(quantity.0.clone())))
}
