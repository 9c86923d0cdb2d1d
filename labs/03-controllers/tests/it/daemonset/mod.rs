//! Step 4: the DaemonSet controller, its pure decisions and the real thing against lab-02.

mod decisions;
mod history;
mod kubectl;
mod live;
mod rolling;
mod update;
