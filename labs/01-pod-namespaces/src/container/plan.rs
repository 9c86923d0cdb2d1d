//! A container's plan: from "a process outside the pod" to "the command, inside it".
//!
//! The order is forced by the kernel at almost every step:
//!
//! ```text
//!  helper (host namespaces)
//!   1 setns net, ipc, uts (and pid)     join the pod: same localhost, IPC, hostname
//!     unshare mnt (and pid)             a mount table of our own; a PID namespace for the child
//!     fork ───────────────────────────> child: PID 1 of its PID namespace (or a pod member)
//!   2 write cgroup.procs                 join its cgroups while the host's /sys is reachable
//!   3 mount --make-rprivate /           our mounts must not leak to the host, nor its to us
//!     mount --rbind rootfs rootfs       pivot_root needs the new root to be a mount point
//!     mount proc rootfs/proc            a /proc for *this* PID namespace
//!   4 rootfs/dev: tmpfs, device nodes, pts, shm
//!   5 volumes: bind mounts (then read-only remounts)
//!   6 chdir rootfs; pivot_root . .; umount2 . MNT_DETACH; chdir /     the host is gone
//!   7 mkdir -p workingDir; chdir workingDir; execve command
//! ```
//!
//! Each numbered part is a function below, and [`plan`] puts them in order. All of them are
//! pure: they build `Op`s from the config, and never look at the machine.

use std::path::Path;

use crate::config::{ContainerConfig, MountSpec, in_rootfs};
use crate::plan::{Mount, MountFlag, Namespace, Op};
use crate::sandbox::SandboxNamespaces;

/// The device nodes every container gets, bind-mounted from the host's `/dev` (the same list
/// as the OCI runtime spec's "default devices").
pub const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// Options of the `/dev` tmpfs: world-readable, small (it only holds nodes and links).
pub const DEV_TMPFS_OPTIONS: &str = "mode=755,size=65536k";
/// Options of `/dev/pts`: a new devpts instance, so the container sees its own terminals only.
pub const DEVPTS_OPTIONS: &str = "newinstance,ptmxmode=0666,mode=0620";
/// Options of `/dev/shm`: shared memory, writable by everyone, sticky, 64 MiB like Docker's.
pub const SHM_OPTIONS: &str = "mode=1777,size=65536k";

// ANCHOR: plan
/// The whole plan of a container's init, in the order the kernel requires (see the module
/// docs): join the sandbox, join cgroups, prepare the rootfs, `/dev`, volumes, `pivot_root`,
/// working directory, `execve`.
pub fn plan(config: &ContainerConfig, sandbox: &SandboxNamespaces) -> Vec<Op> {
    // BEGIN SOLUTION step-3: chain join_sandbox, cgroups, prepare_rootfs, minimal_dev, volume_mounts, pivot_root, workdir, exec
    let rootfs = config.rootfs.as_path();
    let mut ops = join_sandbox(sandbox);
    // In the child (after the fork in `join_sandbox`): the supervisor stays in the runtime's
    // cgroup, so the container's limits count the container only.
    ops.extend(config.cgroup_procs.iter().cloned().map(Op::JoinCgroup));
    ops.extend(prepare_rootfs(rootfs));
    ops.extend(minimal_dev(rootfs));
    ops.extend(volume_mounts(rootfs, &config.mounts));
    ops.extend(pivot_root(rootfs));
    // From here on, paths are the container's; `pivot_root` left us in `/`.
    let working_dir = config.working_dir();
    if working_dir != Path::new("/") {
        // Like runc: a missing working directory is created rather than refused.
        ops.push(Op::Mkdir {
            path: working_dir.to_path_buf(),
            mode: 0o755,
        });
        ops.push(Op::Chdir(working_dir.to_path_buf()));
    }
    ops.push(Op::Exec {
        argv: config.argv(),
        env: config.env_strings(),
    });
    ops
    // END SOLUTION
}
// ANCHOR_END: plan

// ANCHOR: join_sandbox
/// Part 1: join the sandbox's namespaces, take a mount namespace of our own, and fork.
///
/// `setns` and `unshare` of a PID namespace only affect the caller's *children*, so the plan
/// forks last: the child is inside the pod's PID namespace (shared) or is PID 1 of its own (not
/// shared: each container then sees only its own processes, as in Kubernetes by default).
pub fn join_sandbox(sandbox: &SandboxNamespaces) -> Vec<Op> {
    // BEGIN SOLUTION step-3: setns net/ipc/uts (and pid), unshare mnt (and pid if not shared), fork
    let mut ops: Vec<Op> = [
        (&sandbox.net, Namespace::Net),
        (&sandbox.ipc, Namespace::Ipc),
        (&sandbox.uts, Namespace::Uts),
    ]
    .into_iter()
    .map(|(path, namespace)| Op::SetNs {
        path: path.clone(),
        namespace,
    })
    .collect();
    match &sandbox.pid {
        Some(path) => {
            ops.push(Op::SetNs {
                path: path.clone(),
                namespace: Namespace::Pid,
            });
            ops.push(Op::Unshare(vec![Namespace::Mnt]));
        }
        None => ops.push(Op::Unshare(vec![Namespace::Mnt, Namespace::Pid])),
    }
    ops.push(Op::Fork);
    ops
    // END SOLUTION
}
// ANCHOR_END: join_sandbox

