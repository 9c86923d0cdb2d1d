//! Step 6: an allocation bitmap kept in the store, and the Service allocators built on it.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use k8s_openapi::ByteString;
use serde::{Deserialize, Serialize};

use super::{Bitmap, Error, IpRange, PortRange};
use crate::store::{Error as StoreError, REGISTRY_PREFIX, Store};

/// The key of the cluster IP bitmap (the same key kube-apiserver uses).
pub const SERVICE_IPS_KEY: &str = "/registry/ranges/serviceips";
/// The key of the node port bitmap.
pub const NODE_PORTS_KEY: &str = "/registry/ranges/servicenodeports";

/// How often a read-modify-write is retried when other writers get in between. With N writers
/// racing, each round one of them wins, so a writer that keeps losing is unlucky, not stuck:
/// kube-apiserver retries without a limit; we stop at a number no real contention reaches
/// (64 was reached in a test with 8 writers on a loaded machine).
const MAX_ATTEMPTS: u32 = 10_000;

/// The stored form: upstream's internal `RangeAllocation` (range, and the bitmap as base64).
#[derive(Debug, Serialize, Deserialize)]
struct RangeAllocation {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    range: String,
    data: ByteString,
}

/// A bitmap of `size` slots under one key of a store.
#[derive(Debug)]
pub struct RangeAllocator<S> {
    store: S,
    key: String,
    range: String,
    size: u32,
    what: &'static str,
    /// Where the next scan for a free slot starts (see [`Bitmap::next_free`]).
    next: AtomicU32,
}

impl<S: Store> RangeAllocator<S> {
    /// An allocator of `size` slots under `key`; `range` is the range's text, for messages.
    pub fn new(store: S, key: &str, range: String, size: u32, what: &'static str) -> Self {
        debug_assert!(key.starts_with(REGISTRY_PREFIX));
        Self {
            store,
            key: key.to_owned(),
            range,
            size,
            what,
            next: AtomicU32::new(0),
        }
    }

    /// Takes the next free slot.
    pub async fn allocate_next(&self) -> Result<u32, Error> {
        let start = self.next.load(Ordering::Relaxed);
        let slot = self
            .modify(|bitmap| {
                let slot = bitmap.next_free(start).ok_or_else(|| Error::Full {
                    what: self.what,
                    range: self.range.clone(),
                })?;
                bitmap.set(slot);
                Ok(slot)
            })
            .await?;
        self.next
            .store((slot + 1) % self.size.max(1), Ordering::Relaxed);
        Ok(slot)
    }

    /// Takes slot `slot`; [`Error::AlreadyAllocated`] if it is taken.
    pub async fn allocate(&self, slot: u32) -> Result<(), Error> {
        self.modify(|bitmap| {
            if bitmap.set(slot) {
                Ok(())
            } else {
                Err(Error::AlreadyAllocated { what: self.what })
            }
        })
        .await
    }

    /// Frees slot `slot` (freeing a free slot is fine: a retried delete does it).
    pub async fn release(&self, slot: u32) -> Result<(), Error> {
        self.modify(|bitmap| {
            bitmap.clear(slot);
            Ok(())
        })
        .await
    }

    /// Whether slot `slot` is taken, as stored now.
    pub async fn is_allocated(&self, slot: u32) -> Result<bool, Error> {
        Ok(self.read().await?.0.is_set(slot))
    }

    /// How many slots are taken.
    pub async fn used(&self) -> Result<u32, Error> {
        Ok(self.read().await?.0.count())
    }

    /// The stored bitmap and its `mod_revision` (`None` when nothing is stored yet).
    async fn read(&self) -> Result<(Bitmap, Option<i64>), Error> {
        let Some(kv) = self.store.get(&self.key).await? else {
            return Ok((Bitmap::new(self.size), None));
        };
        let stored: RangeAllocation =
            serde_json::from_slice(&kv.value).map_err(|error| Error::Corrupt {
                key: self.key.clone(),
                reason: error.to_string(),
            })?;
        Ok((
            Bitmap::from_bytes(self.size, &stored.data.0),
            Some(kv.mod_revision),
        ))
    }

