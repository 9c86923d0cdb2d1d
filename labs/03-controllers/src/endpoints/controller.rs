//! The loop both controllers share: Service, Pod and target informers into one queue of
//! Service keys; a sync computes the target with [`super::subsets`] or [`super::slices`]
//! and writes it only when it differs from what exists.
//!
//! ```text
//! Service informer ──> key of the Service
//! Pod informer ──────> keys of every Service of its namespace that selects it (old or new labels)
//! Endpoints / EndpointSlice informer ──> key of their Service (someone edited or deleted them)
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::{Api, Client};
use labkit::Clock;

use super::slices::{
    CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, desired_slices, reconcile,
};
use super::subsets::build_subsets;
use super::{selector_of, service_selects};
use crate::events::{EventRecorder, EventType};
use crate::expectations::Expectations;
use crate::informer::{Cache, Change, Informer, object_key, split_key};
use crate::queue::WorkQueue;
use crate::request::{RequestError, is_not_found, request_failed};
use crate::runner::Tasks;

/// Upstream's default `--concurrent-endpoint-syncs` and `--concurrent-service-endpoint-syncs`.
pub const DEFAULT_WORKERS: usize = 5;

/// Why a sync failed (retried with back-off).
pub type SyncError = RequestError;

/// What the controller writes.
#[derive(Clone)]
enum Target {
    Endpoints(Cache<Endpoints>),
    /// The slices, and the creations and deletions not yet seen in that cache: a sync on a
    /// cache that lags would create the same slice twice (upstream's `endpointSliceTracker`).
    Slices(Cache<EndpointSlice>, Arc<Expectations>),
}

/// One of the two controllers. Clones share everything.
#[derive(Clone)]
struct ServiceEndpoints {
    client: Client,
    services: Cache<Service>,
    pods: Cache<Pod>,
    target: Target,
    queue: Arc<WorkQueue>,
    events: EventRecorder,
}

/// Runs the Endpoints controller (`endpoint`) until `shutdown` completes.
pub async fn run_endpoints(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut informer = Informer::new(Api::<Endpoints>::all(client.clone()));
    let target = Target::Endpoints(informer.cache());
    let (controller, mut tasks) = start(client, clock, target, "endpoint-controller");
    let handler = controller.clone();
    informer.on_change(move |change| {
        let endpoints = changed(change);
        handler.queue.add(&object_key(endpoints));
    });
    tasks.informer(informer);
    controller.spawn_workers(&mut tasks, "endpoint-controller", workers);
    tasks.run_until(shutdown).await;
}

/// Runs the EndpointSlice controller (`endpointslice`) until `shutdown` completes.
pub async fn run_endpointslices(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut informer = Informer::new(Api::<EndpointSlice>::all(client.clone()));
    let expectations = Arc::new(Expectations::new(clock.clone()));
    let target = Target::Slices(informer.cache(), expectations.clone());
    let (controller, mut tasks) = start(client, clock, target, "endpointslice-controller");
    let handler = controller.clone();
    informer.on_change(move |change| {
        let slice = changed(change);
        let observe = |key: &str| match change {
            Change::Added(_) => expectations.creation_observed(key),
            Change::Deleted(_) => expectations.deletion_observed(key),
            Change::Updated { .. } => {}
        };
        let labels = slice.metadata.labels.as_ref();
        let label = |key: &str| labels.and_then(|labels| labels.get(key));
        if let Some(service) = label(LABEL_SERVICE_NAME)
            && label(LABEL_MANAGED_BY).map(String::as_str) == Some(CONTROLLER_NAME)
        {
            let namespace = slice.metadata.namespace.as_deref().unwrap_or_default();
            let key = format!("{namespace}/{service}");
            observe(&key);
            handler.queue.add(&key);
        }
    });
    tasks.informer(informer);
    controller.spawn_workers(&mut tasks, "endpointslice-controller", workers);
    tasks.run_until(shutdown).await;
}

/// The object a change is about (its newest state).
fn changed<K>(change: &Change<K>) -> &K {
    match change {
        Change::Added(object) | Change::Updated { new: object, .. } | Change::Deleted(object) => {
            object
        }
    }
}

