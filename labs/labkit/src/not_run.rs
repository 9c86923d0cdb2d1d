//! "Not run": how a test that cannot run here says so, instead of passing silently.
//!
//! Rust's test harness has no way for a test to mark itself skipped at run time: a test that
//! returns early is reported as `ok`. That would let a learner without root believe the
//! namespace steps work. So a test that lacks something calls [`NotRun::report`] (usually through
//! [`require!`](crate::require)), which
//!
//! 1. prints `not run: <reason>` on stderr (shown by `cargo test -- --nocapture`), and
//! 2. when the grader runs the tests, writes the reason to a file named after the test in the
//!    directory given by the `LABKIT_NOT_RUN_DIR` environment variable. `cargo xtask grade` reads
//!    those files and shows the test as `not run: <reason>`, never as a pass.

use std::fmt;
use std::path::PathBuf;

/// The environment variable naming the directory where not-run records go.
pub const NOT_RUN_DIR_ENV: &str = "LABKIT_NOT_RUN_DIR";

/// Why a test cannot run on this machine, phrased as what it needs ("needs etcd ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRun {
    reason: String,
}

impl NotRun {
    /// A reason such as `"needs root or user namespaces"`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason, as it will be shown by the grader.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Tells the learner and the grader that the current test did not run.
    ///
    /// Call it from the test's own thread: the harness names that thread after the test, and the
    /// record is filed under that name.
    pub fn report(&self) {
        eprintln!("not run: {}", self.reason);
        let Some(dir) = std::env::var_os(NOT_RUN_DIR_ENV).map(PathBuf::from) else {
            return;
        };
        let test_name = std::thread::current()
            .name()
            .unwrap_or("unnamed-test")
            .to_owned();
        // A failure to write the record must not turn into a pass: fail the test loudly instead.
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(record_file_name(&test_name)), &self.reason))
            .unwrap_or_else(|error| {
                panic!(
                    "failed to record not-run for {test_name} in {}: {error}",
                    dir.display()
                )
            });
    }
}

impl fmt::Display for NotRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not run: {}", self.reason)
    }
}

/// The file name a test's not-run record is stored under: the test path with `::` as `__`.
///
/// The grader uses the same function (xtask depends on labkit) so the two can never disagree.
pub fn record_file_name(test_name: &str) -> String {
    test_name.replace("::", "__")
}

/// Unwraps a `Result<T, NotRun>`, or reports "not run" and returns from the enclosing test.
///
/// ```
/// fn step2_sandbox_holds_the_net_namespace() {
///     let _privileges = labkit::require!(labkit::privileged());
///     // ... the real test, run only where namespaces can be made ...
/// }
/// ```
#[macro_export]
macro_rules! require {
    ($probe:expr) => {
        match $probe {
            Ok(value) => value,
            Err(not_run) => {
                $crate::NotRun::report(&not_run);
                return;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names_flatten_module_paths() {
        assert_eq!(
            record_file_name("image::tests::step1_unpacks"),
            "image__tests__step1_unpacks"
        );
    }

    #[test]
    fn display_says_not_run_and_why() {
        assert_eq!(NotRun::new("needs etcd").to_string(), "not run: needs etcd");
    }
}
