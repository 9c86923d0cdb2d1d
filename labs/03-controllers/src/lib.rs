//! Lab 03: controllers.
//!
//! The learner builds the machinery every Kubernetes controller shares, an informer and a
//! work queue on a real Kubernetes client (`kube`), and then the controllers that turn desired
//! state into running pods, starting with the ReplicaSet. The chapter is
//! `book/src/lab-03-controllers.md`.
//!
//! The steps:
//!
//! 1. **Informers and work queues**: list then watch into a cache, relist on 410 Gone, handlers
//!    that enqueue keys; a queue that deduplicates, gives a key to one worker at a time and
//!    retries with per-key back-off.
//! 2. **The ReplicaSet controller**: too few pods, create (in slow-start batches); too many,
//!    delete (the least useful first); adopt and release by selector; status; expectations.
//! 3. **The Deployment controller**: one ReplicaSet per pod template (`pod-template-hash`),
//!    RollingUpdate within `maxSurge`/`maxUnavailable` and Recreate, proportional scaling,
//!    revisions and history, pause, and the `Progressing`/`Available` conditions.
//! 4. **DaemonSet, Job, CronJob and StatefulSet**: one pod per matching node, pinned by
//!    node affinity, replaced node by node within `maxUnavailable`/`maxSurge` when the
//!    template changes (ControllerRevisions); pods until `completions` succeed, at most
//!    `parallelism` at a time, within `backoffLimit` and `activeDeadlineSeconds`; Jobs on a
//!    cron schedule; pods with stable ordinal names and their own claims, started in order and
//!    stopped in reverse, updated from the highest ordinal down to a `partition`.
//! 5. **Service plumbing and cleanup**: Endpoints and EndpointSlices behind each Service, the
//!    garbage collector (background, foreground, orphan), the namespace and ServiceAccount
//!    controllers, node IPAM (`spec.podCIDR`), and Events for what they do.
//! 6. **Node lifecycle and leader election**: nodes whose Lease is not renewed become
//!    `Unknown` and tainted, their pods are evicted after their toleration time; two
//!    controller-managers elect one leader with a Lease.
//! 7. **The kubelet's loop**: pods bound to my node to a pod-level runtime and their status
//!    back; node registration, Lease and node status heartbeats; static pods and mirror pods.
//! 8. **Hollow nodes**: the kubelet loop over a runtime with state only, N nodes in one process
//!    for tests and benchmarks (`hollow-nodes`).
//!
//! # Layout
//!
//! - [`queue`]: step 1. [`queue::WorkQueue`] (add, get, done, `add_rate_limited`, forget),
//!   its [`queue::RateLimiter`], and the worker loop [`queue::process_next`].
//! - [`informer`]: step 1. [`informer::Informer`] (`list_and_watch`, `replace`), its
//!   [`informer::Cache`], and [`informer::ListWatch`], the list and watch it reads from
//!   (implemented for `kube::Api<K>`).
//! - [`pods`]: what controllers ask of pods: active, ready, available, controller owner,
//!   label selector matching.
//! - [`request`]: the error every controller returns for a failed request, and the 404/409
//!   checks.
//! - [`expectations`]: step 2. Creations and deletions a controller waits to see.
//! - [`podcontrol`]: step 2. Creating pods in slow-start batches and deleting them, with the
//!   expectations recorded first (the ReplicaSet, Job and DaemonSet controllers use it).
//! - [`replicaset`]: step 2. The pure decisions ([`replicaset::decide`],
//!   [`replicaset::ranking`], [`replicaset::status`]) and the loop around them.
//! - [`deployment`]: step 3. The pure decisions ([`deployment::hash`],
//!   [`deployment::rolling`], [`deployment::recreate`], [`deployment::scale`],
//!   [`deployment::status`], [`deployment::history`], [`deployment::claim`]) and the loop.
//! - [`history`]: step 4. ControllerRevisions, the template history of StatefulSets and
//!   DaemonSets, and the short hash Kubernetes names things with.
//! - [`events`]: step 5. [`events::EventRecorder`], Events with aggregation, for every
//!   controller.
//! - [`dynamic`]: step 5. Discovery and metadata informers over any resource.
//! - [`endpoints`]: step 5. [`endpoints::subsets`], [`endpoints::slices`] (pure) and the loop
//!   of the `endpoint` and `endpointslice` controllers, [`endpoints::controller`].
//! - [`garbagecollector`]: step 5. The graph, the pure [`garbagecollector::decide`], the loop.
//! - [`namespace`], [`serviceaccount`]: step 5. Namespace deletion; `default` accounts.
//! - [`nodeipam`]: step 5. [`nodeipam::cidr::CidrSet`] and the loop that writes `podCIDR`.
//! - `runner` (private): the informers-workers-shutdown shape step 5's controllers share.
//! - [`kubelet`]: step 7. [`kubelet::run`] and [`kubelet::Kubelet`], the pure per-pod
//!   [`kubelet::decide`], the Node ([`kubelet::node`]), the Lease ([`kubelet::heartbeat`]),
//!   [`kubelet::static_pods`], and the runtime trait [`kubelet::PodRuntime`] (lab 01 plugs in
//!   there in the final cluster).
//! - [`hollow`]: step 8. [`hollow::HollowRuntime`], its command [`hollow::patterns`], and
//!   [`hollow::start`] (N nodes in-process, a [`hollow::HollowNodes`] handle).
//! - [`daemonset`]: step 4. Where daemon pods belong ([`daemonset::placement`]), what to
//!   create and delete and the status ([`daemonset::decide`]), the rolling update
//!   ([`daemonset::update`]), its history ([`daemonset::revisions`]), and the loop.
//! - [`job`]: step 4. One sync's decisions ([`job::decide`]) and the loop.
//! - [`cronjob`]: step 4. Schedules ([`cronjob::schedule`]), one sync's decisions
//!   ([`cronjob::decide`]) and the loop.
//! - [`statefulset`]: step 4. A pod's identity ([`statefulset::identity`]), the ordered and
//!   partitioned decisions ([`statefulset::decide`](mod@statefulset::decide)), the status
//!   and revision data ([`statefulset::status`]), adoption ([`statefulset::adopt`]) and the
//!   loop.
//! - [`nodelifecycle`]: step 6. The pure decisions ([`nodelifecycle::health`]: is the node
//!   alive; [`nodelifecycle::taints`]: its taints, and which pods to evict) and the periodic
//!   loop around them.
//! - [`leaderelection`]: step 6. The pure decisions ([`leaderelection::decide`]) and the
//!   candidate's loop ([`leaderelection::LeaderElector`]).
//! - [`flags`]: the controller-manager's flags (upstream's names), shared with the final
//!   cluster's `kube-controller-manager`.
//! - [`manager`]: the controller-manager: a kubeconfig, the chosen controllers, leader
//!   election, `run`.
//!
//! Start with `queue/mod.rs`, then `informer/mod.rs`.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod dynamic;
pub mod endpoints;
pub mod events;
pub mod expectations;
pub mod flags;
pub mod garbagecollector;
pub mod history;
pub mod hollow;
pub mod informer;
pub mod job;
pub mod kubelet;
pub mod leaderelection;
pub mod manager;
pub mod namespace;
pub mod nodeipam;
pub mod nodelifecycle;
pub mod podcontrol;
pub mod pods;
pub mod queue;
pub mod replicaset;
pub mod request;
mod runner;
pub mod serviceaccount;
pub mod statefulset;
