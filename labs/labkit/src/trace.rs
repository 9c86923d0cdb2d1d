//! Logs in tests: `tracing` output captured per test, filtered by `RUST_LOG`.

use std::sync::Once;

/// Installs a `tracing` subscriber once per test binary; later calls do nothing.
///
/// Output goes through the test harness's capture, so it appears only for failing tests (or
/// with `--nocapture`). `RUST_LOG=lab_01=debug cargo test -p lab-01` shows more.
pub fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        // `try_init` because another crate's test support may have installed one already.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}
