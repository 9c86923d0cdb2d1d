//! The kubelet's view of a container runtime: whole pods in, pod statuses out.
//!
//! The real kubelet talks to containerd through the CRI (sandboxes, containers) and keeps a
//! *pod worker* per pod that drives those calls. This lab's kubelet drives a runtime one level
//! up, at the pod, which is what lab 01's `run_pod` already is: "run this pod until it is done
//! or I say stop". The final cluster wraps lab 01 in this trait (a thread per pod, blocked in
//! `run_pod`); tests and hollow nodes use a runtime with state only.
//!
//! ```text
//!   kubelet ── start_pod(pod, reporter) ──> runtime ── reporter.status(..)   (any number)
//!           ── stop_pod(uid, grace) ──────>         ── reporter.finished(..) (once, at the end)
//! ```
//!
//! Lab 01 fits like this (the final cluster's adapter, sketched):
//!
//! ```text
//! start_pod(pod, reporter): plan the pod with lab 01; (stop, stopped) = mpsc::channel();
//!     keep `stop` by UID; std::thread::spawn(move || {
//!         let status = lab_01::pod::runner::run_pod(&plan, &options, &stopped, &mut on_log);
//!         reporter.finished(status or a Failed status built from the error) })
//! stop_pod(uid, grace):    stop.send(())   (run_pod then stops the containers with their grace)
//! ```
//!
//! Statuses flow back through a [`StatusReporter`] the kubelet hands over with the pod: the
//! runtime pushes a new `PodStatus` whenever something changed (started, ready, exited), and
//! says once that the pod is *finished*: nothing of it runs any more, either because it
//! completed (phase `Succeeded`/`Failed`) or because it was stopped.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};

/// Why a runtime refused a pod.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("runtime: {0}")]
pub struct RuntimeError(pub String);

// ANCHOR: pod_runtime
/// A container runtime at the pod level. Implementations are shared by every pod worker of a
/// node (`Send + Sync`) and must not block the caller: long work (lab 01's `run_pod`) goes
/// on a thread or a `spawn_blocking` task of the runtime's own.
pub trait PodRuntime: Send + Sync + 'static {
    /// Starts running `pod` (its spec as the apiserver has it). Returns once the pod is
    /// accepted; every later change is reported through `reporter`.
    fn start_pod(&self, pod: &Pod, reporter: StatusReporter) -> Result<(), RuntimeError>;

    /// Asks the pod with this UID to stop, giving its containers `grace` to exit after
    /// SIGTERM. The runtime then calls [`StatusReporter::finished`]. Stopping a pod the
    /// runtime does not know (already finished) does nothing.
    fn stop_pod(&self, uid: &str, grace: Duration);
}
// ANCHOR_END: pod_runtime

/// What a runtime reports about one pod.
#[derive(Debug, Clone, PartialEq)]
pub enum PodReport {
    /// The pod's status changed.
    Status(PodStatus),
    /// Nothing of the pod runs any more; its last status.
    Finished(PodStatus),
}

/// Where a report goes: the kubelet stores it and schedules a sync of the pod.
pub(crate) type ReportSink = Arc<dyn Fn(&str, PodReport) + Send + Sync>;

/// The runtime's way back to the kubelet for one pod. Cheap to clone; may be used from any
/// thread.
#[derive(Clone)]
pub struct StatusReporter {
    uid: String,
    sink: ReportSink,
}

impl std::fmt::Debug for StatusReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusReporter")
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

impl StatusReporter {
    /// A reporter for the pod `uid` that hands every report to `sink` (tests use this to
    /// drive a runtime without a kubelet).
    pub fn new(
        uid: impl Into<String>,
        sink: impl Fn(&str, PodReport) + Send + Sync + 'static,
    ) -> Self {
        StatusReporter {
            uid: uid.into(),
            sink: Arc::new(sink),
        }
    }

    pub(crate) fn with_sink(uid: &str, sink: ReportSink) -> Self {
        StatusReporter {
            uid: uid.to_owned(),
            sink,
        }
    }

    /// The UID of the pod this reporter is for.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The pod's status changed.
    pub fn status(&self, status: PodStatus) {
        (self.sink)(&self.uid, PodReport::Status(status));
    }

    /// The pod no longer runs anything; `status` is its last.
    pub fn finished(&self, status: PodStatus) {
        (self.sink)(&self.uid, PodReport::Finished(status));
    }
}
