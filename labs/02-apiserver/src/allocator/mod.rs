//! Step 6: addresses for Services. A ClusterIP from `--service-cluster-ip-range` (default
//! `10.96.0.0/12`; `kubernetes.default` gets the first, `10.96.0.1`) and a NodePort from
//! `--service-node-port-range` (default `30000-32767`), never the same one twice, also across
//! a restart of the API server and with several servers sharing one etcd.
//!
//! ```text
//!  Service create ─> ClusterIps::allocate ─┐           ┌─ /registry/ranges/serviceips
//!                    NodePorts::allocate  ─┴─> read, flip a bit, write back only if
//!                                              unchanged since read (mod_revision) ─> retry
//! ```
//!
//! The allocation state is a bitmap stored under one key, updated with optimistic concurrency
//! exactly like any object: two servers allocating at once both read revision 7, one writes
//! revision 8, the other's write is refused and it tries again with the new bitmap.
//!
//! - [`range`]: CIDRs and port spans as numbered slots.
//! - [`bitmap`]: the taken slots.
//! - [`stored`]: the bitmap in the store, and the two allocators built on it.

pub mod bitmap;
pub mod range;
pub mod stored;

pub use bitmap::Bitmap;
pub use range::{DEFAULT_NODE_PORTS, DEFAULT_SERVICE_CIDR, IpRange, PortRange};
pub use stored::{ClusterIps, NodePorts, RangeAllocator};

/// What can go wrong while allocating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A range given on the command line is not one.
    #[error("invalid range {range:?}: {reason}")]
    BadRange {
        /// The text given.
        range: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The value asked for is taken (a Service asked for a specific clusterIP or nodePort).
    #[error("provided {what} is already allocated")]
    AlreadyAllocated {
        /// "IP" or "port".
        what: &'static str,
    },
    /// The value asked for is outside the range.
    #[error("provided {what} is not in the valid range. The range of valid {what}s is {range}")]
    OutOfRange {
        /// "IP" or "port".
        what: &'static str,
        /// The range, as configured.
        range: String,
    },
    /// Every value of the range is taken.
    #[error("range is full: no {what}s left in {range}")]
    Full {
        /// "IP" or "port".
        what: &'static str,
        /// The range.
        range: String,
    },
    /// The stored allocation cannot be read.
    #[error("the allocation state under {key} is corrupt: {reason}")]
    Corrupt {
        /// Its key.
        key: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// Too many concurrent writers kept changing the state under us.
    #[error("could not update {key} after {attempts} attempts: too much contention")]
    Busy {
        /// The key.
        key: String,
        /// How often we tried.
        attempts: u32,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}
