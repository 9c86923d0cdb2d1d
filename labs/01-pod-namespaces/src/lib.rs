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
//! Only step 1 is written so far; the chapter `book/src/lab-01-pod-runtime.md` explains every step
//! and marks the ones still to come.
//!
//! # Layout
//!
//! - [`image`]: step 1, OCI images. [`image::layout`] reads an image layout and verifies every
//!   blob against its digest ([`image::media`] says what each blob is); [`image::unpack`] applies layers (with whiteouts) to a rootfs without
//!   letting any entry escape it; [`image::store`] is the local image store resolved by
//!   `name[:tag]`; [`image::build`] and [`image::busybox`] write layouts, including the offline
//!   `busybox` image made from the host's busybox-static.
//! - `src/main.rs`: the `lab-01` command (`lab-01 images ...`), a thin shell over this library.
//!
//! Start with [`image::unpack::unpack_image`]: it is the whole of step 1 in one call, and each
//! function it calls is one idea of the OCI image format.

pub mod image;
