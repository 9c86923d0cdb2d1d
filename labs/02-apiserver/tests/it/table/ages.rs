//! AGE cells: `duration.HumanDuration`, case by case.

use k8s_openapi::jiff::SignedDuration;
use lab_02::table::age::human_duration;
use serde_json::json;

use super::{ago, print_one};

#[test]
fn step5_human_duration_matches_kubectl() {
    let cases: &[(i64, &str)] = &[
        (0, "0s"),
        (1, "1s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (192, "3m12s"),
        (599, "9m59s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 7 * 60 + 30, "3h7m"),
        (8 * 3600 - 60, "7h59m"),
        (8 * 3600, "8h"),
        (47 * 3600 + 59 * 60, "47h"),
        (48 * 3600, "2d"),
        (51 * 3600, "2d3h"),
        (8 * 86400 - 3600, "7d23h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (735 * 86400, "2y5d"),
        (8 * 365 * 86400, "8y"),
        (20 * 365 * 86400 + 100 * 86400, "20y"),
    ];
    for &(seconds, want) in cases {
        assert_eq!(
            human_duration(SignedDuration::from_secs(seconds)),
            want,
            "{seconds} s"
        );
    }
}

#[test]
fn step5_human_duration_tolerates_a_little_clock_skew() {
    // Up to (but not including) 2 s in the future reads as now; more is invalid.
    assert_eq!(human_duration(SignedDuration::from_millis(-1500)), "0s");
    assert_eq!(human_duration(SignedDuration::from_secs(-1)), "0s");
    assert_eq!(human_duration(SignedDuration::from_secs(-2)), "<invalid>");
    assert_eq!(
        human_duration(SignedDuration::from_secs(-3600)),
        "<invalid>"
    );
    // Fractions of a second are dropped, not rounded.
    assert_eq!(human_duration(SignedDuration::from_millis(1999)), "1s");
}

#[test]
fn step5_age_cell_is_unknown_without_creation_timestamp() {
    let (_, cells) = print_one(
        "",
        "configmaps",
        json!({ "metadata": { "name": "c" }, "data": {} }),
    );
    assert_eq!(cells[2], "<unknown>");
    let (_, cells) = print_one(
        "",
        "configmaps",
        json!({ "metadata": { "name": "c", "creationTimestamp": ago(192) } }),
    );
    assert_eq!(cells[2], "3m12s");
}
