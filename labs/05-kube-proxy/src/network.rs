//! [`PodNetwork`]: one node's pod network, the API the kubelet calls.
//!
//! ```text
//! let network = PodNetwork::new(node_netns, PodNetworkConfig::new(pod_cidr, state_dir))?;
//! network.setup_node()?;                               // once: bridge, gateway, forwarding
//! network.reconcile_routes(&peers)?;                   // whenever the Node list changes
//! let ip = network.attach(&pod_netns, "default/web-0")?;  // per pod, after its sandbox
//! network.detach("default/web-0")?;                    // per pod, when it is removed
//! ```
//!
//! In a real cluster the kubelet asks the container runtime, which runs a CNI plugin with ADD
//! and DEL; attach and detach are those two operations.
//!
//! Every method blocks (each netlink step runs on a thread of its own, see [`crate::netns`]):
//! from async code, call them through `tokio::task::spawn_blocking`.

use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::Error;
use crate::ipam::{Allocator, PodCidr};
use crate::netlink::{check_link_name, remove_link, require_link};
use crate::netns::Netns;
use crate::node::{DEFAULT_BRIDGE, enable_ip_forward, ensure_bridge};
use crate::pod::{VethNames, configure_pod_side, plug_into_bridge, pod_side_ready};
use crate::routes::{PeerRoute, RoutePlan, reconcile};

/// How a node's pod network is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodNetworkConfig {
    /// The node's `spec.podCIDR`.
    pub pod_cidr: PodCidr,
    /// The bridge's name ([`DEFAULT_BRIDGE`], `cni0`, unless changed).
    pub bridge: String,
    /// Where the address allocator keeps its files (host-local uses
    /// `/var/lib/cni/networks/<network>`).
    pub state_dir: PathBuf,
}

impl PodNetworkConfig {
    /// The usual configuration: bridge `cni0`.
    pub fn new(pod_cidr: PodCidr, state_dir: impl Into<PathBuf>) -> Self {
        Self {
            pod_cidr,
            bridge: DEFAULT_BRIDGE.to_owned(),
            state_dir: state_dir.into(),
        }
    }
}

/// One node's pod network: its namespace, its bridge and its address allocator.
#[derive(Debug)]
pub struct PodNetwork {
    node: Netns,
    bridge: String,
    ipam: Allocator,
}

impl PodNetwork {
    /// The pod network of the node whose network namespace is `node` (for a real node, open
    /// `/proc/self/ns/net`). Changes nothing yet.
    pub fn new(node: Netns, config: PodNetworkConfig) -> Result<Self, Error> {
        check_link_name(&config.bridge)?;
        Ok(Self {
            node,
            bridge: config.bridge,
            ipam: Allocator::open(config.pod_cidr, config.state_dir)?,
        })
    }

    /// The node's pod range.
    pub fn pod_cidr(&self) -> PodCidr {
        self.ipam.cidr()
    }

    /// The address allocator (to list allocations, say).
    pub fn ipam(&self) -> &Allocator {
        &self.ipam
    }

    /// The node's network namespace.
    pub fn node_netns(&self) -> &Netns {
        &self.node
    }

    /// Prepares the node: the bridge with the gateway address, up, and IPv4 forwarding on.
    /// Idempotent.
    pub fn setup_node(&self) -> Result<(), Error> {
        let cidr = self.pod_cidr();
        let bridge = self.bridge.as_str();
        self.node
            .netlink(|handle| async move { ensure_bridge(&handle, bridge, cidr).await })?;
        self.node.run(enable_ip_forward)?
    }

    /// Undoes [`PodNetwork::setup_node`]: deletes the bridge (pods still attached lose their
    /// host ends with it). Forwarding stays on: other software may rely on it. Idempotent.
    pub fn teardown_node(&self) -> Result<(), Error> {
        let bridge = self.bridge.as_str();
        self.node
            .netlink(|handle| async move { remove_link(&handle, bridge).await })?;
        Ok(())
    }

    /// Makes the routes to other nodes' pods exactly `peers` (a route to this node's own range
    /// is skipped: those pods are on the bridge). Returns what changed.
    pub fn reconcile_routes(&self, peers: &[PeerRoute]) -> Result<RoutePlan, Error> {
        let own = self.pod_cidr();
        let desired: Vec<PeerRoute> = peers
            .iter()
            .filter(|peer| peer.pod_cidr != own)
            .copied()
            .collect();
        self.node
            .netlink(|handle| async move { reconcile(&handle, &desired).await })
    }

    /// Connects the pod whose network namespace is `pod` (for example `/proc/<pid>/ns/net` of
    /// its sandbox) and returns its address. `pod_key` (such as `default/web-0`, or the pod's
    /// UID) owns the address and names the veth. Calling it again for an attached pod returns
    /// the same address and changes nothing; if it fails half-way, nothing is left behind.
    pub fn attach(&self, pod: &Netns, pod_key: &str) -> Result<Ipv4Addr, Error> {
        let address = self.ipam.allocate(pod_key)?;
        let names = VethNames::for_pod(pod_key);
        if self.attached(pod, &names, address)? {
            return Ok(address);
        }
        match self.connect(pod, &names, address) {
            Ok(()) => {
                tracing::info!(pod_key, %address, veth = names.host, "attached pod");
                Ok(address)
            }
            Err(error) => {
                // Undo: the host end takes the peer with it; then give the address back.
                if let Err(undo) = self.detach(pod_key) {
                    tracing::warn!(pod_key, %undo, "cleaning up a failed attach failed too");
                }
                Err(error)
            }
        }
    }

    /// Disconnects the pod `pod_key`: deletes its veth pair and releases its address. The
    /// pod's namespace is not needed (it may be gone already). Idempotent.
    pub fn detach(&self, pod_key: &str) -> Result<(), Error> {
        let names = VethNames::for_pod(pod_key);
        let host = names.host.as_str();
        self.node
            .netlink(|handle| async move { remove_link(&handle, host).await })?;
        self.ipam.release(pod_key)?;
        Ok(())
    }

    /// Whether both ends are in place: the host end on the node, `eth0` with `address` in the
    /// pod.
    fn attached(&self, pod: &Netns, names: &VethNames, address: Ipv4Addr) -> Result<bool, Error> {
        let host = names.host.as_str();
        let host_end = self
            .node
            .netlink(|handle| async move { crate::netlink::link_index(&handle, host).await })?;
        if host_end.is_none() {
            return Ok(false);
        }
        let cidr = self.pod_cidr();
        pod.netlink(|handle| async move { pod_side_ready(&handle, address, cidr).await })
    }

    /// The two phases of attach (see [`crate::pod`]), after clearing a half-made pair left by
    /// an earlier failed attempt.
    fn connect(&self, pod: &Netns, names: &VethNames, address: Ipv4Addr) -> Result<(), Error> {
        let bridge = self.bridge.as_str();
        let pod_fd = pod.as_raw_fd();
        self.node.netlink(|handle| async move {
            remove_link(&handle, &names.host).await?;
            let bridge_index = require_link(
                &handle,
                bridge,
                "node's namespace",
                " (call setup_node first)",
            )
            .await?;
            plug_into_bridge(&handle, bridge_index, names, pod_fd).await
        })?;
        let cidr = self.pod_cidr();
        pod.netlink(|handle| async move {
            configure_pod_side(&handle, &names.peer, address, cidr).await
        })
    }
}
