//! `cargo xtask bench <area>`: measurements side by side with a real peer, as a markdown table.
//!
//! Benchmarks never run in the test suite (tests do not assert on time); they are run by hand or
//! by a scheduled job, on an otherwise idle machine, and report medians and p99s with the ratio to
//! the peer the blueprint names for the area.

mod apiserver;
mod cluster;
mod controllers;
mod runtime;
mod scheduler;

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

/// The areas that have a benchmark.
const AREAS: &[&str] = &[
    "runtime",
    "apiserver",
    "controllers",
    "scheduler",
    "cluster",
];

/// `cargo xtask bench <area> [--runs N] [--pods N]`; without `--runs`, 3 for controllers and
/// cluster (a run takes about a minute) and 100 for the others; `pods`: the scheduler's
/// end-to-end runs.
pub(crate) fn bench(root: &Path, area: &str, runs: Option<usize>, pods: usize) -> Result<()> {
    let runs = runs.unwrap_or(if matches!(area, "controllers" | "cluster") {
        3
    } else {
        100
    });
    if runs < 2 {
        bail!("--runs must be at least 2 (got {runs})");
    }
    match area {
        "runtime" => runtime::bench(root, runs),
        "apiserver" => apiserver::bench(root, runs),
        "controllers" => controllers::bench(root, runs),
        "scheduler" => scheduler::bench(root, runs, pods),
        "cluster" => cluster::bench(root, runs),
        other => bail!(
            "no benchmark for `{other}` yet; the areas with one are: {}",
            AREAS.join(", ")
        ),
    }
}

/// One contender's measurements, or why it could not be measured.
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) what: String,
    pub(crate) samples: Result<Vec<Duration>, String>,
}

/// Median and 99th percentile (nearest rank) of sorted samples.
pub(crate) fn median_p99(samples: &[Duration]) -> (Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = |q: f64| {
        let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    (rank(0.5), rank(0.99))
}

/// Prints the rows as a markdown table, with each median's ratio to the `baseline` row's.
pub(crate) fn print_table(rows: &[Row], baseline: &str) {
    let base = rows
        .iter()
        .find(|row| row.name == baseline)
        .and_then(|row| row.samples.as_ref().ok())
        .map(|samples| median_p99(samples).0);
    println!("| contender | what | runs | median | p99 | median vs {baseline} |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for row in rows {
        match &row.samples {
            Ok(samples) => {
                let (median, p99) = median_p99(samples);
                let ratio = base.map_or("-".to_owned(), |base| {
                    format!("{:.2}x", median.as_secs_f64() / base.as_secs_f64())
                });
                println!(
                    "| {} | {} | {} | {:.2} ms | {:.2} ms | {ratio} |",
                    row.name,
                    row.what,
                    samples.len(),
                    median.as_secs_f64() * 1e3,
                    p99.as_secs_f64() * 1e3
                );
            }
            Err(why) => println!(
                "| {} | {} | 0 | - | - | not measured: {why} |",
                row.name, row.what
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p99_use_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(
            median_p99(&samples),
            (Duration::from_millis(50), Duration::from_millis(99))
        );
        assert_eq!(
            median_p99(&[Duration::from_millis(3), Duration::from_millis(1)]),
            (Duration::from_millis(1), Duration::from_millis(3))
        );
    }
}
