//! Step 6: the node lifecycle controller, its pure decisions (health, taints, eviction) and
//! the real thing against lab-02.

mod decisions;
mod eviction;
mod live;
