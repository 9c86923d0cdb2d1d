//! The namespace controller: deleting a namespace deletes everything in it, then the namespace
//! (upstream `pkg/controller/namespace`, its `NamespacedResourcesDeleter`).
//!
//! `kubectl delete namespace team` does not remove the namespace: the apiserver sets its
//! `deletionTimestamp` and phase `Terminating`, and the `kubernetes` entry of
//! `spec.finalizers` holds it. This controller then, for every namespaced resource that
//! discovery lists, deletes the objects of that namespace; objects that linger (their own
//! finalizers, a pod's grace period) mean "look again in a moment". When nothing is left it
//! removes `kubernetes` through the `finalize` subresource
//! (`PUT /api/v1/namespaces/team/finalize`), and the apiserver deletes the namespace.

use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use crate::dynamic::{DiscoveredResource, discover_with_retry};
use crate::events::{EventRecorder, EventType};
use crate::informer::{Cache, Change, Informer};
use crate::pods;
use crate::queue::WorkQueue;
use crate::request::{RequestError, is_not_found, request_failed};
use crate::runner::Tasks;

/// Upstream's default `--concurrent-namespace-syncs`.
pub const DEFAULT_WORKERS: usize = 10;
/// How soon a namespace whose content is still going is looked at again.
pub const RECHECK: Duration = Duration::from_millis(500);
/// The finalizer this controller owns.
pub const FINALIZER: &str = "kubernetes";

/// What is still in a terminating namespace after one pass: objects by resource, and the
/// finalizers that hold them (they become the namespace's conditions).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Remaining {
    /// Objects still there, by resource plural.
    pub by_resource: BTreeMap<String, usize>,
    /// Objects still there, by each finalizer they carry.
    pub by_finalizer: BTreeMap<String, usize>,
}

impl Remaining {
    /// Counts one object of `resource` that is still there.
    pub fn count(&mut self, resource: &str, finalizers: &[String]) {
        *self.by_resource.entry(resource.to_owned()).or_default() += 1;
        for finalizer in finalizers {
            *self.by_finalizer.entry(finalizer.clone()).or_default() += 1;
        }
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.by_resource.is_empty()
    }
}

/// Why a sync failed (retried with back-off).
pub type NamespaceError = RequestError;

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct NamespaceController {
    client: Client,
    namespaces: Cache<Namespace>,
    resources: Arc<Vec<DiscoveredResource>>,
    queue: Arc<WorkQueue>,
    events: EventRecorder,
    clock: Arc<dyn Clock>,
}

