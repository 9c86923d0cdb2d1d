//! Writing a container's limits into its cgroup files: which file holds which number.
//!
//! The same [`CgroupLimits`] land in different files on the two hierarchies, with different
//! spellings of "no limit" (`-1` on v1, `max` on v2):
//!
//! ```text
//! CgroupLimits        cgroup v1 (three directories)        cgroup v2 (one directory)
//! cpu_shares     ──>  cpu/…/cpu.shares          512
//! cpu_weight     ──>                                       cpu.weight     20
//! cpu_quota_us   ──>  cpu/…/cpu.cfs_quota_us    50000      cpu.max        "50000 100000"
//! cpu_period_us  ──>  cpu/…/cpu.cfs_period_us   100000       (both in one file)
//! memory_limit   ──>  memory/…/memory.limit_in_bytes       memory.max     67108864
//!                     memory/…/memory.memsw.limit_in_bytes memory.swap.max 0
//! pids_limit     ──>  pids/…/pids.max           max        pids.max       max
//! ```
//!
//! The swap line matters: with swap on the node, a memory limit alone only limits *RAM*, and a
//! container could keep going by swapping. On v1 `memsw` is the limit of memory *plus* swap, so
//! setting it equal to the memory limit allows no swap at all; on v2 `memory.swap.max` is swap
//! alone, so it is 0. Either file exists only when the kernel accounts swap, hence "if present".

use std::path::Path;

use crate::cgroups::fs::CgroupFs;
use crate::cgroups::limits::CgroupLimits;
use crate::cgroups::{Error, Result};

/// The three leaf directories of a container on cgroup v1 (equal when controllers co-mount).
#[derive(Debug, Clone, Copy)]
pub struct V1Dirs<'a> {
    /// The leaf in the `cpu` hierarchy.
    pub cpu: &'a Path,
    /// The leaf in the `memory` hierarchy.
    pub memory: &'a Path,
    /// The leaf in the `pids` hierarchy.
    pub pids: &'a Path,
}

/// Writes `value` to the cgroup file `dir/file`.
pub fn write(fs: &dyn CgroupFs, dir: &Path, file: &str, value: &str) -> Result<()> {
    let path = dir.join(file);
    tracing::debug!(path = %path.display(), value, "cgroup write");
    fs.write(&path, value)
        .map_err(Error::io("write a cgroup file", path))
}

/// Whether this kernel has the cgroup file `dir/file` (swap accounting may be off, say).
pub fn present(fs: &dyn CgroupFs, dir: &Path, file: &str) -> bool {
    fs.read(&dir.join(file)).is_ok()
}

/// A limit as cgroup v1 writes it: the number, or `-1` for none.
pub fn v1_value(limit: Option<u64>) -> String {
    limit.map_or_else(|| "-1".to_owned(), |value| value.to_string())
}

/// A limit as cgroup v2 (and v1's `pids.max`) writes it: the number, or `max` for none.
pub fn max_value(limit: Option<u64>) -> String {
    limit.map_or_else(|| "max".to_owned(), |value| value.to_string())
}

// ANCHOR: write_v1
/// Writes `limits` into a container's three v1 cgroups.
///
/// The cgroup was just made, so its memory+swap limit is still unlimited and the memory limit
/// can be set first (the kernel refuses a `memsw` limit below the memory limit).
pub fn write_v1(fs: &dyn CgroupFs, dirs: V1Dirs<'_>, limits: &CgroupLimits) -> Result<()> {
    // BEGIN SOLUTION step-4: cgroup v1: cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, memory.limit_in_bytes (and memory.memsw.limit_in_bytes if present), pids.max
    write(fs, dirs.cpu, "cpu.shares", &limits.cpu_shares.to_string())?;
    // The period before the quota: the quota is CPU time per period.
    write(
        fs,
        dirs.cpu,
        "cpu.cfs_period_us",
        &limits.cpu_period_us.to_string(),
    )?;
    write(
        fs,
        dirs.cpu,
        "cpu.cfs_quota_us",
        &v1_value(limits.cpu_quota_us),
    )?;
    let memory = v1_value(limits.memory_limit_bytes);
    write(fs, dirs.memory, "memory.limit_in_bytes", &memory)?;
    if present(fs, dirs.memory, "memory.memsw.limit_in_bytes") {
        // memory + swap = memory: no swap at all, so swapping cannot dodge the limit.
        write(fs, dirs.memory, "memory.memsw.limit_in_bytes", &memory)?;
    }
    write(fs, dirs.pids, "pids.max", &max_value(limits.pids_limit))
    // END SOLUTION
}
// ANCHOR_END: write_v1

// ANCHOR: write_v2
/// Writes `limits` into a container's one v2 cgroup.
pub fn write_v2(fs: &dyn CgroupFs, dir: &Path, limits: &CgroupLimits) -> Result<()> {
    // BEGIN SOLUTION step-4: cgroup v2: cpu.weight, cpu.max ("<quota|max> <period>"), memory.max, memory.swap.max=0 if present, pids.max
    write(fs, dir, "cpu.weight", &limits.cpu_weight.to_string())?;
    let cpu_max = format!(
        "{} {}",
        max_value(limits.cpu_quota_us),
        limits.cpu_period_us
    );
    write(fs, dir, "cpu.max", &cpu_max)?;
    write(fs, dir, "memory.max", &max_value(limits.memory_limit_bytes))?;
    if present(fs, dir, "memory.swap.max") {
        // v2 counts swap separately: none at all, as the kubelet's NoSwap behaviour.
        write(fs, dir, "memory.swap.max", "0")?;
    }
    write(fs, dir, "pids.max", &max_value(limits.pids_limit))
    // END SOLUTION
}
// ANCHOR_END: write_v2
