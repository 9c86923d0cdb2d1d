//! From a container's `resources` to the numbers a cgroup holds: the kubelet's formulas.
//!
//! A Pod spec says what a container *needs* (`requests`) and the most it may *use* (`limits`).
//! The scheduler reads the requests; the node enforces both through cgroups, by turning each
//! into a kernel knob:
//!
//! ```text
//! resources:                           cgroup v1                  cgroup v2
//!   requests: {cpu: 250m}    ──shares──> cpu.shares 256      ──> cpu.weight 10
//!   limits:   {cpu: 500m,    ──quota───> cpu.cfs_quota_us 50000  cpu.max "50000 100000"
//!              memory: 64Mi} ──bytes───> memory.limit_in_bytes   memory.max 67108864
//! ```
//!
//! - **CPU requests become a *weight***: when CPUs are contended, each cgroup gets CPU time in
//!   proportion to its shares. 1 CPU = 1024 shares. A request is a guarantee only because the
//!   scheduler never puts more requests on a node than it has CPUs.
//! - **CPU limits become a *quota***: the CFS bandwidth controller lets the cgroup run for
//!   `quota` microseconds in each `period` (100 ms), then throttles it until the next period.
//!   A limit of 500m is 50 ms of CPU time per 100 ms, spread over any number of CPUs.
//! - **Memory limits become a hard cap**: above it the kernel reclaims, then OOM-kills a process
//!   of the cgroup. The kubelet reports that as the container's `OOMKilled` reason. A memory
//!   *request* only matters to the scheduler (and, with the MemoryQoS feature gate on cgroup v2,
//!   becomes `memory.min`, which this runtime does not do).
//!
//! The formulas are the kubelet's: `MilliCPUToShares` and `MilliCPUToQuota` in
//! `pkg/kubelet/cm/helpers_linux.go`, applied per container by `calculateLinuxResources` in
//! `pkg/kubelet/kuberuntime/kuberuntime_container_linux.go`, and the shares-to-weight mapping
//! that runc (`ConvertCPUSharesToCgroupV2Value` in `libcontainer/cgroups/utils.go`) and crun use
//! on cgroup v2, where kubelet still speaks in shares.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::cgroups::quantity::{ParsedQuantity, QuantityError};
use crate::cgroups::{Error, Result};

/// The fewest shares a cgroup may have (the kernel's `MIN_SHARES`); also what a container
/// without any CPU request gets, so that a BestEffort container loses every contest for CPU.
pub const MIN_SHARES: u64 = 2;
/// The most shares a cgroup may have (the kernel's `MAX_SHARES`, 2^18).
pub const MAX_SHARES: u64 = 262_144;
/// Shares per whole CPU: the kernel's default weight for a cgroup is 1024, "one CPU's worth".
pub const SHARES_PER_CPU: u64 = 1024;
/// Milli-CPUs per CPU.
pub const MILLI_CPU_PER_CPU: u64 = 1000;
/// The CFS period the kubelet uses, in microseconds (100 ms), unless the CPUCFSQuotaPeriod
/// feature gate sets another.
pub const QUOTA_PERIOD_US: u64 = 100_000;
/// The smallest quota the kernel accepts, in microseconds (1 ms).
pub const MIN_QUOTA_PERIOD_US: u64 = 1_000;

/// What a container's cgroup must hold: every knob this runtime sets, for either hierarchy.
///
/// `None` means "no limit": written as `-1` on v1 and `max` on v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupLimits {
    /// v1 `cpu.shares`: the CPU request as a relative weight.
    pub cpu_shares: u64,
    /// v2 `cpu.weight` (1..=10000): the same request on v2's scale.
    pub cpu_weight: u64,
    /// v1 `cpu.cfs_quota_us`, v2 the first half of `cpu.max`: CPU time per period.
    pub cpu_quota_us: Option<u64>,
    /// v1 `cpu.cfs_period_us`, v2 the second half of `cpu.max`.
    pub cpu_period_us: u64,
    /// v1 `memory.limit_in_bytes`, v2 `memory.max`.
    pub memory_limit_bytes: Option<u64>,
    /// `pids.max`: how many processes and threads the container may have at once.
    pub pids_limit: Option<u64>,
}

