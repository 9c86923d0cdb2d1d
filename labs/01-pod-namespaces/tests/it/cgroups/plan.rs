//! Step 4 tests through the recording fake: what a container's cgroup gets written on v1 and
//! v2, how OOM kills are read, and what removal does. No root needed.

use std::path::{Path, PathBuf};

use lab_01::cgroups::{Cgroup, CgroupLimits, CgroupRoot, Controller, Error, RecordingFs};

use super::{resources, snapshot};

const V1_CPU: &str = "/sys/fs/cgroup/cpu,cpuacct";
const V1_MEMORY: &str = "/sys/fs/cgroup/memory";
const V1_PIDS: &str = "/sys/fs/cgroup/pids";
const V2_ROOT: &str = "/sys/fs/cgroup";
const UNLIMITED: &str = "9223372036854771712";

/// A v1 machine like this course's CI: cpu co-mounted with cpuacct, memory with swap accounting.
fn v1_machine() -> (RecordingFs, CgroupRoot) {
    let root = CgroupRoot::V1 {
        cpu: PathBuf::from(V1_CPU),
        memory: PathBuf::from(V1_MEMORY),
        pids: PathBuf::from(V1_PIDS),
    };
    let procs = [("cgroup.procs", "")];
    let fs = RecordingFs::new()
        .with_dir(V1_CPU, &procs)
        .with_dir(V1_MEMORY, &procs)
        .with_dir(V1_PIDS, &procs)
        .with_dir_files(
            V1_CPU,
            &[
                ("cgroup.procs", ""),
                ("cpu.shares", "1024"),
                ("cpu.cfs_period_us", "100000"),
                ("cpu.cfs_quota_us", "-1"),
            ],
        )
        .with_dir_files(
            V1_MEMORY,
            &[
                ("cgroup.procs", ""),
                ("memory.limit_in_bytes", UNLIMITED),
                ("memory.memsw.limit_in_bytes", UNLIMITED),
                (
                    "memory.oom_control",
                    "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
                ),
                ("memory.failcnt", "0\n"),
            ],
        )
        .with_dir_files(
            V1_PIDS,
            &[
                ("cgroup.procs", ""),
                ("pids.max", "max"),
                ("pids.events", "max 0\n"),
            ],
        );
    (fs, root)
}

/// A current systemd machine: one unified hierarchy; the root hands down cpu and memory only.
fn v2_machine() -> (RecordingFs, CgroupRoot) {
    let root = CgroupRoot::V2 {
        path: PathBuf::from(V2_ROOT),
    };
    let fs = RecordingFs::new()
        .with_dir(
            V2_ROOT,
            &[
                ("cgroup.procs", ""),
                (
                    "cgroup.controllers",
                    "cpuset cpu io memory hugetlb pids rdma misc\n",
                ),
                ("cgroup.subtree_control", "cpu memory\n"),
            ],
        )
        .with_dir_files(
            V2_ROOT,
            &[
                ("cgroup.procs", ""),
                ("cgroup.kill", ""),
                ("cgroup.controllers", "cpu memory pids\n"),
                ("cgroup.subtree_control", "\n"),
                ("cpu.weight", "100"),
                ("cpu.max", "max 100000"),
                ("memory.max", "max"),
                ("memory.swap.max", "max"),
                (
                    "memory.events",
                    "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
                ),
                ("pids.max", "max"),
            ],
        );
    (fs, root)
}

/// What the runtime asks for in the tests below: 250m/500m CPU, 64Mi memory, 32 pids.
fn limits() -> CgroupLimits {
    CgroupLimits::from_resources(&resources(&[
        ("requests.cpu", "250m"),
        ("limits.cpu", "500m"),
        ("limits.memory", "64Mi"),
    ]))
    .unwrap()
    .with_pids_limit(32)
}

/// Creates, adds pid 4242, removes: the whole life of a container's cgroup, as a log.
fn life_of_a_cgroup(fs: &RecordingFs, root: &CgroupRoot) -> String {
    let mut cgroup = Cgroup::create_with(fs.clone(), root, "pod-1234", "web", &limits()).unwrap();
    cgroup.add_process(4242).unwrap();
    let mut log = fs.log();
    log.push("# remove".to_owned());
    let before = fs.log().len();
    cgroup.remove().unwrap();
    log.extend(fs.log().into_iter().skip(before));
    log.join("\n")
}

#[test]
fn step4_v1_cgroup_gets_limits_in_its_cpu_memory_and_pids_directories() {
    let (fs, root) = v1_machine();
    snapshot!(life_of_a_cgroup(&fs, &root));
    let left: Vec<PathBuf> = fs.dirs();
    assert_eq!(
        left,
        [V1_CPU, V1_MEMORY, V1_PIDS].map(PathBuf::from),
        "only the hierarchy roots are left"
    );
}

