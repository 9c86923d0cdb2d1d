//! The node network of the local cluster: each node is a network namespace, and all of them hang
//! off one bridge on the host, as machines plugged into one switch.
//!
//! ```text
//!   host:  kubelab0 (bridge, 10.240.0.1/24)  <- kubectl talks to the nodes from here
//!            |             |             |
//!          veth          veth          veth
//!            |             |             |
//!   netns kubelab-k8smaster  kubelab-k8snode1  kubelab-k8snode2
//!          eth0 .2           eth0 .3           eth0 .4       (default route via .1)
//! ```
//!
//! This is the pod network of lab 05 one level up: the host plays the node, the bridge is the
//! node's bridge, and each node's namespace is plugged in exactly as a pod is. So this module is
//! small: it names things and remembers them, and [`PodNetwork`] does the work (its address
//! allocator keeps each node's address across restarts, in the state directory).

use std::net::Ipv4Addr;
use std::path::PathBuf;

use lab_05::PodNetwork;
use lab_05::ipam::PodCidr;
use lab_05::netns::Netns;
use lab_05::network::PodNetworkConfig;

/// The node network's range: node addresses from `.2`, the host's bridge at `.1`.
pub const DEFAULT_NODE_CIDR: &str = "10.240.0.0/24";
/// The host's bridge.
pub const DEFAULT_BRIDGE: &str = "kubelab0";
/// Node namespaces are `/run/netns/<prefix><node name>`.
pub const DEFAULT_NETNS_PREFIX: &str = "kubelab-";

/// Errors of the node network.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A network operation failed.
    #[error(transparent)]
    Network(#[from] lab_05::Error),
    /// A node name that cannot name a namespace (Kubernetes node names are DNS subdomains).
    #[error("node name {0:?} is not a valid name: use lowercase letters, digits and '-'")]
    BadName(String),
}

/// Where and how the node network is made.
#[derive(Debug, Clone)]
pub struct NodeNetworkConfig {
    /// The nodes' range.
    pub cidr: PodCidr,
    /// The host's bridge.
    pub bridge: String,
    /// The namespaces' name prefix.
    pub netns_prefix: String,
    /// Where the node addresses are remembered.
    pub state_dir: PathBuf,
}

impl NodeNetworkConfig {
    /// The defaults, keeping state in `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            cidr: DEFAULT_NODE_CIDR
                .parse()
                .expect("the default node range parses"),
            bridge: DEFAULT_BRIDGE.to_owned(),
            netns_prefix: DEFAULT_NETNS_PREFIX.to_owned(),
            state_dir: state_dir.into(),
        }
    }
}

/// One node on the network.
#[derive(Debug)]
pub struct Node {
    /// The node's name (`k8snode1`).
    pub name: String,
    /// Its network namespace.
    pub netns: Netns,
    /// Its address (the Node's `InternalIP`).
    pub address: Ipv4Addr,
}

/// The node network, seen from the host.
#[derive(Debug)]
pub struct NodeNetwork {
    switch: PodNetwork,
    netns_prefix: String,
}

impl NodeNetwork {
    /// The network whose bridge lives in `host` (for the real host, `/proc/self/ns/net`).
    /// Changes nothing yet.
    pub fn new(host: Netns, config: NodeNetworkConfig) -> Result<Self, Error> {
        let switch = PodNetwork::new(
            host,
            PodNetworkConfig {
                pod_cidr: config.cidr,
                bridge: config.bridge,
                state_dir: config.state_dir,
            },
        )?;
        Ok(Self {
            switch,
            netns_prefix: config.netns_prefix,
        })
    }

    /// The host's address on the node network (the nodes' gateway).
    pub fn gateway(&self) -> Ipv4Addr {
        self.switch.pod_cidr().gateway()
    }

    /// The namespace name of node `name`.
    pub fn netns_name(&self, name: &str) -> Result<String, Error> {
        let valid = !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(Error::BadName(name.to_owned()));
        }
        Ok(format!("{}{name}", self.netns_prefix))
    }

    // ANCHOR: up
    /// Brings node `name` onto the network: the bridge (once), the node's namespace (created if
    /// missing), its `eth0` with the address it had before or the next free one. Idempotent.
    pub fn up(&self, name: &str) -> Result<Node, Error> {
        let netns_name = self.netns_name(name)?;
        self.switch.setup_node()?;
        let netns = match Netns::named(&netns_name) {
            Ok(netns) => netns,
            Err(_) => Netns::create_named(&netns_name)?,
        };
        let address = self.switch.attach(&netns, &node_key(name))?;
        tracing::info!(node = name, %address, "node is on the network");
        Ok(Node {
            name: name.to_owned(),
            netns,
            address,
        })
    }
    // ANCHOR_END: up

    /// Takes node `name` off the network and deletes its namespace (every interface and route
    /// in it goes too). A node that is not there is fine.
    pub fn down(&self, name: &str) -> Result<(), Error> {
        let netns_name = self.netns_name(name)?;
        self.switch.detach(&node_key(name))?;
        Netns::delete_named(&netns_name)?;
        Ok(())
    }

    /// Removes the bridge, after every node is down. Idempotent.
    pub fn teardown(&self) -> Result<(), Error> {
        self.switch.teardown_node()?;
        Ok(())
    }
}

/// A node's owner key in the address allocator.
fn node_key(name: &str) -> String {
    format!("node/{name}")
}