/// The CPU part of [`CgroupLimits`], as [`cpu_limits`] computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuLimits {
    /// v1 `cpu.shares`.
    pub shares: u64,
    /// v2 `cpu.weight`.
    pub weight: u64,
    /// CFS quota in microseconds per period; `None` without a CPU limit.
    pub quota_us: Option<u64>,
    /// CFS period in microseconds.
    pub period_us: u64,
}

impl CgroupLimits {
    /// Converts a container's `resources` into cgroup values, as the kubelet does.
    ///
    /// Only `cpu` and `memory` matter here; other resources (`ephemeral-storage`, hugepages,
    /// extended resources such as `nvidia.com/gpu`) are not cgroup knobs of this runtime and are
    /// ignored. Kubernetes has no per-container pids resource: the pids limit is the node's
    /// `podPidsLimit`, added with [`CgroupLimits::with_pids_limit`].
    pub fn from_resources(resources: &ResourceRequirements) -> Result<Self> {
        let requests = resources.requests.as_ref();
        let limits = resources.limits.as_ref();
        let cpu = cpu_limits(lookup(requests, "cpu"), lookup(limits, "cpu"))?;
        let memory_limit_bytes =
            memory_limit(lookup(requests, "memory"), lookup(limits, "memory"))?;
        Ok(Self {
            cpu_shares: cpu.shares,
            cpu_weight: cpu.weight,
            cpu_quota_us: cpu.quota_us,
            cpu_period_us: cpu.period_us,
            memory_limit_bytes,
            pids_limit: None,
        })
    }

    /// The same limits with a `pids.max` (the kubelet's `podPidsLimit`).
    #[must_use]
    pub fn with_pids_limit(self, pids: u64) -> Self {
        Self {
            pids_limit: Some(pids),
            ..self
        }
    }
}

impl Default for CgroupLimits {
    /// What a container without `resources` gets: the minimum weight and no limits.
    fn default() -> Self {
        Self {
            cpu_shares: MIN_SHARES,
            cpu_weight: shares_to_weight(MIN_SHARES),
            cpu_quota_us: None,
            cpu_period_us: QUOTA_PERIOD_US,
            memory_limit_bytes: None,
            pids_limit: None,
        }
    }
}

/// The quantity string of resource `name` in a `requests` or `limits` map, if any.
fn lookup<'a>(map: Option<&'a BTreeMap<String, Quantity>>, name: &str) -> Option<&'a str> {
    map.and_then(|map| map.get(name))
        .map(|quantity| quantity.0.as_str())
}

/// Parses `value` (found at `resources.<field>`) and converts it with `convert`.
///
/// `convert` is [`ParsedQuantity::milli_value`] for CPU and [`ParsedQuantity::value`] for memory.
pub fn parse_quantity(
    field: &str,
    value: &str,
    convert: fn(&ParsedQuantity) -> Result<u64, QuantityError>,
) -> Result<u64> {
    ParsedQuantity::parse(value)
        .and_then(|parsed| convert(&parsed))
        .map_err(|source| Error::InvalidQuantity {
            field: format!("resources.{field}"),
            value: value.to_owned(),
            source,
        })
}

/// The v2 `cpu.weight` for v1 `cpu.shares`: a linear map of [2, 262144] onto [1, 10000].
///
/// This is runc's `ConvertCPUSharesToCgroupV2Value` (crun has the same): kubelet computes
/// shares on both hierarchies and the OCI runtime converts them. So 1024 shares (one CPU) is
/// weight 39, not v2's default of 100. Recent runc and crun releases replaced this line with a
/// curve that maps 1024 to 100; the line is still the one most clusters run.
pub fn shares_to_weight(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    1 + ((shares.clamp(MIN_SHARES, MAX_SHARES) - 2) * 9999) / 262_142
}

