//! Ages: how `kubectl get` turns "created at" into `45s`, `3m12s` or `2d3h`.
//!
//! Every AGE cell (and RESTARTS' "(5m ago)", a Job's DURATION, a CronJob's LAST SCHEDULE) is
//! rendered on the server by the same two functions of the real code base:
//! `translateTimestampSince` (k8s.io/kubernetes `pkg/printers/internalversion`) and
//! `duration.HumanDuration` (k8s.io/apimachinery `pkg/util/duration`). The rule keeps an age
//! short but precise where precision matters: seconds up to 2 minutes, minutes and seconds up to
//! 10 minutes, then coarser and coarser units.
//!
//! ```text
//!   0s ..   119s   "45s"            10m .. <3h    "42m"          2d .. <8d    "3d5h" / "3d"
//!   2m .. <10m     "3m12s" / "3m"    3h .. <8h    "5h7m" / "5h"   8d .. <2y    "400d"
//!                                    8h .. <48h   "20h"           2y .. <8y    "2y5d", then "9y"
//! ```
//!
//! A timestamp in the future by less than 2 s (clocks of two machines disagree a little) reads
//! `0s`; further in the future it is `<invalid>`. A missing timestamp is `<unknown>`.

use k8s_openapi::jiff::{SignedDuration, Timestamp};

// ANCHOR: human_duration
/// `duration.HumanDuration`: a short, human-readable approximation of `d`, as kubectl prints it.
pub fn human_duration(d: SignedDuration) -> String {
    // BEGIN SOLUTION step-5: seconds below 2 min (up to 1 s in the future is "0s", more is "<invalid>"), then m+s below 10 min, m below 3 h, h+m below 8 h, h below 48 h, d+h below 8 d, d below 2 y, y+d below 8 y, else y; zero parts are left out
    // Go's int(d.Seconds()) truncates towards zero, like as_secs.
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_remainder(minutes, "m", seconds % 60, "s");
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return with_remainder(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return with_remainder(days, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return with_remainder(years, "y", days % 365, "d");
    }
    format!("{years}y")
    // END SOLUTION
}
// ANCHOR_END: human_duration

/// `"3m12s"`, or `"3m"` when the smaller unit is zero.
fn with_remainder(big: i64, big_unit: &str, small: i64, small_unit: &str) -> String {
    if small == 0 {
        format!("{big}{big_unit}")
    } else {
        format!("{big}{big_unit}{small}{small_unit}")
    }
}

/// `translateTimestampSince`: the age of `timestamp` at `now`, or `<unknown>` when the object has
/// no such timestamp (a zero time in Go).
pub fn since(timestamp: Option<&Timestamp>, now: Timestamp) -> String {
    match timestamp {
        Some(timestamp) => human_duration(now.duration_since(*timestamp)),
        None => "<unknown>".to_owned(),
    }
}
