//! Step 6: which slots of a range are taken, one bit each.
//!
//! kube-apiserver keeps exactly this: a bitmap per range, stored as a `RangeAllocation` object
//! (`/registry/ranges/serviceips`, `/registry/ranges/servicenodeports`), so a restarted server
//! knows which addresses are in use without reading every Service.

/// A set of slots `0..size`, as bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    size: u32,
    /// Bit `n % 8` of byte `n / 8` is slot `n`; the same layout upstream stores.
    bytes: Vec<u8>,
}

impl Bitmap {
    /// An empty bitmap of `size` slots.
    pub fn new(size: u32) -> Self {
        Self {
            size,
            bytes: vec![0; size.div_ceil(8) as usize],
        }
    }

    /// A bitmap from stored bytes; bytes past the end are ignored, missing ones are free
    /// (a range that grew keeps its allocations).
    pub fn from_bytes(size: u32, stored: &[u8]) -> Self {
        let mut bitmap = Self::new(size);
        let n = bitmap.bytes.len().min(stored.len());
        bitmap.bytes[..n].copy_from_slice(&stored[..n]);
        bitmap
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether slot `n` is taken.
    pub fn is_set(&self, n: u32) -> bool {
        n < self.size && self.bytes[(n / 8) as usize] & (1 << (n % 8)) != 0
    }

    /// Takes slot `n`; false if it was taken already (or is out of range).
    pub fn set(&mut self, n: u32) -> bool {
        if n >= self.size || self.is_set(n) {
            return false;
        }
        self.bytes[(n / 8) as usize] |= 1 << (n % 8);
        true
    }

    /// Frees slot `n`.
    pub fn clear(&mut self, n: u32) {
        if n < self.size {
            self.bytes[(n / 8) as usize] &= !(1 << (n % 8));
        }
    }

    /// How many slots are taken.
    pub fn count(&self) -> u32 {
        self.bytes.iter().map(|b| b.count_ones()).sum()
    }

    // ANCHOR: next_free
    /// The first free slot at or after `start`, wrapping around; `None` when all are taken.
    ///
    /// Scanning from a moving start (rather than from 0) spreads allocations over the range, so
    /// an address freed a moment ago is not handed out again at once: a client that still
    /// remembers the old Service's address should not reach a new one by accident.
    pub fn next_free(&self, start: u32) -> Option<u32> {
        // BEGIN SOLUTION step-6: look at start, start+1, ... size-1, then 0 ... start-1; the first clear bit wins
        if self.size == 0 {
            return None;
        }
        let start = start % self.size;
        (start..self.size)
            .chain(0..start)
            .find(|&n| !self.is_set(n))
        // END SOLUTION
    }
    // ANCHOR_END: next_free
}