// ANCHOR: prepare_rootfs
/// Part 3: make our mount namespace private, turn the rootfs into a mount point, mount `/proc`.
pub fn prepare_rootfs(rootfs: &Path) -> Vec<Op> {
    let proc = in_rootfs(rootfs, Path::new("/proc"));
    vec![
        // A new mount namespace starts as a copy of the host's, and on most systems `/` is a
        // *shared* mount: without this, every mount below would also appear on the host.
        Op::Mount(Mount::make_rprivate("/")),
        // `pivot_root` wants the new root to be a mount point; binding the directory onto
        // itself makes it one.
        Op::Mount(Mount::bind(rootfs, rootfs)),
        Op::Mkdir {
            path: proc.clone(),
            mode: 0o555,
        },
        // A fresh procfs shows the processes of the PID namespace of the process that mounts
        // it: ours, since we are past the fork.
        Op::Mount(Mount::filesystem(
            "proc",
            proc,
            &[MountFlag::NoSuid, MountFlag::NoDev, MountFlag::NoExec],
            None,
        )),
    ]
}
// ANCHOR_END: prepare_rootfs

// ANCHOR: minimal_dev
/// Part 4: a minimal `/dev`: a tmpfs with the harmless device nodes bind-mounted from the
/// host, a private `/dev/pts`, a `/dev/shm`, and the usual symlinks.
///
/// The host's whole `/dev` would hand the container every disk; an empty one would break the
/// many programs that open `/dev/null`.
pub fn minimal_dev(rootfs: &Path) -> Vec<Op> {
    // BEGIN SOLUTION step-3: tmpfs on /dev, bind the DEVICES from the host, devpts, shm, symlinks
    let dev = in_rootfs(rootfs, Path::new("/dev"));
    let mut ops = vec![
        Op::Mkdir {
            path: dev.clone(),
            mode: 0o755,
        },
        // Not MS_NODEV: the device nodes bound below must stay usable.
        Op::Mount(Mount::filesystem(
            "tmpfs",
            &dev,
            &[MountFlag::NoSuid],
            Some(DEV_TMPFS_OPTIONS),
        )),
    ];
    for name in DEVICES {
        let node = dev.join(name);
        // A bind mount needs something to mount onto: an empty file for a file.
        ops.push(Op::CreateFile(node.clone()));
        ops.push(Op::Mount(Mount::bind(Path::new("/dev").join(name), node)));
    }
    let pts = dev.join("pts");
    let shm = dev.join("shm");
    ops.extend([
        Op::Mkdir {
            path: pts.clone(),
            mode: 0o755,
        },
        Op::Mount(Mount::filesystem(
            "devpts",
            pts,
            &[MountFlag::NoSuid, MountFlag::NoExec],
            Some(DEVPTS_OPTIONS),
        )),
        // Programs open /dev/ptmx to get a new terminal; it must be this instance's.
        Op::Symlink {
            target: "pts/ptmx".into(),
            link: dev.join("ptmx"),
        },
        Op::Mkdir {
            path: shm.clone(),
            mode: 0o1777,
        },
        Op::Mount(Mount::filesystem(
            "tmpfs",
            shm,
            &[MountFlag::NoSuid, MountFlag::NoDev, MountFlag::NoExec],
            Some(SHM_OPTIONS),
        )),
    ]);
    // `echo oops > /dev/stderr` is common in scripts; these point into our own /proc.
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        ops.push(Op::Symlink {
            target: target.into(),
            link: dev.join(link),
        });
    }
    ops
    // END SOLUTION
}
// ANCHOR_END: minimal_dev

// ANCHOR: volume_mounts
/// Part 5: each volume is a bind mount of a host directory into the rootfs, made read-only
/// by a second call when the mount asks for it.
pub fn volume_mounts(rootfs: &Path, mounts: &[MountSpec]) -> Vec<Op> {
    // BEGIN SOLUTION step-3: for each mount: mkdir the target, bind the host path, remount read-only if asked
    let mut ops = Vec::new();
    for mount in mounts {
        let target = in_rootfs(rootfs, &mount.container_path);
        ops.push(Op::Mkdir {
            path: target.clone(),
            mode: 0o755,
        });
        ops.push(Op::Mount(Mount::bind(&mount.host_path, &target)));
        if mount.read_only {
            // The kernel ignores MS_RDONLY when it creates a bind mount; it only applies it
            // when remounting one.
            ops.push(Op::Mount(Mount::remount_read_only(target)));
        }
    }
    ops
    // END SOLUTION
}
// ANCHOR_END: volume_mounts

// ANCHOR: pivot_root
/// Part 6: make the rootfs our `/` and let go of the host's.
///
/// `pivot_root(".", ".")` is the form `pivot_root(2)` itself documents (and `runc` uses): with
/// the rootfs as working directory, it makes it the new root and stacks the old root on top of
/// it, at the same place; unmounting `.` then removes the old root, and with it every path
/// back to the host. No `put_old` directory is needed in the image.
pub fn pivot_root(rootfs: &Path) -> Vec<Op> {
    // BEGIN SOLUTION step-3: chdir rootfs; pivot_root(".", "."); umount2(".", MNT_DETACH); chdir /
    vec![
        Op::Chdir(rootfs.to_path_buf()),
        Op::PivotRoot {
            new_root: ".".into(),
            put_old: ".".into(),
        },
        // MNT_DETACH: processes may still use the old root (our own open files); it is
        // detached now and freed when the last user lets go.
        Op::UnmountDetach(".".into()),
        Op::Chdir("/".into()),
    ]
    // END SOLUTION
}
// ANCHOR_END: pivot_root
