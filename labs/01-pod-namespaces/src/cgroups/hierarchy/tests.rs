//! Unit tests of hierarchy detection on mount tables of v1, hybrid and v2 machines.

use std::path::PathBuf;

use super::{CgroupRoot, unescape};

/// This course's CI: a tmpfs at /sys/fs/cgroup, a v1 hierarchy per controller, an empty v2.
const V1_MOUNTINFO: &str = "\
23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

/// A current systemd machine: only the unified hierarchy.
const V2_MOUNTINFO: &str = "\
24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 24 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

#[test]
fn v1_controllers_are_read_from_the_super_options() {
    let root = CgroupRoot::from_mountinfo(V1_MOUNTINFO).unwrap();
    assert_eq!(
        root,
        CgroupRoot::V1 {
            cpu: PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"),
            memory: PathBuf::from("/sys/fs/cgroup/memory"),
            pids: PathBuf::from("/sys/fs/cgroup/pids"),
        }
    );
    assert_eq!(root.version(), 1);
}

#[test]
fn a_cgroup2_mount_at_sys_fs_cgroup_is_v2() {
    let root = CgroupRoot::from_mountinfo(V2_MOUNTINFO).unwrap();
    assert_eq!(
        root,
        CgroupRoot::V2 {
            path: PathBuf::from("/sys/fs/cgroup")
        }
    );
}

#[test]
fn a_missing_v1_controller_is_an_error_that_names_it() {
    let without_pids: String = V1_MOUNTINFO
        .lines()
        .filter(|line| !line.contains("pids"))
        .map(|line| format!("{line}\n"))
        .collect();
    let error = CgroupRoot::from_mountinfo(&without_pids).unwrap_err();
    assert!(error.to_string().contains("`pids` controller"), "{error}");
    assert!(CgroupRoot::from_mountinfo("").is_err());
}

#[test]
fn mount_points_are_unescaped() {
    assert_eq!(unescape(r"/mnt/with\040space"), "/mnt/with space");
    assert_eq!(unescape(r"/a\134b"), r"/a\b");
    assert_eq!(unescape(r"/trailing\04"), r"/trailing\04");
}
