//! Step 4: resources. A container's `requests` and `limits` become a cgroup.
//!
//! Namespaces decide what a process can *see*; control groups decide how much it may *use*. A
//! cgroup is a directory in a special filesystem: the processes listed in its `cgroup.procs`
//! are held to the limits written in its other files, and the kernel counts what they use.
//!
//! ```text
//! Pod spec                          this module                        the kernel
//! resources:            limits.rs             writes.rs
//!   requests: {cpu: 250m} ──> CgroupLimits ──> cpu.shares / cpu.weight    ──> CPU time shares
//!   limits: {cpu: 500m,       (kubelet's       cpu.cfs_quota_us / cpu.max ──> throttling
//!            memory: 64Mi}     formulas)       memory.limit_in_bytes/.max ──> OOM kill
//!                                              pids.max                   ──> fork fails
//! ```
//!
//! # Modules, in the order the data flows
//!
//! - [`quantity`]: `500m`, `64Mi`, `1G`, `129e6`: Kubernetes quantities, parsed exactly.
//! - [`limits`]: the kubelet's conversions from a container's `resources` to [`CgroupLimits`].
//! - [`hierarchy`]: is this machine cgroup v1 or v2, and where are the controllers mounted?
//! - [`writes`]: which file holds which number, on v1 and on v2.
//! - [`cgroup`]: a container's [`Cgroup`]: create, join, OOM detection, and (in its `remove`
//!   submodule) kill what is left and remove the directories.
//! - [`fs`]: the [`CgroupFs`] trait the side effects go through, with the real filesystem and a
//!   recording fake for snapshot tests.
//! - [`error`]: the one error type of this module.

pub mod cgroup;
pub mod error;
pub mod fs;
pub mod hierarchy;
pub mod limits;
pub mod quantity;
pub mod writes;

pub use cgroup::{Cgroup, Controller};
pub use error::{Error, Result};
pub use fs::{CgroupFs, RealFs, RecordingFs};
pub use hierarchy::CgroupRoot;
pub use limits::CgroupLimits;
