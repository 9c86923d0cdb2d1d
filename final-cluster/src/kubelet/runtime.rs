//! Lab 01's runtime behind lab 03's `PodRuntime`: one thread per pod, each running the pod with
//! lab 01's `run_pod` until it ends or the kubelet asks it to stop.
//!
//! ```text
//! start_pod(pod, reporter) ──> thread: pull images (Pending, ErrImagePull, ImagePullBackOff)
//!                                      plan the pod (a bad spec: Failed)
//!                                      run_pod ── hooks ──> statuses ──> reporter.status
//!                                              │           exec targets (for /exec)
//!                                              │           sandbox ──> lab 05's veth, the pod IP
//!                                      the end ──> reporter.finished(last status)
//! stop_pod(uid) ──────────────> the thread's stop channel (graceful stop, as `run_pod` does it)
//! ```
//!
//! The pods' directories (`<root>/<uid>`: volumes, root filesystems, logs) stay until the pod is
//! stopped, so `kubectl logs` works on a finished pod, as on a real node.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1 as corev1;
use lab_01::cgroups::CgroupRoot;
use lab_01::image::policy::PullBackOff;
use lab_01::image::{PullOptions, Store};
use lab_01::pod::{
    ExecTargets, RunHooks, RunOptions, SandboxNetwork, ensure_images, image_pulls, pending_status,
    plan_pod, run_pod,
};
use lab_01::runtime::exec::ExecTarget;
use lab_03::kubelet::{PodRuntime, RuntimeError, StatusReporter};
use lab_05::netns::Netns;
use lab_05::network::PodNetwork;

use super::network::NetworkSlot;
use super::server::Containers;
use super::volumes::{ApiVolumeSources, claims_on_node};

/// How often a pod waiting for its images looks again (the back-off decides when a pull is
/// retried; this only bounds how late a stop request is noticed).
const PULL_POLL: Duration = Duration::from_secs(1);

/// What the runtime needs from the node.
pub struct NodeRuntime {
    /// Where pods' directories go.
    pub root: PathBuf,
    /// Where persistentVolumeClaim volumes live on this node (`<namespace>/<claim>`); they
    /// outlive their pods.
    pub claims: PathBuf,
    /// The binary that runs lab 01's helper processes (the kubelet itself).
    pub helper: PathBuf,
    /// The image store.
    pub store: Store,
    /// Registries reached over plain HTTP.
    pub pull: PullOptions,
    /// Cgroups for containers with resources.
    pub cgroup_root: Option<CgroupRoot>,
    /// The node's pod network, once it is set up (`None`: pods get a network namespace of
    /// their own with only loopback, as with `lab-01 run`).
    pub network: Option<NetworkSlot>,
    /// Where configMap and secret volumes come from (`None`: nowhere; only `optional` ones
    /// then start, empty).
    pub volumes: Option<ApiVolumeSources>,
}

/// One pod the runtime has.
struct Entry {
    namespace: String,
    name: String,
    dir: PathBuf,
    stop: Sender<()>,
    targets: ExecTargets,
    finished: bool,
}

/// [`NodeRuntime`] as a `PodRuntime`, and the kubelet server's [`Containers`].
pub struct LabRuntime {
    node: Arc<NodeRuntime>,
    pods: Arc<Mutex<BTreeMap<String, Entry>>>,
    /// Notified each time a pod finishes ([`LabRuntime::wait_idle`] waits on it).
    finished: Arc<Condvar>,
}

impl LabRuntime {
    /// A runtime for this node.
    pub fn new(node: NodeRuntime) -> Self {
        LabRuntime {
            node: Arc::new(node),
            pods: Arc::default(),
            finished: Arc::default(),
        }
    }

    /// Waits until every pod has stopped running, at most `timeout`; whether they all did.
    /// The kubelet calls it on its way out, after asking every pod to stop: pods live in its
    /// process tree, so leaving earlier would orphan them.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut pods = self.lock();
        loop {
            if pods.values().all(|entry| entry.finished) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            pods = self
                .finished
                .wait_timeout(pods, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        lock(&self.pods)
    }

    fn find(&self, namespace: &str, pod: &str) -> Option<(PathBuf, ExecTargets)> {
        self.lock()
            .values()
            .find(|entry| entry.namespace == namespace && entry.name == pod)
            .map(|entry| (entry.dir.clone(), entry.targets.clone()))
    }
}

fn lock(pods: &Mutex<BTreeMap<String, Entry>>) -> MutexGuard<'_, BTreeMap<String, Entry>> {
    pods.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ANCHOR: start_pod
impl PodRuntime for LabRuntime {
    fn start_pod(&self, pod: &corev1::Pod, reporter: StatusReporter) -> Result<(), RuntimeError> {
        let uid = reporter.uid().to_owned();
        let dir = self.node.root.join(&uid);
        std::fs::create_dir_all(&dir)
            .map_err(|error| RuntimeError(format!("{}: {error}", dir.display())))?;
        let (stop, stopped) = mpsc::channel();
        let targets = ExecTargets::default();
        lock(&self.pods).insert(
            uid.clone(),
            Entry {
                namespace: pod.metadata.namespace.clone().unwrap_or_default(),
                name: pod.metadata.name.clone().unwrap_or_default(),
                dir: dir.clone(),
                stop,
                targets: targets.clone(),
                finished: false,
            },
        );
        let node = self.node.clone();
        let pods = self.pods.clone();
        let finished = self.finished.clone();
        let pod = pod.clone();
        std::thread::Builder::new()
            .name(format!("pod-{uid}"))
            .spawn(move || {
                let last = run(&node, &pod, &dir, targets, &stopped, &reporter);
                reporter.finished(last);
                // A pod stopped on purpose is being deleted: its directory goes too.
                let mut pods = lock(&pods);
                let stop_requested = stopped.try_recv().is_ok();
                if let Some(entry) = pods.get_mut(&uid) {
                    entry.finished = true;
                }
                if stop_requested {
                    pods.remove(&uid);
                    let _ = std::fs::remove_dir_all(&dir);
                }
                finished.notify_all();
            })
            .map_err(|error| RuntimeError(format!("cannot start the pod's thread: {error}")))?;
        Ok(())
    }
    // ANCHOR_END: start_pod

