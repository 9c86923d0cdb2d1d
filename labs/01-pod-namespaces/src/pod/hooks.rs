//! Step 7: what a kubelet needs from a Pod while it runs, besides its final status: each status
//! change as it happens, where to run `kubectl exec`, and the Pod's network.
//!
//! `lab-01 run` needs none of these and leaves them empty. The final cluster's kubelet sets all
//! three: it writes the statuses to the API server, serves exec from the targets, and connects
//! each sandbox to lab 05's pod network, which gives the Pod its IP.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1 as corev1;

use crate::runtime::exec::ExecTarget;

/// How to exec into each running container of a Pod, by container name. The runner keeps it
/// current: a container appears when it starts and goes when it exits.
pub type ExecTargets = Arc<Mutex<BTreeMap<String, ExecTarget>>>;

/// Connects a Pod's sandbox to the node's network (lab 05's `PodNetwork`). One value per Pod.
pub trait SandboxNetwork: Send + Sync {
    /// Wires the sandbox's network namespace `netns` (a veth, an address, a default route) and
    /// returns the Pod's IP.
    fn attach(&self, netns: &Path) -> Result<String, String>;
    /// Gives the address back; the sandbox is gone (with it its end of the veth).
    fn detach(&self);
}

/// The optional hooks of [`crate::pod::runner::run_pod`] (see the module docs).
#[derive(Clone, Default)]
pub struct RunHooks {
    /// Receives the Pod's status every time it changes (a closed channel is ignored).
    pub status: Option<Sender<corev1::PodStatus>>,
    /// Kept up to date with the running containers' exec targets.
    pub exec_targets: Option<ExecTargets>,
    /// Connects the sandbox to the pod network before any container starts.
    pub network: Option<Arc<dyn SandboxNetwork>>,
}

impl std::fmt::Debug for RunHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunHooks")
            .field("status", &self.status.is_some())
            .field("exec_targets", &self.exec_targets.is_some())
            .field("network", &self.network.is_some())
            .finish()
    }
}
