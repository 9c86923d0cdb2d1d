//! Step 4: the Job controller, its pure decisions and the real thing against lab-02.

mod decisions;
mod live;
