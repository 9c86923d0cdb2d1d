//! A binder for tests on hollow nodes: the stand-in for lab 04's scheduler, which this lab
//! cannot depend on (lab 04 depends on lab 03).
//!
//! Every 100 ms it binds each unbound pod to the Ready node with no `NoSchedule`/`NoExecute`
//! taint that has the fewest pods: just enough scheduling for a dead node's pods to move and a
//! Deployment's pods to spread.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use lab_03::nodelifecycle::health::ready_status;
use serde_json::json;

/// Whether new pods may go to `node`: Ready, and no taint that repels pods.
fn schedulable(node: &Node) -> bool {
    let repelled = node
        .spec
        .as_ref()
        .and_then(|spec| spec.taints.as_ref())
        .is_some_and(|taints| {
            taints
                .iter()
                .any(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        });
    ready_status(node) == Some("True") && !repelled
}

/// One round of the binder: each unbound pod goes to the schedulable node with fewest pods.
async fn bind_pending(client: &Client) -> Result<(), kube::Error> {
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await?;
    let pods = Api::<Pod>::all(client.clone())
        .list(&ListParams::default())
        .await?;
    let mut load: BTreeMap<String, usize> = nodes
        .items
        .iter()
        .filter(|node| schedulable(node))
        .filter_map(|node| node.metadata.name.clone())
        .map(|name| (name, 0))
        .collect();
    for node in pods
        .items
        .iter()
        .filter_map(|p| p.spec.as_ref()?.node_name.as_ref())
    {
        if let Some(count) = load.get_mut(node) {
            *count += 1;
        }
    }
    for pod in &pods.items {
        if pod.spec.as_ref().is_none_or(|s| s.node_name.is_some()) {
            continue;
        }
        let Some(node) = load
            .iter()
            .min_by_key(|(name, count)| (**count, (*name).clone()))
            .map(|(name, _)| name.clone())
        else {
            return Ok(());
        };
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let binding = json!({
            "apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        });
        Api::<Pod>::namespaced(client.clone(), namespace)
            .create_subresource::<_, serde_json::Value>(
                "binding",
                name,
                &PostParams::default(),
                &binding,
            )
            .await?;
        *load.entry(node).or_default() += 1;
    }
    Ok(())
}

/// The binder: a round every 100 ms (its period, not a wait for a result) until the test ends.
pub(crate) async fn run(client: Client) {
    loop {
        if let Err(error) = bind_pending(&client).await {
            tracing::debug!(%error, "test binder: a round failed, next round retries");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
