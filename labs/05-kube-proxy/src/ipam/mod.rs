//! IPAM (IP address management): which pod gets which address of the node's pod range.
//!
//! Kubernetes itself does not hand out pod addresses: the network plugin does, through an IPAM
//! plugin. The usual one, the `host-local` CNI plugin, keeps its state as plain files, and so
//! does [`Allocator`]: one file per address in use, named after the address and holding the
//! key of the pod that owns it.
//!
//! ```text
//! /var/lib/cni/networks/pods/         (the state directory)
//!   10.244.1.2          "default/web-0"
//!   10.244.1.3          "kube-system/coredns-5d78c"
//!   last_reserved_ip.0  "10.244.1.3"     where the next search starts
//! ```
//!
//! - The file is created with `O_EXCL` ("fail if it exists"), which the kernel checks and
//!   creates in one step: two allocators racing for `10.244.1.4` cannot both win, and the
//!   loser moves on to the next address.
//! - Because the state is on disk, a restarted kubelet keeps every pod's address.
//! - Allocating twice for one owner returns its address, but two allocations for the *same*
//!   owner at the same moment could each claim one (host-local takes a lock on the directory
//!   for that); the kubelet never sets up one pod's network twice at once.
//! - Allocation is round robin: the search starts after the last address handed out, so a
//!   just-released address is not reused at once (a client still talking to the old pod
//!   would reach the new one).

mod allocator;
mod cidr;

pub use allocator::{Allocator, IpamError, LAST_RESERVED_FILE, candidates};
pub use cidr::{CidrError, LONGEST_PREFIX, PodCidr};
