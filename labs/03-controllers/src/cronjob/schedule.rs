//! Cron schedules: the five fields of `spec.schedule` (minute, hour, day of month, month, day
//! of week), parsed into the set of values each allows, and the times they name (UTC).
//!
//! ```text
//! */15 9-17 * * mon-fri     every 15 minutes from 9:00 to 17:45, Monday to Friday
//! 0 0 1,15 * *              at midnight on the 1st and the 15th
//! @hourly                   0 * * * *   (also @daily/@midnight, @weekly, @monthly, @yearly/@annually)
//! ```
//!
//! As in the library Kubernetes uses (`robfig/cron`), when both the day of month and the day
//! of week are restricted (neither is `*`), a day matches if *either* does.

use std::time::{Duration, SystemTime};

/// Why a schedule is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule {schedule:?}: {reason}")]
pub struct ScheduleError {
    schedule: String,
    reason: String,
}

/// A parsed schedule: for each field, a bit per allowed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    /// The day-of-month field was `*` (or `?`).
    dom_star: bool,
    /// The day-of-week field was `*` (or `?`).
    dow_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field: comma-separated items, each `*`, `N`, `N-M` or a name, with an optional `/step`.
fn parse_field(field: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let value = |text: &str| -> Result<u32, String> {
        if let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            let offset = if names.len() == 12 { 1 } else { 0 };
            return u32::try_from(index)
                .map(|i| i + offset)
                .map_err(|e| e.to_string());
        }
        let number: u32 = text
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))?;
        if number < min || number > max {
            return Err(format!("{number} is outside {min}-{max}"));
        }
        Ok(number)
    };
    let mut bits = 0u64;
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("bad step in {item:?}"))?;
                if step == 0 {
                    return Err(format!("zero step in {item:?}"));
                }
                (range, step)
            }
            None => (item, 1),
        };
        let (low, high) = match range {
            "*" | "?" => (min, max),
            _ => match range.split_once('-') {
                Some((low, high)) => (value(low)?, value(high)?),
                // `N/step` means from N to the end.
                None if step > 1 => (value(range)?, max),
                None => {
                    let single = value(range)?;
                    (single, single)
                }
            },
        };
        if low > high {
            return Err(format!("empty range {range:?}"));
        }
        let mut v = low;
        while v <= high {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl Schedule {
    /// Parses a five-field schedule or one of the `@` macros.
    pub fn parse(schedule: &str) -> Result<Schedule, ScheduleError> {
        let error = |reason: String| ScheduleError {
            schedule: schedule.to_owned(),
            reason,
        };
        let expanded = match schedule.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, dom, month, dow] = fields[..] else {
            return Err(error(format!("expected 5 fields, found {}", fields.len())));
        };
        let star = |field: &str| field == "*" || field == "?";
        let mut days_of_week = parse_field(dow, 0, 7, &DAYS).map_err(error)?;
        // 7 is Sunday too.
        if days_of_week & (1 << 7) != 0 {
            days_of_week |= 1;
        }
        Ok(Schedule {
            minutes: parse_field(minute, 0, 59, &[]).map_err(error)?,
            hours: parse_field(hour, 0, 23, &[]).map_err(error)?,
            days_of_month: parse_field(dom, 1, 31, &[]).map_err(error)?,
            months: parse_field(month, 1, 12, &MONTHS).map_err(error)?,
            days_of_week,
            dom_star: star(dom),
            dow_star: star(dow),
        })
    }

    /// Whether the schedule names the minute starting at `unix_minute` (minutes since 1970, UTC).
    pub fn matches_minute(&self, unix_minute: u64) -> bool {
        let minute = unix_minute % 60;
        let hour = (unix_minute / 60) % 24;
        let days = unix_minute / (60 * 24);
        let (_, month, day) = civil_from_days(days);
        let weekday = (days + 4) % 7; // 1970-01-01 was a Thursday
        let has = |bits: u64, v: u64| bits & (1 << v) != 0;
        let dom = has(self.days_of_month, day);
        let dow = has(self.days_of_week, weekday);
        let day_ok = if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        };
        has(self.minutes, minute) && has(self.hours, hour) && has(self.months, month) && day_ok
    }

    /// The latest scheduled time in `(after, until]`, if any (looking back at most
    /// [`MAX_LOOK`]).
    pub fn most_recent(&self, after: SystemTime, until: SystemTime) -> Option<SystemTime> {
        let after = unix_minute_ceil(after);
        let mut minute = unix_minute_floor(until);
        let stop = after.max(minute.saturating_sub(MAX_LOOK_MINUTES));
        while minute >= stop && minute > 0 {
            if self.matches_minute(minute) {
                return Some(SystemTime::UNIX_EPOCH + Duration::from_secs(minute * 60));
            }
            minute -= 1;
        }
        None
    }

    /// The first scheduled time strictly after `after`, if any within [`MAX_LOOK`].
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        let start = unix_minute_floor(after) + 1;
        (start..start + MAX_LOOK_MINUTES)
            .find(|minute| self.matches_minute(*minute))
            .map(|minute| SystemTime::UNIX_EPOCH + Duration::from_secs(minute * 60))
    }
}

/// How far the schedule functions look (upstream gives up on schedules that never fire
/// within a few years, such as `0 0 30 2 *`).
pub const MAX_LOOK: Duration = Duration::from_secs(MAX_LOOK_MINUTES * 60);
const MAX_LOOK_MINUTES: u64 = 4 * 366 * 24 * 60;

fn unix_minute_floor(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60)
}

/// The first minute that starts strictly after `time` (a schedule at `time` itself, or earlier
/// in its minute, is not "after" it).
fn unix_minute_ceil(time: SystemTime) -> u64 {
    unix_minute_floor(time) + 1
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
