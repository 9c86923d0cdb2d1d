//! The ServiceAccount controller: every namespace has a ServiceAccount named `default`
//! (upstream `pkg/controller/serviceaccount`, `ServiceAccountsController`).
//!
//! A pod that names no `serviceAccountName` runs as `default`, and admission refuses pods
//! whose service account does not exist, so a new namespace is unusable until this
//! controller has written one. Deleting `default` brings it back; a terminating namespace
//! gets none (it could not be created there anyway).

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use labkit::Clock;

use crate::informer::{Cache, Change, Informer};
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// The account every namespace gets.
pub const DEFAULT_ACCOUNT: &str = "default";
/// Upstream's default `--concurrent-serviceaccount-syncs`.
pub const DEFAULT_WORKERS: usize = 1;

/// Why a sync failed (retried with back-off).
#[derive(Debug, thiserror::Error)]
#[error("creating the default ServiceAccount of {namespace}: {source}")]
pub struct ServiceAccountError {
    namespace: String,
    #[source]
    source: kube::Error,
}

/// The controller's shared state. Clones share everything.
#[derive(Clone)]
struct ServiceAccountController {
    client: Client,
    namespaces: Cache<Namespace>,
    accounts: Cache<ServiceAccount>,
    queue: Arc<WorkQueue>,
}

/// Runs the ServiceAccount controller until `shutdown` completes.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let mut namespaces = Informer::new(Api::<Namespace>::all(client.clone()));
    let mut accounts = Informer::new(Api::<ServiceAccount>::all(client.clone()));
    let controller = ServiceAccountController {
        client,
        namespaces: namespaces.cache(),
        accounts: accounts.cache(),
        queue: Arc::new(WorkQueue::new(clock)),
    };
    let handler = controller.clone();
    namespaces.on_change(move |change| {
        if let Change::Added(namespace) | Change::Updated { new: namespace, .. } = change {
            handler
                .queue
                .add(namespace.metadata.name.as_deref().unwrap_or_default());
        }
    });
    let handler = controller.clone();
    accounts.on_change(move |change| {
        if let Change::Deleted(account) = change
            && account.metadata.name.as_deref() == Some(DEFAULT_ACCOUNT)
        {
            handler
                .queue
                .add(account.metadata.namespace.as_deref().unwrap_or_default());
        }
    });
    let mut tasks = Tasks::new();
    tasks.informer(namespaces);
    tasks.informer(accounts);
    let synced = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "serviceaccount-controller",
        controller.queue.clone(),
        workers,
        move || synced.namespaces.has_synced() && synced.accounts.has_synced(),
        || {},
        move |name| {
            let controller = worker.clone();
            async move { controller.sync(&name).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl ServiceAccountController {
    // ANCHOR: sync
    /// Syncs the namespace `name`: active and without a `default` ServiceAccount, create
    /// one (AlreadyExists means someone was faster: fine).
    async fn sync(&self, name: &str) -> Result<(), ServiceAccountError> {
        let Some(namespace) = self.namespaces.get(name) else {
            return Ok(());
        };
        let terminating = namespace.metadata.deletion_timestamp.is_some()
            || namespace
                .status
                .as_ref()
                .and_then(|status| status.phase.as_deref())
                == Some("Terminating");
        if terminating
            || self
                .accounts
                .get(&format!("{name}/{DEFAULT_ACCOUNT}"))
                .is_some()
        {
            return Ok(());
        }
        let account = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(DEFAULT_ACCOUNT.to_owned()),
                namespace: Some(name.to_owned()),
                ..Default::default()
            },
            ..Default::default()
        };
        let api = Api::<ServiceAccount>::namespaced(self.client.clone(), name);
        match api.create(&PostParams::default(), &account).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(source) => Err(ServiceAccountError {
                namespace: name.to_owned(),
                source,
            }),
        }
    }
    // ANCHOR_END: sync
}
