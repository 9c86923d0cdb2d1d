//! Step 4 tests: requests and limits become cgroups.
//!
//! - `limits`: the pure conversion from `resources` to [`CgroupLimits`], as a snapshot table.
//! - `plan`: what a container's cgroup gets written, on v1 and v2, through the recording fake.
//! - `real`: real cgroups on this machine (root only): limits in the files, a process joining,
//!   an OOM kill, a fork loop stopped by `pids.max`, and removal with processes still inside.

mod limits;
mod plan;
mod real;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

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

/// `resources` from `("requests.cpu", "250m")`-style pairs.
pub(crate) fn resources(pairs: &[(&str, &str)]) -> ResourceRequirements {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    for (key, value) in pairs {
        let (map, name) = match key.split_once('.') {
            Some(("requests", name)) => (&mut requests, name),
            Some(("limits", name)) => (&mut limits, name),
            _ => panic!("bad key {key}"),
        };
        map.insert(name.to_owned(), Quantity((*value).to_owned()));
    }
    ResourceRequirements {
        requests: (!requests.is_empty()).then_some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        claims: None,
    }
}

/// An error and its causes on one line, as `anyhow`'s `{:#}` would print them.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
