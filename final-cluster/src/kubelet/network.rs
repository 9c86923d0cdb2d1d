//! The node's share of the pod network, run by the kubelet: wait for the controller manager to
//! give this node a `spec.podCIDR` (lab 03's node IPAM), set up the bridge for it (lab 05), and
//! keep one route per other node to that node's podCIDR (host-gw, as flannel's host-gw backend
//! does).
//!
//! ```text
//! Node k8snode1 spec.podCIDR 10.244.1.0/24 ──> cni0 10.244.1.1/24 on k8snode1
//! Node k8snode2 spec.podCIDR 10.244.2.0/24,    route 10.244.2.0/24 via 10.240.0.4 (k8snode2)
//!      InternalIP 10.240.0.4
//! ```
//!
//! Until the podCIDR is known pods wait: the runtime takes the network from a [`NetworkSlot`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::ListParams;
use lab_05::ipam::PodCidr;
use lab_05::netns::Netns;
use lab_05::network::{PodNetwork, PodNetworkConfig};
use lab_05::routes::PeerRoute;

/// Where the pod network appears once the node has its podCIDR.
pub type NetworkSlot = Arc<OnceLock<Arc<PodNetwork>>>;

/// How often the routes to the other nodes are reconciled (and, before that, how often the
/// node is read for its podCIDR).
const RESYNC: Duration = Duration::from_secs(2);

/// Runs the node's network agent until `shutdown` completes.
pub async fn run(
    client: kube::Client,
    node_name: String,
    state_dir: PathBuf,
    slot: NetworkSlot,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let nodes: Api<Node> = Api::all(client);
    let work = async {
        let network = loop {
            match setup(&nodes, &node_name, &state_dir).await {
                Ok(Some(network)) => break network,
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "pod network not ready"),
            }
            tokio::time::sleep(RESYNC).await;
        };
        tracing::info!(cidr = %network.pod_cidr(), "pod network ready");
        let _ = slot.set(network.clone());
        loop {
            if let Err(error) = routes(&nodes, &node_name, &network).await {
                tracing::warn!(%error, "routes to the other nodes");
            }
            tokio::time::sleep(RESYNC).await;
        }
    };
    tokio::select! {
        () = work => {}
        () = shutdown => {}
    }
}

/// The node's network once it has a podCIDR (`None`: not yet).
async fn setup(
    nodes: &Api<Node>,
    node_name: &str,
    state_dir: &std::path::Path,
) -> Result<Option<Arc<PodNetwork>>, String> {
    let Some(node) = nodes.get_opt(node_name).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let Some(cidr) = node.spec.and_then(|spec| spec.pod_cidr) else {
        return Ok(None);
    };
    let cidr: PodCidr = cidr.parse().map_err(|e| format!("podCIDR {cidr}: {e}"))?;
    let state_dir = state_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let here = Netns::open("/proc/self/ns/net").map_err(|e| e.to_string())?;
        let network = PodNetwork::new(here, PodNetworkConfig::new(cidr, state_dir))
            .map_err(|e| e.to_string())?;
        network.setup_node().map_err(|e| e.to_string())?;
        Ok(Some(Arc::new(network)))
    })
    .await
    .map_err(|e| e.to_string())?
}

/// One route per other node that has a podCIDR and an InternalIP.
async fn routes(nodes: &Api<Node>, me: &str, network: &Arc<PodNetwork>) -> Result<(), String> {
    let list = nodes
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    let peers: Vec<PeerRoute> = list
        .items
        .iter()
        .filter(|node| node.metadata.name.as_deref() != Some(me))
        .filter_map(|node| {
            let pod_cidr = node.spec.as_ref()?.pod_cidr.as_ref()?.parse().ok()?;
            let node_ip = node
                .status
                .as_ref()?
                .addresses
                .as_ref()?
                .iter()
                .find(|address| address.type_ == "InternalIP")?
                .address
                .parse()
                .ok()?;
            Some(PeerRoute { pod_cidr, node_ip })
        })
        .collect();
    let network = network.clone();
    let plan = tokio::task::spawn_blocking(move || network.reconcile_routes(&peers))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    if plan != Default::default() {
        tracing::info!(?plan, "routes to the other nodes changed");
    }
    Ok(())
}
