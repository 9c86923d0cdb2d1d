//! The cluster CIDR cut into node-sized blocks (upstream `pkg/controller/nodeipam/ipam/cidrset`).
//!
//! `--cluster-cidr 10.244.0.0/16` with `--node-cidr-mask-size 24` gives 256 blocks,
//! `10.244.0.0/24` to `10.244.255.0/24`; block `i` starts at `base + i * 2^(32-24)`. A bitmap
//! says which are taken. Like upstream, allocation goes round the range from just after the
//! last block handed out (`nextCandidate`), so a block freed a moment ago (its node just left)
//! is not given to the next node at once, while routes to it may still exist.

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// Upstream's default `--node-cidr-mask-size` for IPv4.
pub const DEFAULT_NODE_MASK: u8 = 24;
/// The flannel-style cluster CIDR this course uses (`kubeadm init --pod-network-cidr`).
pub const DEFAULT_CLUSTER_CIDR: Cidr = Cidr {
    network: Ipv4Addr::new(10, 244, 0, 0),
    prefix: 16,
};

/// Why a CIDR or an allocation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not `a.b.c.d/n` with n in 0..=32.
    #[error("invalid CIDR {0:?}")]
    Invalid(String),
    /// The node mask is not longer than the cluster's (or too long to be useful).
    #[error("node CIDR mask size {node} must be in {cluster}..=30 and > the cluster prefix")]
    BadMask {
        /// The cluster CIDR's prefix length.
        cluster: u8,
        /// The node mask size asked for.
        node: u8,
    },
    /// Every block is taken.
    #[error(
        "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range"
    )]
    Full,
    /// A CIDR that is not one of this set's blocks.
    #[error("CIDR {cidr} is not a /{mask} block of {cluster}")]
    OutOfRange {
        /// The CIDR given.
        cidr: String,
        /// The set's node mask.
        mask: u8,
        /// The cluster CIDR.
        cluster: Cidr,
    },
}

/// An IPv4 network: an address with the host bits zero and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The first address.
    pub network: Ipv4Addr,
    /// The prefix length.
    pub prefix: u8,
}

impl FromStr for Cidr {
    type Err = CidrError;

    /// Parses `10.244.0.0/16`; host bits are cleared (`10.244.1.7/16` is `10.244.0.0/16`).
    fn from_str(text: &str) -> Result<Self, CidrError> {
        let invalid = || CidrError::Invalid(text.to_owned());
        let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let address: Ipv4Addr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        if prefix > 32 {
            return Err(invalid());
        }
        let bits = u32::from(address) & mask_bits(prefix);
        Ok(Cidr {
            network: Ipv4Addr::from(bits),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The netmask of a prefix length as bits (`/24` is `0xffffff00`).
fn mask_bits(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

// ANCHOR: cidr_set
/// The blocks of one cluster CIDR and which are taken.
#[derive(Debug, Clone)]
pub struct CidrSet {
    cluster: Cidr,
    node_mask: u8,
    /// The indexes of the blocks in use.
    used: BTreeSet<u32>,
    /// Where the next search starts (upstream `nextCandidate`).
    next_candidate: u32,
}
// ANCHOR_END: cidr_set

impl CidrSet {
    /// The blocks of `/node_mask` in `cluster`.
    pub fn new(cluster: Cidr, node_mask: u8) -> Result<Self, CidrError> {
        if node_mask <= cluster.prefix || node_mask > 30 {
            return Err(CidrError::BadMask {
                cluster: cluster.prefix,
                node: node_mask,
            });
        }
        Ok(CidrSet {
            cluster,
            node_mask,
            used: BTreeSet::new(),
            next_candidate: 0,
        })
    }

    /// How many blocks there are (`2^(node_mask - prefix)`).
    pub fn max_blocks(&self) -> u32 {
        let bits = u32::from(self.node_mask - self.cluster.prefix);
        1u32.checked_shl(bits).unwrap_or(u32::MAX)
    }

    /// How many blocks are taken.
    pub fn used(&self) -> usize {
        self.used.len()
    }

    /// Block `index` as a CIDR.
    fn block(&self, index: u32) -> Cidr {
        let size = 1u32 << (32 - u32::from(self.node_mask));
        Cidr {
            network: Ipv4Addr::from(u32::from(self.cluster.network) + index * size),
            prefix: self.node_mask,
        }
    }

    /// The index of `cidr`'s block, if it is exactly one of ours.
    fn index_of(&self, cidr: &str) -> Result<u32, CidrError> {
        let out_of_range = || CidrError::OutOfRange {
            cidr: cidr.to_owned(),
            mask: self.node_mask,
            cluster: self.cluster,
        };
        let parsed: Cidr = cidr.parse()?;
        let base = u32::from(self.cluster.network);
        let address = u32::from(parsed.network);
        if parsed.prefix != self.node_mask || address & mask_bits(self.cluster.prefix) != base {
            return Err(out_of_range());
        }
        Ok((address - base) >> (32 - u32::from(self.node_mask)))
    }

    // ANCHOR: allocate_next
    /// Takes the first free block at or after `next_candidate`, going round the range once,
    /// and moves `next_candidate` past it. [`CidrError::Full`] when every block is taken.
    pub fn allocate_next(&mut self) -> Result<Cidr, CidrError> {
        // BEGIN SOLUTION step-5: scan max_blocks indexes from next_candidate, wrapping; the first not in `used` is taken, next_candidate = it + 1 (wrapping)
        let max = self.max_blocks();
        for offset in 0..max {
            let index = (self.next_candidate + offset) % max;
            if self.used.insert(index) {
                self.next_candidate = (index + 1) % max;
                return Ok(self.block(index));
            }
        }
        Err(CidrError::Full)
        // END SOLUTION
    }
    // ANCHOR_END: allocate_next

    // ANCHOR: occupy
    /// Marks `cidr` taken (a node that already has it, seen at start-up). Taking a block twice
    /// is fine: two nodes with one CIDR is the admin's mistake to fix, not ours to make worse.
    pub fn occupy(&mut self, cidr: &str) -> Result<(), CidrError> {
        let index = self.index_of(cidr)?;
        self.used.insert(index);
        Ok(())
    }
    // ANCHOR_END: occupy

    /// Frees `cidr` (its node was deleted).
    pub fn release(&mut self, cidr: &str) -> Result<(), CidrError> {
        let index = self.index_of(cidr)?;
        self.used.remove(&index);
        Ok(())
    }
}
