//! The kubelet's pod source: only the pods bound to its node, selected by the apiserver
//! (`GET /api/v1/pods?fieldSelector=spec.nodeName=<node>`), so a node never downloads the
//! rest of the cluster's pods.

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, WatchParams};
use kube::{Api, Client};

use crate::informer::source::WATCH_TIMEOUT_SECONDS;
use crate::informer::{EventStream, ListPage, ListWatch};

/// Lists and watches the pods of every namespace whose `spec.nodeName` is one node.
#[derive(Clone)]
pub struct NodePods {
    api: Api<Pod>,
    field_selector: String,
}

impl std::fmt::Debug for NodePods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodePods")
            .field("field_selector", &self.field_selector)
            .finish_non_exhaustive()
    }
}

impl NodePods {
    /// The pods bound to `node`.
    pub fn new(client: Client, node: &str) -> Self {
        NodePods {
            api: Api::all(client),
            field_selector: format!("spec.nodeName={node}"),
        }
    }
}

impl ListWatch<Pod> for NodePods {
    async fn list(&self) -> Result<ListPage<Pod>, kube::Error> {
        let params = ListParams::default().fields(&self.field_selector);
        let list = self.api.list(&params).await?;
        Ok(ListPage {
            resource_version: list.metadata.resource_version.unwrap_or_default(),
            items: list.items,
        })
    }

    async fn watch(&self, resource_version: &str) -> Result<EventStream<Pod>, kube::Error> {
        let mut params = WatchParams::default()
            .fields(&self.field_selector)
            .timeout(WATCH_TIMEOUT_SECONDS);
        params.bookmarks = true;
        Ok(self.api.watch(&params, resource_version).await?.boxed())
    }
}
