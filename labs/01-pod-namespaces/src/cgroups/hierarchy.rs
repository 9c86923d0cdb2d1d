//! Which cgroup hierarchy this machine has, and where: v2 (unified) or v1 (one per controller).
//!
//! Cgroups are a filesystem. Each *hierarchy* is a mount of the `cgroup` (v1) or `cgroup2` (v2)
//! filesystem; a directory in it is a cgroup, and its files are the knobs:
//!
//! ```text
//! cgroup v1: a tree per controller          cgroup v2: one tree, every controller
//! /sys/fs/cgroup/cpu/kubelab/<pod>/<c>/     /sys/fs/cgroup/kubelab/<pod>/<c>/
//!     cpu.shares  cpu.cfs_quota_us              cpu.weight  cpu.max
//! /sys/fs/cgroup/memory/kubelab/<pod>/<c>/      memory.max  memory.swap.max
//!     memory.limit_in_bytes                     pids.max    memory.events
//! /sys/fs/cgroup/pids/kubelab/<pod>/<c>/        cgroup.procs  cgroup.kill
//!     pids.max
//! ```
//!
//! On v1 a process is in one cgroup *per hierarchy*, so a container is three directories; on
//! v2 it is one. Systemd machines since about 2021 boot with v2 mounted at `/sys/fs/cgroup`;
//! older ones (and this course's CI) mount a `tmpfs` there with a v1 hierarchy per controller
//! under it, sometimes plus an empty v2 at `/sys/fs/cgroup/unified` ("hybrid"), which has no
//! controllers and does not count. Rather than guess paths, read the mount table: each line of
//! `/proc/self/mountinfo` (see `proc(5)`) names a mount point, its filesystem type and, for v1,
//! the controllers in its super options (`rw,cpu` or `rw,cpu,cpuacct` when co-mounted).

use std::path::{Path, PathBuf};

use crate::cgroups::{Error, Result};

/// Where a cgroup v2 hierarchy must be mounted for us to use it.
pub const UNIFIED_MOUNT_POINT: &str = "/sys/fs/cgroup";

/// The controllers this runtime uses, in the order their files are written.
pub const CONTROLLERS: [&str; 3] = ["cpu", "memory", "pids"];

/// The roots of the hierarchies this runtime puts containers in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupRoot {
    /// Legacy: one hierarchy per controller (the same directory when co-mounted).
    V1 {
        /// Mount point of the hierarchy that has the `cpu` controller.
        cpu: PathBuf,
        /// Mount point of the hierarchy that has the `memory` controller.
        memory: PathBuf,
        /// Mount point of the hierarchy that has the `pids` controller.
        pids: PathBuf,
    },
    /// Unified: one hierarchy with every controller.
    V2 {
        /// Its mount point, `/sys/fs/cgroup`.
        path: PathBuf,
    },
}

impl CgroupRoot {
    /// Finds this process's cgroup hierarchies from `/proc/self/mountinfo`.
    pub fn detect() -> Result<Self> {
        #[cfg(target_os = "linux")]
        {
            let path = Path::new("/proc/self/mountinfo");
            let mountinfo =
                std::fs::read_to_string(path).map_err(Error::io("read the mount table", path))?;
            Self::from_mountinfo(&mountinfo)
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(Error::NoHierarchy {
                reason: "cgroups are a Linux feature; run this step in the Vagrant VMs".into(),
            })
        }
    }

    /// Picks the hierarchies from the text of a `mountinfo` file: v2 when [`UNIFIED_MOUNT_POINT`]
    /// is a `cgroup2` mount, else the v1 mounts of `cpu`, `memory` and `pids`.
    pub fn from_mountinfo(mountinfo: &str) -> Result<Self> {
        let mounts: Vec<Mount> = mountinfo.lines().filter_map(Mount::parse).collect();
        if mounts
            .iter()
            .any(|m| m.fs_type == "cgroup2" && m.mount_point == Path::new(UNIFIED_MOUNT_POINT))
        {
            return Ok(Self::V2 {
                path: PathBuf::from(UNIFIED_MOUNT_POINT),
            });
        }
        // The first v1 mount that carries the controller; later ones are bind mounts of it.
        let find = |controller: &'static str| {
            mounts
                .iter()
                .find(|m| m.fs_type == "cgroup" && m.super_options.split(',').any(|o| o == controller))
                .map(|m| m.mount_point.clone())
                .ok_or_else(|| Error::NoHierarchy {
                    reason: format!(
                        "{UNIFIED_MOUNT_POINT} is not a cgroup2 mount and no cgroup v1 hierarchy has the `{controller}` controller (see /proc/self/mountinfo)"
                    ),
                })
        };
        Ok(Self::V1 {
            cpu: find("cpu")?,
            memory: find("memory")?,
            pids: find("pids")?,
        })
    }

    /// `1` or `2`, for logs and messages.
    pub fn version(&self) -> u8 {
        match self {
            Self::V1 { .. } => 1,
            Self::V2 { .. } => 2,
        }
    }
}

/// The fields of one mountinfo line that matter here.
#[derive(Debug)]
struct Mount {
    mount_point: PathBuf,
    fs_type: String,
    super_options: String,
}

impl Mount {
    /// Parses `36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw,errors=continue`:
    /// the fifth field is the mount point; after the lone `-` come type, source, super options.
    /// The optional fields before `-` vary in number, hence the split on the separator.
    fn parse(line: &str) -> Option<Self> {
        let (left, right) = line.split_once(" - ")?;
        let mount_point = left.split(' ').nth(4)?;
        let mut right = right.split(' ');
        let fs_type = right.next()?.to_owned();
        let _source = right.next()?;
        let super_options = right.next().unwrap_or("").to_owned();
        Some(Self {
            mount_point: PathBuf::from(unescape(mount_point)),
            fs_type,
            super_options,
        })
    }
}

/// Undoes mountinfo's octal escapes (`\040` is a space, `\134` a backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let octal = bytes.get(at + 1..at + 4).filter(|digits| {
            bytes[at] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d))
        });
        match octal {
            Some(digits) => {
                let value = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                at += 4;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
