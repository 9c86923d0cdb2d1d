//! Step 4: the StatefulSet controller, its pure decisions, the real thing against lab-02, and
//! the real kubectl's `rollout` and `scale` on it.

mod decisions;
mod kubectl;
mod lifecycle;
mod live;