#[test]
fn step4_v2_cgroup_enables_controllers_and_writes_one_directory() {
    let (fs, root) = v2_machine();
    snapshot!(life_of_a_cgroup(&fs, &root));
    assert_eq!(fs.dirs(), [PathBuf::from(V2_ROOT)]);
}

#[test]
fn step4_no_limits_are_written_as_unlimited() {
    let (fs, root) = v1_machine();
    let cgroup =
        Cgroup::create_with(fs.clone(), &root, "pod-1", "c", &CgroupLimits::default()).unwrap();
    let read = |controller, file: &str| {
        use lab_01::cgroups::CgroupFs as _;
        fs.read(&cgroup.dir(controller).join(file)).unwrap()
    };
    assert_eq!(read(Controller::Cpu, "cpu.shares"), "2");
    assert_eq!(read(Controller::Cpu, "cpu.cfs_quota_us"), "-1");
    assert_eq!(read(Controller::Memory, "memory.limit_in_bytes"), "-1");
    assert_eq!(read(Controller::Pids, "pids.max"), "max");

    let (fs, root) = v2_machine();
    let cgroup =
        Cgroup::create_with(fs.clone(), &root, "pod-1", "c", &CgroupLimits::default()).unwrap();
    let read = |file: &str| {
        use lab_01::cgroups::CgroupFs as _;
        fs.read(&cgroup.dir(Controller::Cpu).join(file)).unwrap()
    };
    assert_eq!(read("cpu.weight"), "1");
    assert_eq!(read("cpu.max"), "max 100000");
    assert_eq!(read("memory.max"), "max");
    assert_eq!(read("memory.swap.max"), "0");
}

#[test]
fn step4_oom_kills_are_read_from_the_memory_counters() {
    let (fs, root) = v1_machine();
    let cgroup = Cgroup::create_with(fs.clone(), &root, "pod-1", "hog", &limits()).unwrap();
    assert!(!cgroup.oom_killed().unwrap());
    let oom_control = cgroup.dir(Controller::Memory).join("memory.oom_control");
    fs.set_file(
        &oom_control,
        "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
    );
    assert!(cgroup.oom_killed().unwrap());
    // An old v1 kernel has no oom_kill line: failcnt says the limit was hit.
    fs.set_file(&oom_control, "oom_kill_disable 0\nunder_oom 0\n");
    assert!(!cgroup.oom_killed().unwrap());
    fs.set_file(cgroup.dir(Controller::Memory).join("memory.failcnt"), "3\n");
    assert!(cgroup.oom_killed().unwrap());

    let (fs, root) = v2_machine();
    let cgroup = Cgroup::create_with(fs.clone(), &root, "pod-1", "hog", &limits()).unwrap();
    assert!(!cgroup.oom_killed().unwrap());
    fs.set_file(
        cgroup.dir(Controller::Memory).join("memory.events"),
        "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n",
    );
    assert!(cgroup.oom_killed().unwrap());
}

#[test]
fn step4_a_failed_create_leaves_no_directory_behind() {
    // A kernel whose new cgroups have no control files at all: the first write fails, after
    // the directories were made.
    let (_, root) = v1_machine();
    let broken = RecordingFs::new()
        .with_dir(V1_CPU, &[])
        .with_dir(V1_MEMORY, &[])
        .with_dir(V1_PIDS, &[]);
    let error = Cgroup::create_with(broken.clone(), &root, "pod-1", "c", &limits()).unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    assert!(broken.log().iter().any(|line| line.starts_with("mkdir")));
    assert_eq!(
        broken.dirs(),
        [V1_CPU, V1_MEMORY, V1_PIDS].map(PathBuf::from),
        "what was made is removed again"
    );
}

#[test]
fn step4_names_that_are_not_one_directory_are_refused() {
    let (fs, root) = v1_machine();
    for bad in ["", ".", "..", "a/b", "../../etc", "sp ace"] {
        let error = Cgroup::create_with(fs.clone(), &root, bad, "c", &limits()).unwrap_err();
        assert!(
            matches!(error, Error::InvalidName { .. }),
            "{bad:?}: {error:?}"
        );
        let error = Cgroup::create_with(fs.clone(), &root, "pod", bad, &limits()).unwrap_err();
        assert!(
            matches!(error, Error::InvalidName { .. }),
            "{bad:?}: {error:?}"
        );
    }
    assert!(fs.log().is_empty(), "nothing was touched");
}

#[test]
fn step4_a_second_container_keeps_the_pod_directory() {
    let (fs, root) = v1_machine();
    let first = Cgroup::create_with(fs.clone(), &root, "pod-1", "a", &limits()).unwrap();
    let second = Cgroup::create_with(fs.clone(), &root, "pod-1", "b", &limits()).unwrap();
    drop(first);
    let pod = Path::new(V1_MEMORY).join("kubelab/pod-1");
    assert!(fs.dirs().contains(&pod), "b still needs the pod directory");
    assert_eq!(second.procs_files().len(), 3);
    drop(second);
    assert!(!fs.dirs().contains(&pod));
}