/// The Service and Pod informers and their handlers, shared by both controllers.
fn start(
    client: Client,
    clock: Arc<dyn Clock>,
    target: Target,
    component: &str,
) -> (ServiceEndpoints, Tasks) {
    let mut services = Informer::new(Api::<Service>::all(client.clone()));
    let mut pods = Informer::new(Api::<Pod>::all(client.clone()));
    let controller = ServiceEndpoints {
        events: EventRecorder::new(client.clone(), component, clock.clone()),
        client,
        services: services.cache(),
        pods: pods.cache(),
        target,
        queue: Arc::new(WorkQueue::new(clock)),
    };
    let handler = controller.clone();
    services.on_change(move |change| handler.queue.add(&object_key(changed(change))));
    let handler = controller.clone();
    pods.on_change(move |change| handler.pod_changed(change));
    let mut tasks = Tasks::new();
    tasks.informer(services);
    tasks.informer(pods);
    (controller, tasks)
}

impl ServiceEndpoints {
    fn spawn_workers(&self, tasks: &mut Tasks, name: &'static str, workers: usize) {
        let synced = self.clone();
        let worker = self.clone();
        tasks.workers(
            name,
            self.queue.clone(),
            workers,
            move || synced.synced(),
            || {},
            move |key| {
                let controller = worker.clone();
                async move { controller.sync(&key).await }
            },
        );
    }

    fn synced(&self) -> bool {
        let target = match &self.target {
            Target::Endpoints(cache) => cache.has_synced(),
            Target::Slices(cache, _) => cache.has_synced(),
        };
        target && self.services.has_synced() && self.pods.has_synced()
    }

    /// A pod changed: every Service of its namespace that selected it before or selects it
    /// now needs a sync (upstream `getPodServiceMemberships`, old and new).
    fn pod_changed(&self, change: &Change<Pod>) {
        let (old, new) = match change {
            Change::Added(pod) | Change::Deleted(pod) => (None, pod),
            Change::Updated { old, new } => {
                if old.metadata.resource_version == new.metadata.resource_version {
                    return;
                }
                (Some(old), new)
            }
        };
        let namespace = new.metadata.namespace.as_deref().unwrap_or_default();
        for service in self.services.list_namespace(namespace) {
            let Some(selector) = selector_of(&service) else {
                continue;
            };
            let selects = |pod: &Pod| service_selects(selector, pod.metadata.labels.as_ref());
            if selects(new) || old.is_some_and(|old| selects(old)) {
                self.queue.add(&object_key(service.as_ref()));
            }
        }
    }

    /// The pods of the Service's namespace its selector matches.
    fn selected_pods(&self, namespace: &str, selector: &BTreeMap<String, String>) -> Vec<Arc<Pod>> {
        self.pods
            .list_namespace(namespace)
            .into_iter()
            .filter(|pod| service_selects(selector, pod.metadata.labels.as_ref()))
            .collect()
    }

    async fn sync(&self, key: &str) -> Result<(), SyncError> {
        let result = match &self.target {
            Target::Endpoints(cache) => self.sync_endpoints(key, cache).await,
            Target::Slices(cache, expectations) => self.sync_slices(key, cache, expectations).await,
        };
        if let (Err(error), Some(service)) = (&result, self.services.get(key)) {
            let reason = match self.target {
                Target::Endpoints(_) => "FailedToUpdateEndpoint",
                Target::Slices(..) => "FailedToUpdateEndpointSlices",
            };
            let message = format!("Failed to update endpoints for service {key}: {error}");
            self.events
                .record(service.as_ref(), EventType::Warning, reason, &message)
                .await;
        }
        result
    }

