//! Node IPAM: every Node gets its own slice of the pod network, `spec.podCIDR`
//! (upstream `pkg/controller/nodeipam`, the `RangeAllocator`).
//!
//! Pods on a node take their IPs from that node's block (the CNI plugin reads `podCIDR`), so
//! two nodes never hand out the same pod IP and a route per node is enough:
//!
//! ```text
//! cluster CIDR 10.244.0.0/16, mask 24:   node-a -> 10.244.0.0/24   node-b -> 10.244.1.0/24 ...
//! ```
//!
//! The controller keeps a [`cidr::CidrSet`] in memory. At start-up, once the node cache has
//! synced, it marks every block already written on a node as taken (the set is rebuilt, not
//! stored); then each node without a `podCIDR` gets the next free block (a patch of
//! `spec.podCIDR` and `spec.podCIDRs`), and a deleted node's block is freed. A full range is
//! a `CIDRNotAvailable` Warning event on the node and a retry later.

pub mod cidr;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use labkit::Clock;
use serde_json::json;

use self::cidr::{Cidr, CidrError, CidrSet};
use crate::events::{EventRecorder, EventType};
use crate::informer::{Cache, Change, Informer, object_key};
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// Why a sync failed (retried with back-off).
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// No block left, or a node's CIDR outside the range.
    #[error(transparent)]
    Cidr(#[from] CidrError),
    /// Writing the node failed.
    #[error("patching node {node}: {source}")]
    Api {
        /// The node.
        node: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// The allocator's state: the blocks, and which node holds which (to free it on delete).
#[derive(Debug)]
struct Allocations {
    set: CidrSet,
    by_node: HashMap<String, String>,
}

/// The node IPAM controller's shared state. Clones share everything.
#[derive(Clone)]
struct NodeIpamController {
    client: Client,
    nodes: Cache<Node>,
    queue: Arc<WorkQueue>,
    allocations: Arc<Mutex<Allocations>>,
    events: EventRecorder,
}

/// Runs node IPAM on `cluster_cidr` cut into `/node_mask` blocks until `shutdown` completes.
/// One worker: allocations are serialized, as upstream's single `worker` goroutine does.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    cluster_cidr: Cidr,
    node_mask: u8,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), CidrError> {
    let set = CidrSet::new(cluster_cidr, node_mask)?;
    let mut informer = Informer::new(Api::<Node>::all(client.clone()));
    let controller = NodeIpamController {
        events: EventRecorder::new(client.clone(), "cidrAllocator", clock.clone()),
        client,
        nodes: informer.cache(),
        queue: Arc::new(WorkQueue::new(clock)),
        allocations: Arc::new(Mutex::new(Allocations {
            set,
            by_node: HashMap::new(),
        })),
    };
    let handler = controller.clone();
    informer.on_change(move |change| handler.node_changed(change));
    let mut tasks = Tasks::new();
    tasks.informer(informer);
    let nodes = controller.nodes.clone();
    let rebuild = controller.clone();
    let worker = controller.clone();
    tasks.workers(
        "node-ipam-controller",
        controller.queue.clone(),
        1,
        move || nodes.has_synced(),
        move || rebuild.occupy_existing(),
        move |key| {
            let controller = worker.clone();
            async move { controller.sync(&key).await }
        },
    );
    tasks.run_until(shutdown).await;
    Ok(())
}

impl NodeIpamController {
    /// Every change of a node means a sync of it (a deleted one: free its block).
    fn node_changed(&self, change: &Change<Node>) {
        let node = match change {
            Change::Added(node) | Change::Updated { new: node, .. } | Change::Deleted(node) => node,
        };
        self.queue.add(&object_key(node.as_ref()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Allocations> {
        self.allocations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Start-up: marks every block a node already has as taken, before any allocation.
    fn occupy_existing(&self) {
        for node in self.nodes.list() {
            let name = node.metadata.name.clone().unwrap_or_default();
            if let Some(cidr) = pod_cidr(&node) {
                self.record(&name, cidr);
            }
        }
    }

    /// Marks `cidr` as `node`'s (a CIDR outside the range is logged and left alone).
    fn record(&self, node: &str, cidr: &str) {
        let mut allocations = self.lock();
        match allocations.set.occupy(cidr) {
            Ok(()) => {
                allocations.by_node.insert(node.to_owned(), cidr.to_owned());
            }
            Err(error) => tracing::warn!(node, "node's podCIDR not in the cluster CIDR: {error}"),
        }
    }

    // ANCHOR: sync
    /// Syncs the node `key`: gone, free its block; has a `podCIDR`, record it; has none,
    /// allocate the next block and patch `spec.podCIDR` and `spec.podCIDRs` (freeing the block
    /// again if the patch fails). A full range is a Warning event and an error.
    async fn sync(&self, key: &str) -> Result<(), IpamError> {
        let Some(node) = self.nodes.get(key) else {
            let mut allocations = self.lock();
            if let Some(cidr) = allocations.by_node.remove(key) {
                allocations.set.release(&cidr)?;
                tracing::info!(node = key, %cidr, "released the node's pod CIDR");
                // A node that found the range full may have one now.
                for waiting in self.nodes.list().iter().filter(|n| pod_cidr(n).is_none()) {
                    self.queue.add(&object_key(waiting.as_ref()));
                }
            }
            return Ok(());
        };
        if let Some(cidr) = pod_cidr(&node) {
            self.record(key, cidr);
            return Ok(());
        }
        let allocated = self.lock().set.allocate_next();
        let cidr = match allocated {
            Ok(cidr) => cidr.to_string(),
            Err(error) => {
                let message = format!("Node {key} status is now: CIDRNotAvailable");
                self.events
                    .record(
                        node.as_ref(),
                        EventType::Warning,
                        "CIDRNotAvailable",
                        &message,
                    )
                    .await;
                tracing::error!(node = key, "{error}");
                return Err(error.into());
            }
        };
        let patch = json!({"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}});
        let api = Api::<Node>::all(self.client.clone());
        if let Err(source) = api
            .patch(key, &PatchParams::default(), &Patch::Merge(patch))
            .await
        {
            self.lock().set.release(&cidr)?;
            return Err(IpamError::Api {
                node: key.to_owned(),
                source,
            });
        }
        self.lock().by_node.insert(key.to_owned(), cidr.clone());
        tracing::info!(node = key, %cidr, "assigned a pod CIDR");
        Ok(())
    }
    // ANCHOR_END: sync
}

/// The node's `spec.podCIDR`, when set.
fn pod_cidr(node: &Node) -> Option<&str> {
    node.spec
        .as_ref()?
        .pod_cidr
        .as_deref()
        .filter(|cidr| !cidr.is_empty())
}