    // ANCHOR: modify
    /// Reads the bitmap, applies `change`, and writes it back only if nobody wrote in between;
    /// otherwise starts over with what they wrote. `change` decides on the fresh bitmap every
    /// time, so its answer (a slot, or "taken") is never based on stale data.
    async fn modify<T>(
        &self,
        change: impl Fn(&mut Bitmap) -> Result<T, Error>,
    ) -> Result<T, Error> {
        for _ in 0..MAX_ATTEMPTS {
            // BEGIN SOLUTION step-6: read; change; create (nothing stored yet) or update with the revision read; on AlreadyExists or Conflict, go round again
            let (mut bitmap, revision) = self.read().await?;
            let answer = change(&mut bitmap)?;
            let value = self.encode(&bitmap)?;
            let written = match revision {
                None => self.store.create(&self.key, value).await.map(drop),
                Some(revision) => self
                    .store
                    .update(&self.key, value, Some(revision))
                    .await
                    .map(drop),
            };
            match written {
                Ok(()) => return Ok(answer),
                // Someone else wrote first: their bitmap is the truth now; try again on it (after
                // letting the other tasks run, so the winners get out of the way).
                Err(StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) => {
                    tokio::task::yield_now().await;
                }
                Err(error) => return Err(error.into()),
            }
            // END SOLUTION
        }
        Err(Error::Busy {
            key: self.key.clone(),
            attempts: MAX_ATTEMPTS,
        })
    }
    // ANCHOR_END: modify

    fn encode(&self, bitmap: &Bitmap) -> Result<Bytes, Error> {
        let stored = RangeAllocation {
            kind: "RangeAllocation".to_owned(),
            api_version: "v1".to_owned(),
            range: self.range.clone(),
            data: ByteString(bitmap.as_bytes().to_vec()),
        };
        serde_json::to_vec(&stored)
            .map(Bytes::from)
            .map_err(|error| Error::Corrupt {
                key: self.key.clone(),
                reason: error.to_string(),
            })
    }
}

/// Cluster IPs of Services.
#[derive(Debug)]
pub struct ClusterIps<S> {
    range: IpRange,
    slots: RangeAllocator<S>,
}

impl<S: Store> ClusterIps<S> {
    /// The allocator of `range` in `store`.
    pub fn new(store: S, range: IpRange) -> Self {
        let slots = RangeAllocator::new(
            store,
            SERVICE_IPS_KEY,
            range.to_string(),
            range.size(),
            "IP",
        );
        Self { range, slots }
    }

    /// The range.
    pub fn range(&self) -> IpRange {
        self.range
    }

    /// The address of `kubernetes.default`: the first of the range.
    pub fn kubernetes_service_ip(&self) -> Ipv4Addr {
        self.range.address(0)
    }

    /// Allocates `wanted`, or the next free address.
    pub async fn allocate(&self, wanted: Option<Ipv4Addr>) -> Result<Ipv4Addr, Error> {
        match wanted {
            Some(address) => {
                let slot = self
                    .range
                    .offset(address)
                    .ok_or_else(|| Error::OutOfRange {
                        what: "IP",
                        range: self.range.to_string(),
                    })?;
                self.slots.allocate(slot).await?;
                Ok(address)
            }
            None => Ok(self.range.address(self.slots.allocate_next().await?)),
        }
    }

    /// Frees `address` (an address outside the range is ignored: it was never ours).
    pub async fn release(&self, address: Ipv4Addr) -> Result<(), Error> {
        match self.range.offset(address) {
            Some(slot) => self.slots.release(slot).await,
            None => Ok(()),
        }
    }

    /// Whether `address` is allocated.
    pub async fn is_allocated(&self, address: Ipv4Addr) -> Result<bool, Error> {
        match self.range.offset(address) {
            Some(slot) => self.slots.is_allocated(slot).await,
            None => Ok(false),
        }
    }
}

/// Node ports of Services.
#[derive(Debug)]
pub struct NodePorts<S> {
    range: PortRange,
    slots: RangeAllocator<S>,
}

impl<S: Store> NodePorts<S> {
    /// The allocator of `range` in `store`.
    pub fn new(store: S, range: PortRange) -> Self {
        let slots = RangeAllocator::new(
            store,
            NODE_PORTS_KEY,
            range.to_string(),
            range.size(),
            "port",
        );
        Self { range, slots }
    }

    /// The range.
    pub fn range(&self) -> PortRange {
        self.range
    }

    /// Allocates `wanted`, or the next free port.
    pub async fn allocate(&self, wanted: Option<u16>) -> Result<u16, Error> {
        match wanted {
            Some(port) => {
                let slot = self.range.offset(port).ok_or_else(|| Error::OutOfRange {
                    what: "port",
                    range: self.range.to_string(),
                })?;
                self.slots.allocate(slot).await?;
                Ok(port)
            }
            None => Ok(self.range.port(self.slots.allocate_next().await?)),
        }
    }

    /// Frees `port`.
    pub async fn release(&self, port: u16) -> Result<(), Error> {
        match self.range.offset(port) {
            Some(slot) => self.slots.release(slot).await,
            None => Ok(()),
        }
    }

    /// Whether `port` is allocated.
    pub async fn is_allocated(&self, port: u16) -> Result<bool, Error> {
        match self.range.offset(port) {
            Some(slot) => self.slots.is_allocated(slot).await,
            None => Ok(false),
        }
    }
}
