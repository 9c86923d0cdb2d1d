//! Lab 01: a pod runtime built from Linux namespaces.
//!
//! A container is not a thing the kernel knows about. It is an ordinary process that the runtime
//! starts with a few kernel features switched on: namespaces (what the process can see: its own
//! hostname, network, process ids, mounts), cgroups (how much it may use: memory, CPU, pids) and
//! a root filesystem unpacked from an image (what files it finds at `/`). A Pod is a group of such
//! processes that share some namespaces (network, IPC, UTS and optionally PID), held open by a
//! tiny infra ("pause") process, so the containers of one Pod talk over `localhost` and see the
//! same hostname.
//!
//! In this lab the learner builds that runtime, one step at a time:
//!
//! 1. **Images**: unpack an OCI image layout into a rootfs, and keep a local image store.
//! 2. **The sandbox**: the pause process that creates and holds the Pod's namespaces.
//! 3. **Containers**: join the sandbox, pivot_root into the rootfs, mount volumes, run the command.
//! 4. **Resources**: requests and limits become cgroups.
//! 5. **Lifecycle**: init containers, restart policy with back-off, hooks, graceful stop.
//! 6. **Probes**: exec, httpGet and tcpSocket probes for liveness, readiness and startup.
//! 7. **Status and access**: PodStatus, logs and exec, behind a CRI-shaped API.
//!
//! The chapter `book/src/lab-01-pod-runtime.md` explains every step; `lab-01 run pod.yaml`
//! runs a real Pod manifest with all of them.
//!
//! # Layout
//!
//! - [`image`]: step 1, OCI images. [`image::layout`] reads an image layout and verifies every
//!   blob against its digest ([`image::media`] says what each blob is); [`image::unpack`] applies layers (with whiteouts) to a rootfs without
//!   letting any entry escape it; [`image::store`] is the local image store resolved by
//!   `name[:tag]`; [`image::build`] and [`image::busybox`] write layouts, including the offline
//!   `busybox` image made from the host's busybox-static.
//! - Steps 2 and 3, the sandbox and its containers: [`config`] holds what the runtime is asked
//!   to run (CRI-shaped [`config::SandboxConfig`] and [`config::ContainerConfig`]), and
//!   [`volume`] turns a Pod's volumes into host directories and mounts. [`sandbox::plan()`] and
//!   [`container::plan()`] write down, purely, every system call as a [`plan::Op`];
//!   [`plan::execute`] applies them through the [`syscalls::Syscalls`] trait (the real kernel, or
//!   a recording fake for snapshot tests). [`sandbox::Sandbox::start`] and
//!   [`container::Container::start`] run the plans in [`helper`] processes (`lab-01 __sandbox`,
//!   the pause process; `lab-01 __container`, a container's init); [`error`] is their error type.
//! - [`cgroups`]: step 4, resources. [`cgroups::limits`] turns a container's requests and limits
//!   into cgroup values with the kubelet's formulas; [`cgroups::Cgroup`] creates the cgroup (v1
//!   or v2, see [`cgroups::hierarchy`]), adds processes, reports OOM kills and removes it.
//! - [`lifecycle`]: step 5, lifecycle. [`lifecycle::compute_actions`] is the kubelet's sync
//!   decision (init containers in order, restarts by `restartPolicy` with [`lifecycle::Backoff`]),
//!   [`lifecycle::pod_phase`] derives `status.phase`, [`lifecycle::stop_plan`] stops gracefully.
//! - [`probe`]: step 6, probes. [`probe::spec`] defaults and validates a `v1.Probe`;
//!   [`probe::worker`] and [`probe::set`] are the pure state machines (schedule, thresholds, the
//!   startup gate); [`probe::handlers`] make the TCP, HTTP and exec checks, and
//!   [`probe::prober::run_due`] ties them to a clock.
//! - [`runtime`] and [`pod`]: step 7. [`runtime::RuntimeService`] is the CRI's verbs, and
//!   [`runtime::Runtime`] implements them with steps 2 to 4; [`runtime::status`] writes a
//!   `v1.PodStatus`, [`runtime::logs`] reads logs (`--tail`, `-f`), [`runtime::exec`] runs
//!   commands in running containers. [`pod::spec`] checks a Pod manifest and resolves its
//!   images; [`pod::runner`] is the kubelet's sync loop that runs it to its end.
//! - `src/main.rs` (and `src/cli/`): the `lab-01` command (`lab-01 images ...`, `lab-01 run`), a
//!   thin shell over this library.
//!
//! Start with [`image::unpack::unpack_image`]: it is the whole of step 1 in one call, and each
//! function it calls is one idea of the OCI image format.

pub mod cgroups;
pub mod config;
pub mod container;
pub mod error;
pub mod helper;
pub mod image;
pub mod lifecycle;
pub mod plan;
pub mod pod;
pub mod probe;
pub mod runtime;
pub mod sandbox;
pub mod syscalls;
pub mod volume;
