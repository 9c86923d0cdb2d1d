//! Step 6: leader election, its pure decisions and two controller-managers against lab-02.

mod decisions;
mod live;