    fn stop_pod(&self, uid: &str, _grace: Duration) {
        let mut pods = self.lock();
        let Some(entry) = pods.get(uid) else {
            return;
        };
        if entry.finished {
            // Nothing runs: the directory can go now.
            let dir = entry.dir.clone();
            pods.remove(uid);
            let _ = std::fs::remove_dir_all(dir);
        } else {
            // Twice: one ends `run_pod`'s wait, one tells the thread it was a stop.
            let _ = entry.stop.send(());
            let _ = entry.stop.send(());
        }
    }
}

impl Containers for LabRuntime {
    fn log_dir(&self, namespace: &str, pod: &str, container: &str) -> Option<PathBuf> {
        let (dir, _) = self.find(namespace, pod)?;
        Some(dir.join("logs").join(container))
    }

    fn exec_target(&self, namespace: &str, pod: &str, container: &str) -> Option<ExecTarget> {
        let (_, targets) = self.find(namespace, pod)?;
        let targets = targets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        targets.get(container).cloned()
    }
}

/// The pod's whole life on this node; returns its last status.
fn run(
    node: &NodeRuntime,
    pod: &corev1::Pod,
    dir: &Path,
    targets: ExecTargets,
    stopped: &Receiver<()>,
    reporter: &StatusReporter,
) -> corev1::PodStatus {
    let failed = |message: String| corev1::PodStatus {
        phase: Some("Failed".to_owned()),
        reason: Some("RuntimeError".to_owned()),
        message: Some(message),
        ..Default::default()
    };
    let pulls = match image_pulls(pod) {
        Ok(pulls) => pulls,
        Err(error) => return failed(error.to_string()),
    };
    // Images first: the pod is Pending, its containers waiting with the pull's reason.
    let mut backoff = PullBackOff::default();
    loop {
        let waits = ensure_images(
            &node.store,
            &pulls,
            &node.pull,
            &mut backoff,
            Instant::now(),
            &mut |_| {},
        );
        if waits.is_empty() {
            break;
        }
        let pending = pending_status(&pulls, &waits);
        reporter.status(pending.clone());
        match stopped.recv_timeout(PULL_POLL) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return pending,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    // The network next: a pod starts only once the node has its podCIDR.
    let network = match &node.network {
        None => None,
        Some(slot) => loop {
            if let Some(network) = slot.get() {
                break Some(network.clone());
            }
            match stopped.recv_timeout(PULL_POLL) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                    return pending_status(&pulls, &[]);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        },
    };
    // Then the objects of its configMap and secret volumes: a missing one keeps the pod
    // ContainerCreating until it exists.
    let sources = match &node.volumes {
        None => Default::default(),
        Some(api) => loop {
            match api.fetch(pod) {
                Ok(sources) => break sources,
                Err(message) => {
                    tracing::warn!(pod = %reporter.uid(), "FailedMount: {message}");
                    let pending = pending_status(&pulls, &[]);
                    reporter.status(pending.clone());
                    match stopped.recv_timeout(PULL_POLL) {
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return pending,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                }
            }
        },
    };
    let plan = match plan_pod(&claims_on_node(pod, &node.claims), &node.store) {
        Ok(plan) => plan,
        Err(error) => return failed(error.to_string()),
    };
    let (status_tx, statuses) = mpsc::channel::<corev1::PodStatus>();
    let forward = {
        let reporter = reporter.clone();
        std::thread::spawn(move || {
            for status in statuses {
                reporter.status(status);
            }
        })
    };
    let network = network.map(|network| {
        Arc::new(Attach {
            network: network.clone(),
            key: reporter.uid().to_owned(),
        }) as Arc<dyn SandboxNetwork>
    });
    let options = RunOptions {
        helper: node.helper.clone(),
        store: node.store.clone(),
        pod_dir: dir.to_path_buf(),
        sources,
        cgroup_root: node.cgroup_root.clone(),
        timeout: None,
        hooks: RunHooks {
            status: Some(status_tx),
            exec_targets: Some(targets),
            network,
        },
    };
    let result = run_pod(&plan, &options, stopped, &mut |_, _| {});
    drop(options);
    let _ = forward.join();
    result.unwrap_or_else(|error| failed(error.to_string()))
}

/// One pod's connection to the node's pod network.
struct Attach {
    network: Arc<PodNetwork>,
    key: String,
}

impl SandboxNetwork for Attach {
    fn attach(&self, netns: &Path) -> Result<String, String> {
        let pod = Netns::open(netns).map_err(|error| error.to_string())?;
        self.network
            .attach(&pod, &self.key)
            .map(|ip| ip.to_string())
            .map_err(|error| error.to_string())
    }

    fn detach(&self) {
        if let Err(error) = self.network.detach(&self.key) {
            tracing::warn!(pod = %self.key, %error, "could not release the pod's address");
        }
    }
}
