//! Step 3: the Deployment controller, its pure decisions and the real thing against lab-02,
//! with the real kubectl.

mod decisions;
mod kubectl;
mod live;
mod rollout;
