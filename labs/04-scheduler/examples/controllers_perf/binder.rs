//! `--binder test`: a binder with no scheduling in it, to measure the controllers without
//! lab-04's scheduler in the way. Every pod without `spec.nodeName` is bound to the next node,
//! round robin, through `pods/NAME/binding`, up to [`CONCURRENT_BINDINGS`] at a time.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Binding, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Api, Client};
use lab_03::informer::{Change, Informer};
use tokio::sync::{Semaphore, mpsc};

/// Bindings in flight at most.
const CONCURRENT_BINDINGS: usize = 100;

/// Binds every pending pod of the cluster to `nodes` round robin, until `shutdown`.
pub(crate) async fn run(
    client: Client,
    nodes: Vec<String>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (pending, mut receive) = mpsc::unbounded_channel::<Pod>();
    let mut informer = Informer::new(Api::<Pod>::all(client.clone()));
    informer.on_change(move |change| {
        if let Change::Added(pod) = change
            && pod
                .spec
                .as_ref()
                .is_some_and(|spec| spec.node_name.is_none())
        {
            let _ = pending.send(Pod::clone(pod));
        }
    });
    let watch = tokio::spawn(informer.run(shutdown));
    let permits = Arc::new(Semaphore::new(CONCURRENT_BINDINGS));
    let mut next = 0;
    while let Some(pod) = tokio::select! {
        pod = receive.recv() => pod,
        _ = watch_finished(&watch) => None,
    } {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let node = nodes[next % nodes.len().max(1)].clone();
        next += 1;
        let client = client.clone();
        tokio::spawn(async move {
            bind(client, &pod, node).await;
            drop(permit);
        });
    }
}

/// Completes when the informer's task has ended (the shutdown came).
async fn watch_finished(watch: &tokio::task::JoinHandle<()>) {
    while !watch.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn bind(client: Client, pod: &Pod, node: String) {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let binding = Binding {
        metadata: ObjectMeta {
            name: pod.metadata.name.clone(),
            namespace: pod.metadata.namespace.clone(),
            uid: pod.metadata.uid.clone(),
            ..ObjectMeta::default()
        },
        target: ObjectReference {
            kind: Some("Node".to_owned()),
            api_version: Some("v1".to_owned()),
            name: Some(node),
            ..ObjectReference::default()
        },
    };
    let result: Result<serde_json::Value, kube::Error> = Api::<Pod>::namespaced(client, namespace)
        .create_subresource("binding", name, &PostParams::default(), &binding)
        .await;
    if let Err(error) = result {
        eprintln!("test binder: binding {namespace}/{name} failed: {error}");
    }
}