    /// Endpoints: deleted with their Service; none for a Service without a selector;
    /// otherwise created or replaced when the subsets or labels differ.
    async fn sync_endpoints(&self, key: &str, cache: &Cache<Endpoints>) -> Result<(), SyncError> {
        let (namespace, name) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let api = Api::<Endpoints>::namespaced(self.client.clone(), namespace);
        let Some(service) = self.services.get(key) else {
            if cache.get(key).is_some() {
                match api.delete(name, &DeleteParams::default()).await {
                    Ok(_) => {}
                    Err(error) if is_not_found(&error) => {}
                    Err(error) => {
                        return Err(request_failed(format!("deleting Endpoints {key}"))(error));
                    }
                }
            }
            return Ok(());
        };
        let Some(selector) = selector_of(&service) else {
            return Ok(()); // someone else writes this Service's Endpoints
        };
        let subsets = build_subsets(&service, &self.selected_pods(namespace, selector));
        let subsets = (!subsets.is_empty()).then_some(subsets);
        let mut labels = service.metadata.labels.clone().unwrap_or_default();
        let headless = service
            .spec
            .as_ref()
            .and_then(|spec| spec.cluster_ip.as_deref())
            == Some("None");
        if headless {
            labels.insert("service.kubernetes.io/headless".to_owned(), String::new());
        }
        let labels = (!labels.is_empty()).then_some(labels);
        let existing = cache.get(key);
        if let Some(existing) = &existing
            && existing.subsets == subsets
            && existing.metadata.labels == labels
        {
            return Ok(()); // nothing changed: no write
        }
        let endpoints = Endpoints {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                labels,
                resource_version: existing
                    .as_ref()
                    .and_then(|e| e.metadata.resource_version.clone()),
                ..Default::default()
            },
            subsets,
        };
        let written = match existing {
            Some(_) => api.replace(name, &PostParams::default(), &endpoints).await,
            None => api.create(&PostParams::default(), &endpoints).await,
        };
        written.map_err(request_failed(format!("writing Endpoints {key}")))?;
        Ok(())
    }

    /// EndpointSlices: for a Service with a selector, reconcile its slices (a deleted
    /// Service's slices go with it through their owner reference: the garbage collector).
    async fn sync_slices(
        &self,
        key: &str,
        cache: &Cache<EndpointSlice>,
        expectations: &Expectations,
    ) -> Result<(), SyncError> {
        let (namespace, name) = split_key(key);
        let namespace = namespace.unwrap_or_default();
        let Some(service) = self.services.get(key) else {
            expectations.delete(key);
            return Ok(());
        };
        if !expectations.satisfied(key) {
            return Ok(()); // our last writes are not in the cache yet: their events requeue us
        }
        let Some(selector) = selector_of(&service) else {
            return Ok(());
        };
        if service.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let desired = desired_slices(&service, &self.selected_pods(namespace, selector));
        let existing: Vec<_> = cache
            .list_namespace(namespace)
            .into_iter()
            .filter(|slice| {
                let labels = slice.metadata.labels.as_ref();
                let label = |key: &str| {
                    labels
                        .and_then(|labels| labels.get(key))
                        .map(String::as_str)
                };
                label(LABEL_SERVICE_NAME) == Some(name)
                    && label(LABEL_MANAGED_BY) == Some(CONTROLLER_NAME)
            })
            .collect();
        let plan = reconcile(&service, desired, &existing);
        let api = Api::<EndpointSlice>::namespaced(self.client.clone(), namespace);
        expectations.expect(key, plan.create.len(), plan.delete.len());
        for (done, slice) in plan.create.iter().enumerate() {
            if let Err(error) = api.create(&PostParams::default(), slice).await {
                // This one and the rest will never be seen.
                for _ in done..plan.create.len() {
                    expectations.creation_observed(key);
                }
                for _ in &plan.delete {
                    expectations.deletion_observed(key);
                }
                return Err(request_failed(format!(
                    "creating an EndpointSlice for {key}"
                ))(error));
            }
        }
        let mut failed = None;
        for slice in &plan.update {
            let slice_name = slice.metadata.name.clone().unwrap_or_default();
            if let Err(error) = api
                .replace(&slice_name, &PostParams::default(), slice)
                .await
            {
                failed.get_or_insert(request_failed(format!(
                    "updating EndpointSlice {slice_name}"
                ))(error));
            }
        }
        for slice_name in &plan.delete {
            match api.delete(slice_name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(error) => {
                    // Never seen: gone already (404), or not deleted.
                    expectations.deletion_observed(key);
                    if !is_not_found(&error) {
                        failed.get_or_insert(request_failed(format!(
                            "deleting EndpointSlice {slice_name}"
                        ))(error));
                    }
                }
            }
        }
        if let Some(error) = failed {
            return Err(error);
        }
        Ok(())
    }
}
