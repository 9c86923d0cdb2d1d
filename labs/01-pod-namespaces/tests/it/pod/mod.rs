//! Steps 2 and 3: the pod sandbox and its containers.
//!
//! - `plan`: the plans of a sandbox and of containers, through the recording fake (no root).
//! - `volume`: a Pod's volumes as host directories and mounts (no root).
//! - `sandbox`: the real pause process (root).
//! - `container`: real containers in real sandboxes, busybox inside (root).
//! - `fixtures`: what the real tests share.

mod container;
pub(crate) mod fixtures;
mod plan;
mod sandbox;
mod volume;

/// `insta::assert_snapshot!`, but kept with the lab's other snapshots in `tests/it/snapshots`
/// rather than in a `snapshots` directory beside this module.
macro_rules! snapshot {
    ($value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!($value);
        })
    };
}
pub(crate) use snapshot;
