//! Step 2: `NamespaceLifecycle` with the namespace cache fed, as in a running server.
//!
//! The cache answers most creates without a store read, so these tests check that it never
//! lets through what a store read would refuse: a create right after the namespace's DELETE
//! is refused (403), a create right after the namespace's create is admitted, a namespace that
//! never existed is 404. Each round is immediate (no waiting for the cache), many times over,
//! on the embedded store and on real etcd, where the watch that feeds the cache lags the most.

use std::sync::Arc;
use std::time::Duration;

use lab_02::rest::ApiState;
use lab_02::rest::namespaces::{Known, Phase};
use lab_02::store::Backend;
use lab_02::store::etcd::{EtcdConfig, EtcdStore};
use labkit::FakeClock;
use serde_json::json;

use super::{Api, configmap};

/// An `Api` whose namespace cache is fed, and the task feeding it (aborted on drop).
struct Fed {
    api: Api,
    feed: tokio::task::JoinHandle<()>,
}

impl Drop for Fed {
    fn drop(&mut self) {
        self.feed.abort();
    }
}

async fn fed(store: Backend) -> Fed {
    let clock = FakeClock::default();
    let state = ApiState::new(store.clone()).with_clock(Arc::new(clock.clone()));
    lab_02::server::bootstrap(&state).await.unwrap();
    let feed = tokio::spawn(state.namespaces.clone().run(store.clone()));
    // Poll (with a deadline) until the first listing has filled the cache.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while state.namespaces.lookup("default") != Known::Phase(Phase::Active) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the namespace cache never listed the namespaces"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let api = Api {
        router: lab_02::server::router(state),
        store,
        clock,
    };
    Fed { api, feed }
}

async fn lifecycle_rounds(api: &Api) {
    for round in 0..40 {
        let name = format!("ns-{round}");
        let namespace = json!({"metadata": {"name": name}});
        api.post("/api/v1/namespaces", &namespace).await.ok(201);
        let configmaps = format!("/api/v1/namespaces/{name}/configmaps");
        api.post(&configmaps, &configmap("early")).await.ok(201);
        // The namespace has a finalizer (`kubernetes`), so DELETE leaves it Terminating.
        api.delete(&format!("/api/v1/namespaces/{name}"))
            .await
            .ok(202);
        api.post(&configmaps, &configmap("late"))
            .await
            .status(403, "Forbidden");
        api.post(
            &format!("/api/v1/namespaces/never-{round}/configmaps"),
            &configmap("x"),
        )
        .await
        .status(404, "NotFound");
    }
}

#[tokio::test]
async fn step2_namespace_lifecycle_with_the_cache_fed_on_the_embedded_store() {
    let fed = fed(Backend::default()).await;
    lifecycle_rounds(&fed.api).await;
}

#[tokio::test]
async fn step2_namespace_lifecycle_with_the_cache_fed_on_etcd() {
    let etcd = labkit::require!(labkit::Etcd::start());
    let store = EtcdStore::connect(EtcdConfig::new(vec![etcd.endpoint()]))
        .await
        .expect("failed to connect to the test etcd");
    let fed = fed(Backend::Etcd(store)).await;
    lifecycle_rounds(&fed.api).await;
}
