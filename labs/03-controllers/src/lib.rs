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
//! 4. **DaemonSet, Job and CronJob** (StatefulSet to come): one pod per matching node,
//!    pinned by node affinity; pods until `completions` succeed, at most `parallelism` at a
//!    time, within `backoffLimit` and `activeDeadlineSeconds`; Jobs on a cron schedule.
//! 6. **Node lifecycle and leader election**: nodes whose Lease is not renewed become
//!    `Unknown` and tainted, their pods are evicted after their toleration time; two
//!    controller-managers elect one leader with a Lease.
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
//! - [`expectations`]: step 2. Creations and deletions a controller waits to see.
//! - [`replicaset`]: step 2. The pure decisions ([`replicaset::decide`],
//!   [`replicaset::ranking`], [`replicaset::status`]) and the loop around them.
//! - [`daemonset`]: step 4. Where daemon pods belong ([`daemonset::placement`]), what to
//!   create and delete and the status ([`daemonset::decide`]), and the loop.
//! - [`job`]: step 4. One sync's decisions ([`job::decide`]) and the loop.
//! - [`cronjob`]: step 4. Schedules ([`cronjob::schedule`]), one sync's decisions
//!   ([`cronjob::decide`]) and the loop.
//! - [`nodelifecycle`]: step 6. The pure decisions ([`nodelifecycle::health`]: is the node
//!   alive; [`nodelifecycle::taints`]: its taints, and which pods to evict) and the periodic
//!   loop around them.
//! - [`leaderelection`]: step 6. The pure decisions ([`leaderelection::decide`]) and the
//!   candidate's loop ([`leaderelection::LeaderElector`]).
//! - [`manager`]: the controller-manager: a kubeconfig, the chosen controllers, leader
//!   election, `run`.
//!
//! Start with `queue/mod.rs`, then `informer/mod.rs`.

pub mod cronjob;
pub mod daemonset;
pub mod expectations;
pub mod informer;
pub mod job;
pub mod leaderelection;
pub mod manager;
pub mod nodelifecycle;
pub mod pods;
pub mod queue;
pub mod replicaset;