// ANCHOR: cpu_limits
/// The CPU knobs for a container's CPU request and limit (quantity strings such as `250m`).
///
/// - shares = max(2, milliCPU * 1024 / 1000), at most 262144, from the request; a container
///   with a limit and no request gets its limit as request (the API server defaults it so);
/// - weight = [`shares_to_weight`] of those shares;
/// - quota = milliCPU * period / 1000 from the limit, at least 1000 us; no limit, no quota;
/// - period = 100000 us.
///
/// A request above the limit is refused, as the API server's validation does.
pub fn cpu_limits(request: Option<&str>, limit: Option<&str>) -> Result<CpuLimits> {
    // BEGIN SOLUTION step-4: CPU request -> shares (and v2 weight), CPU limit -> CFS quota per 100 ms period
    let request_milli = request
        .map(|value| parse_quantity("requests.cpu", value, ParsedQuantity::milli_value))
        .transpose()?;
    let limit_milli = limit
        .map(|value| parse_quantity("limits.cpu", value, ParsedQuantity::milli_value))
        .transpose()?;
    if let (Some(request_milli), Some(limit_milli), Some(request), Some(limit)) =
        (request_milli, limit_milli, request, limit)
        && request_milli > limit_milli
    {
        return Err(Error::RequestAboveLimit {
            resource: "cpu",
            request: request.to_owned(),
            limit: limit.to_owned(),
        });
    }
    // kubelet: "If request is not specified, but limit is, we want request to default to limit."
    let milli = request_milli.or(limit_milli).unwrap_or(0);
    // MilliCPUToShares: (milliCPU * 1024) / 1000, clamped to the kernel's [2, 262144]. Zero
    // (no request at all) is MIN_SHARES too, not the kernel default of 1024.
    let shares =
        (milli.saturating_mul(SHARES_PER_CPU) / MILLI_CPU_PER_CPU).clamp(MIN_SHARES, MAX_SHARES);
    // MilliCPUToQuota: (milliCPU * period) / 1000, at least 1 ms; 0 (no limit) means no quota.
    let quota_us = limit_milli.filter(|&milli| milli > 0).map(|milli| {
        (milli.saturating_mul(QUOTA_PERIOD_US) / MILLI_CPU_PER_CPU).max(MIN_QUOTA_PERIOD_US)
    });
    Ok(CpuLimits {
        shares,
        weight: shares_to_weight(shares),
        quota_us,
        period_us: QUOTA_PERIOD_US,
    })
    // END SOLUTION
}
// ANCHOR_END: cpu_limits

// ANCHOR: memory_limit
/// The memory limit in bytes for a container's memory request and limit (such as `64Mi`).
///
/// The limit becomes the cgroup's cap (apimachinery's `Value()`, which rounds up to whole
/// bytes); `0` or no limit means no cap, as in the kubelet. The request sets no cgroup value
/// here, but a request above the limit is refused, as the API server's validation does.
pub fn memory_limit(request: Option<&str>, limit: Option<&str>) -> Result<Option<u64>> {
    // BEGIN SOLUTION step-4: memory limit -> bytes (None when absent or 0), refusing a request above it
    let request_bytes = request
        .map(|value| parse_quantity("requests.memory", value, ParsedQuantity::value))
        .transpose()?;
    let limit_bytes = limit
        .map(|value| parse_quantity("limits.memory", value, ParsedQuantity::value))
        .transpose()?;
    if let (Some(request_bytes), Some(limit_bytes), Some(request), Some(limit)) =
        (request_bytes, limit_bytes, request, limit)
        && request_bytes > limit_bytes
    {
        return Err(Error::RequestAboveLimit {
            resource: "memory",
            request: request.to_owned(),
            limit: limit.to_owned(),
        });
    }
    // kubelet: `if memLimit != 0 { resources.MemoryLimitInBytes = memLimit }`.
    Ok(limit_bytes.filter(|&bytes| bytes > 0))
    // END SOLUTION
}
// ANCHOR_END: memory_limit
