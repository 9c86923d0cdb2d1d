//! A node's pod range, its `spec.podCIDR` (for example `10.244.1.0/24`), and what lives in it.
//!
//! The controller manager's node IPAM controller cuts the cluster range (`--cluster-cidr`,
//! `10.244.0.0/16`) into one `/24` per node and writes it into the Node's `spec.podCIDR`. On
//! the node, the range is laid out the way the `bridge` + `host-local` CNI plugins lay it out:
//!
//! ```text
//! 10.244.1.0     the network address        never a pod
//! 10.244.1.1     the gateway: the bridge    cni0 holds it; pods route through it
//! 10.244.1.2     the first pod address
//! ...
//! 10.244.1.254   the last pod address
//! 10.244.1.255   the broadcast address      never a pod
//! ```

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// The smallest range with room for a pod: network, gateway, one pod, broadcast.
pub const LONGEST_PREFIX: u8 = 30;

/// Why a string is not a usable pod range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not `a.b.c.d/n`.
    #[error("invalid CIDR {0:?}: expected an IPv4 range such as 10.244.1.0/24")]
    Syntax(String),
    /// The prefix leaves no room for a pod (or is over 32).
    #[error("invalid CIDR {cidr:?}: the prefix must be at most /{LONGEST_PREFIX} to hold a pod")]
    TooSmall {
        /// The range as given.
        cidr: String,
    },
    /// Bits set after the prefix: `10.244.1.7/24` is an address in a range, not a range.
    #[error("invalid CIDR {cidr:?}: host bits are set (did you mean {network}?)")]
    HostBitsSet {
        /// The range as given.
        cidr: String,
        /// The range it is inside.
        network: String,
    },
}

/// An IPv4 range with room for pods: a network address and a prefix length of at most /30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodCidr {
    network: Ipv4Addr,
    prefix_len: u8,
}

impl PodCidr {
    /// The range `network/prefix_len`; the address must have no bits set after the prefix.
    pub fn new(network: Ipv4Addr, prefix_len: u8) -> Result<Self, CidrError> {
        let given = || format!("{network}/{prefix_len}");
        if prefix_len > LONGEST_PREFIX {
            return Err(CidrError::TooSmall { cidr: given() });
        }
        let masked = Ipv4Addr::from(u32::from(network) & mask(prefix_len));
        if masked != network {
            return Err(CidrError::HostBitsSet {
                cidr: given(),
                network: format!("{masked}/{prefix_len}"),
            });
        }
        Ok(Self {
            network,
            prefix_len,
        })
    }

    /// The network address (`10.244.1.0`).
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length (`24`): pods get their address with this prefix.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The gateway (`10.244.1.1`): the node's bridge holds it, pods' default route uses it.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + 1)
    }

    /// The broadcast address (`10.244.1.255`).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !mask(self.prefix_len))
    }

    /// The first address a pod can get (`10.244.1.2`).
    pub fn first_pod_address(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + 2)
    }

    /// The last address a pod can get (`10.244.1.254`).
    pub fn last_pod_address(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.broadcast()) - 1)
    }

    /// Whether `address` is a pod address of this range (not the network, gateway or
    /// broadcast address).
    pub fn is_pod_address(&self, address: Ipv4Addr) -> bool {
        (self.first_pod_address()..=self.last_pod_address()).contains(&address)
    }

    /// Whether `address` is anywhere in the range.
    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & mask(self.prefix_len) == u32::from(self.network)
    }
}

/// The netmask of a prefix length as a number (`/24` is `0xffff_ff00`).
fn mask(prefix_len: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(prefix_len))
        .unwrap_or(0)
}

impl FromStr for PodCidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, CidrError> {
        let syntax = || CidrError::Syntax(text.to_owned());
        let (address, prefix) = text.trim().split_once('/').ok_or_else(syntax)?;
        let network: Ipv4Addr = address.parse().map_err(|_| syntax())?;
        let prefix_len: u8 = prefix.parse().map_err(|_| syntax())?;
        if prefix_len > 32 {
            return Err(syntax());
        }
        Self::new(network, prefix_len)
    }
}

impl fmt::Display for PodCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}
