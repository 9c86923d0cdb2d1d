//! Step 4: the CronJob controller, its schedules and decisions, and the real thing against lab-02.

mod decisions;
mod live;