/// Runs the namespace controller until `shutdown` completes.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    let resources = tokio::select! {
        () = &mut shutdown => return,
        resources = discover_with_retry(&client, "namespace controller") => resources,
    };
    let resources: Vec<_> = resources.into_iter().filter(|r| r.namespaced).collect();
    let mut informer = Informer::new(Api::<Namespace>::all(client.clone()));
    let controller = NamespaceController {
        events: EventRecorder::new(client.clone(), "namespace-controller", clock.clone()),
        client,
        namespaces: informer.cache(),
        resources: Arc::new(resources),
        queue: Arc::new(WorkQueue::new(clock.clone())),
        clock,
    };
    let handler = controller.clone();
    informer.on_change(move |change| {
        if let Change::Added(namespace) | Change::Updated { new: namespace, .. } = change
            && namespace.metadata.deletion_timestamp.is_some()
        {
            let name = namespace.metadata.name.as_deref().unwrap_or_default();
            handler.queue.add(name);
        }
    });
    let mut tasks = Tasks::new();
    tasks.informer(informer);
    let synced = controller.namespaces.clone();
    let worker = controller.clone();
    tasks.workers(
        "namespace-controller",
        controller.queue.clone(),
        workers,
        move || synced.has_synced(),
        || {},
        move |name| {
            let controller = worker.clone();
            async move { controller.sync(&name).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl NamespaceController {
    /// Syncs the namespace `name`: if it is terminating, delete its content; once empty,
    /// finalize it.
    async fn sync(&self, name: &str) -> Result<(), NamespaceError> {
        let Some(namespace) = self.namespaces.get(name) else {
            return Ok(());
        };
        if namespace.metadata.deletion_timestamp.is_none() {
            return Ok(());
        }
        let remaining = match self.delete_content(name).await {
            Ok(remaining) => remaining,
            Err(error) => {
                let message = format!("Failed to delete the content of namespace {name}: {error}");
                self.events
                    .record(
                        namespace.as_ref(),
                        EventType::Warning,
                        "NamespaceDeletionContentFailure",
                        &message,
                    )
                    .await;
                return Err(error);
            }
        };
        self.write_conditions(&namespace, &remaining).await?;
        if !remaining.is_empty() {
            tracing::debug!(namespace = name, ?remaining, "content still going");
            self.queue.add_after(name, RECHECK);
            return Ok(());
        }
        self.finalize(&namespace).await
    }

    // ANCHOR: delete_content
    /// Deletes every object of every namespaced resource in `namespace` (upstream
    /// `deleteAllContent`), each with a plain DELETE (the garbage collector's default,
    /// background). Returns what is still there: objects already being deleted, or kept by a
    /// finalizer after our DELETE.
    async fn delete_content(&self, namespace: &str) -> Result<Remaining, NamespaceError> {
        // BEGIN SOLUTION step-5: for each resource: list in the namespace; count (Remaining::count) those already deleting; delete the others (404 is fine), counting those the DELETE returned marked for deletion (Left with a deletionTimestamp)
        let mut remaining = Remaining::default();
        for resource in self.resources.iter() {
            let api = resource.api(&self.client, Some(namespace));
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(request_failed(format!(
                    "listing {} in {namespace}",
                    resource.resource.plural
                )))?;
            for object in list.items {
                let plural = &resource.resource.plural;
                if object.metadata.deletion_timestamp.is_some() {
                    remaining.count(
                        plural,
                        object.metadata.finalizers.as_deref().unwrap_or_default(),
                    );
                    continue;
                }
                let name = object.metadata.name.clone().unwrap_or_default();
                match api.delete(&name, &DeleteParams::background()).await {
                    Ok(deleted) => {
                        // The object back, marked for deletion: a finalizer or a grace
                        // period keeps it for now (an object deleted at once comes back
                        // unmarked, or as a Status).
                        if let Some(kept) = deleted
                            .left()
                            .filter(|kept| kept.metadata.deletion_timestamp.is_some())
                        {
                            let finalizers = kept.metadata.finalizers.unwrap_or_default();
                            remaining.count(plural, &finalizers);
                        }
                    }
                    Err(error) if is_not_found(&error) => {}
                    Err(error) => {
                        return Err(request_failed(format!(
                            "deleting {} {name}",
                            resource.resource.kind
                        ))(error));
                    }
                }
            }
        }
        Ok(remaining)
        // END SOLUTION
    }
    // ANCHOR_END: delete_content

    /// Writes the conditions `kubectl describe namespace` shows while content remains
    /// (upstream `NamespaceContentRemaining` and `NamespaceFinalizersRemaining`, with its
    /// messages), when they differ from what the namespace says.
    async fn write_conditions(
        &self,
        namespace: &Namespace,
        remaining: &Remaining,
    ) -> Result<(), NamespaceError> {
        let conditions = conditions(remaining, &pods::to_time(self.clock.wall()));
        let current = namespace
            .status
            .as_ref()
            .and_then(|status| status.conditions.clone())
            .unwrap_or_default();
        let same = |a: &NamespaceCondition, b: &NamespaceCondition| {
            (&a.type_, &a.status, &a.reason, &a.message)
                == (&b.type_, &b.status, &b.reason, &b.message)
        };
        if current.len() == conditions.len()
            && current.iter().zip(&conditions).all(|(a, b)| same(a, b))
        {
            return Ok(());
        }
        let name = namespace.metadata.name.clone().unwrap_or_default();
        let patch = Patch::Merge(json!({"status": {"conditions": conditions}}));
        let api = Api::<Namespace>::all(self.client.clone());
        match api
            .patch_status(&name, &PatchParams::default(), &patch)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(request_failed(format!("writing the conditions of {name}"))(
                error,
            )),
        }
    }

    // ANCHOR: finalize
    /// Removes [`FINALIZER`] from `spec.finalizers` through the `finalize` subresource; the
    /// apiserver then deletes the namespace.
    async fn finalize(&self, namespace: &Namespace) -> Result<(), NamespaceError> {
        let name = namespace.metadata.name.clone().unwrap_or_default();
        let mut finalized = namespace.clone();
        if let Some(spec) = finalized.spec.as_mut() {
            spec.finalizers = spec
                .finalizers
                .take()
                .map(|list| list.into_iter().filter(|f| f != FINALIZER).collect());
        }
        let api = Api::<Namespace>::all(self.client.clone());
        match api
            .replace_subresource("finalize", &name, &PostParams::default(), &finalized)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(request_failed(format!("finalizing namespace {name}"))(
                error,
            )),
        }
    }
    // ANCHOR_END: finalize
}

/// The two conditions for `remaining` (upstream's reasons and messages).
pub fn conditions(remaining: &Remaining, now: &Time) -> Vec<NamespaceCondition> {
    let condition = |type_: &str, holds: bool, reason: &str, message: String| NamespaceCondition {
        type_: type_.to_owned(),
        status: if holds { "True" } else { "False" }.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_transition_time: Some(now.clone()),
    };
    let resources: Vec<String> = remaining
        .by_resource
        .iter()
        .map(|(resource, count)| format!("{resource} has {count} resource instances"))
        .collect();
    let finalizers: Vec<String> = remaining
        .by_finalizer
        .iter()
        .map(|(finalizer, count)| format!("{finalizer} in {count} resource instances"))
        .collect();
    vec![
        if resources.is_empty() {
            condition(
                "NamespaceContentRemaining",
                false,
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".to_owned(),
            )
        } else {
            condition(
                "NamespaceContentRemaining",
                true,
                "SomeResourcesRemain",
                format!("Some resources are remaining: {}", resources.join(", ")),
            )
        },
        if finalizers.is_empty() {
            condition(
                "NamespaceFinalizersRemaining",
                false,
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".to_owned(),
            )
        } else {
            condition(
                "NamespaceFinalizersRemaining",
                true,
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    finalizers.join(", ")
                ),
            )
        },
    ]
}
