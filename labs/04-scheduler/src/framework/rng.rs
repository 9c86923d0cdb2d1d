//! A small seeded random number generator (SplitMix64) for breaking ties between equally good
//! nodes. The real scheduler uses Go's global `rand`; a fixed seed makes every run of ours pick
//! the same node, which is what tests and the simulator's `--seed` need.

/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, good enough mixing for picking
/// among a handful of nodes, and the same sequence on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator that always yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0), like Go's `rand.Intn`. Multiply-shift keeps it unbiased
    /// enough for tie-breaking without a loop.
    pub fn below(&mut self, n: usize) -> usize {
        let n = n.max(1) as u128;
        ((u128::from(self.next_u64()) * n) >> 64) as usize
    }
}
