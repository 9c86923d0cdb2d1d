//! Step 4: cron schedules, and what a CronJob's sync decides, minute by minute, over a fake
//! clock. Pure.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::batch::v1::{CronJob, Job};
use lab_03::cronjob::decide::{CronDecision, SCHEDULED_TIMESTAMP, decide_cron_job, job_name};
use lab_03::cronjob::schedule::Schedule;
use labkit::{Clock, FakeClock};
use serde_json::{Value, json};

/// 2024-01-01T00:00:00Z, a Monday.
fn start() -> SystemTime {
    FakeClock::default().wall()
}

fn at(minutes: u64, seconds: u64) -> SystemTime {
    start() + Duration::from_secs(minutes * 60 + seconds)
}

fn minute_of(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
}

#[test]
fn step4_cron_schedules_name_the_right_minutes() {
    let business = Schedule::parse("*/15 9-17 * * mon-fri").unwrap();
    let monday_9_15 = minute_of(at(9 * 60 + 15, 0));
    assert!(business.matches_minute(monday_9_15));
    assert!(!business.matches_minute(monday_9_15 + 1));
    assert!(
        !business.matches_minute(minute_of(at(18 * 60, 0))),
        "18:00 is after 17:45"
    );
    let saturday = minute_of(at(5 * 24 * 60 + 9 * 60, 0));
    assert!(!business.matches_minute(saturday));
    // Both day fields restricted: either matches (the 15th, or any Sunday).
    let either = Schedule::parse("0 0 15 * sun").unwrap();
    assert!(
        either.matches_minute(minute_of(at(6 * 24 * 60, 0))),
        "Sunday the 7th"
    );
    assert!(
        either.matches_minute(minute_of(at(14 * 24 * 60, 0))),
        "Monday the 15th"
    );
    assert!(
        !either.matches_minute(minute_of(at(24 * 60, 0))),
        "Tuesday the 2nd"
    );
    let hourly = Schedule::parse("@hourly").unwrap();
    assert_eq!(hourly.next_after(at(0, 0)), Some(at(60, 0)));
    assert_eq!(hourly.most_recent(at(0, 0), at(179, 59)), Some(at(120, 0)));
    for bad in [
        "* * * *",
        "61 * * * *",
        "*/0 * * * *",
        "* * * foo *",
        "5-1 * * * *",
    ] {
        assert!(Schedule::parse(bad).is_err(), "{bad} must be refused");
    }
}

fn cron_job(policy: &str, extra: &Value) -> CronJob {
    let mut cj = json!({
        "metadata": {"name": "report", "namespace": "default", "uid": "cj-uid",
                     "creationTimestamp": "2024-01-01T00:00:30Z"},
        "spec": {
            "schedule": "* * * * *",
            "concurrencyPolicy": policy,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "report", "image": "busybox"}]}}}},
        }
    });
    for (key, value) in extra.as_object().into_iter().flatten() {
        cj["spec"][key] = value.clone();
    }
    serde_json::from_value(cj).expect("a CronJob")
}

/// A Job of the CronJob as the Job controller leaves it: `finished` "Complete", "Failed" or
/// "" (running), started at `started` minutes.
fn job(cj: &CronJob, scheduled: SystemTime, finished: &str) -> Arc<Job> {
    let mut job = lab_03::cronjob::decide::new_job(cj, scheduled);
    let mut status = json!({"startTime": lab_03::pods::to_time(scheduled)});
    if !finished.is_empty() {
        status["conditions"] = json!([{"type": finished, "status": "True"}]);
        if finished == "Complete" {
            status["completionTime"] =
                json!(lab_03::pods::to_time(scheduled + Duration::from_secs(30)));
        }
    }
    job.status = serde_json::from_value(status).ok();
    Arc::new(job)
}

fn summary(decision: &CronDecision) -> String {
    let created = decision
        .create
        .as_ref()
        .and_then(|j| j.metadata.name.clone())
        .unwrap_or_else(|| "-".to_owned());
    let deleted: Vec<String> = decision
        .delete
        .iter()
        .filter_map(|j| j.metadata.name.clone())
        .collect();
    let active: Vec<String> = decision
        .status
        .active
        .iter()
        .flatten()
        .filter_map(|r| r.name.clone())
        .collect();
    format!("create {created} delete {deleted:?} active {active:?}")
}

/// Syncs once a minute (at :05) for `minutes` minutes; each Job runs 2.5 minutes, then
/// completes. Returns the log.
fn simulate(policy: &str, minutes: u64) -> String {
    let mut cj = cron_job(policy, &json!({}));
    let mut jobs: Vec<(SystemTime, Arc<Job>)> = Vec::new();
    let mut log = String::new();
    for minute in 1..=minutes {
        let now = at(minute, 5);
        // The Job controller: Jobs that ran 2.5 minutes are complete.
        for (scheduled, job) in &mut jobs {
            let running = !lab_03::job::decide::has_condition(job, "Complete");
            if running && now.duration_since(*scheduled).unwrap() >= Duration::from_secs(150) {
                *job = self::job(&cj, *scheduled, "Complete");
            }
        }
        let current: Vec<Arc<Job>> = jobs.iter().map(|(_, j)| j.clone()).collect();
        let decision = decide_cron_job(&cj, &current, now);
        writeln!(log, "00:0{minute}:05 {}", summary(&decision)).unwrap();
        let deleted: Vec<Option<String>> = decision
            .delete
            .iter()
            .map(|j| j.metadata.name.clone())
            .collect();
        jobs.retain(|(_, j)| !deleted.contains(&j.metadata.name));
        if let Some(created) = &decision.create {
            let scheduled = at(minute, 0);
            assert_eq!(created.metadata.name, Some(job_name(&cj, scheduled)));
            jobs.push((scheduled, job(&cj, scheduled, "")));
        }
        cj.status = Some(decision.status.clone());
    }
    // Names are minutes since 1970: 28401120 is 2024-01-01T00:00Z.
    log.replace("report-2840112", "report-…")
}

#[test]
fn step4_cronjob_forbid_skips_runs_while_a_job_is_active() {
    assert_eq!(
        simulate("Forbid", 6),
        "\
00:01:05 create report-…1 delete [] active [\"report-…1\"]
00:02:05 create - delete [] active [\"report-…1\"]
00:03:05 create - delete [] active [\"report-…1\"]
00:04:05 create report-…4 delete [] active [\"report-…4\"]
00:05:05 create - delete [] active [\"report-…4\"]
00:06:05 create - delete [] active [\"report-…4\"]
"
    );
}

#[test]
fn step4_cronjob_replace_and_allow_over_a_fake_clock() {
    assert_eq!(
        simulate("Replace", 3),
        "\
00:01:05 create report-…1 delete [] active [\"report-…1\"]
00:02:05 create report-…2 delete [\"report-…1\"] active [\"report-…2\"]
00:03:05 create report-…3 delete [\"report-…2\"] active [\"report-…3\"]
"
    );
    assert_eq!(
        simulate("Allow", 4),
        "\
00:01:05 create report-…1 delete [] active [\"report-…1\"]
00:02:05 create report-…2 delete [] active [\"report-…1\", \"report-…2\"]
00:03:05 create report-…3 delete [] active [\"report-…1\", \"report-…2\", \"report-…3\"]
00:04:05 create report-…4 delete [] active [\"report-…2\", \"report-…3\", \"report-…4\"]
"
    );
}

#[test]
fn step4_cronjob_job_is_named_and_annotated_by_its_scheduled_time() {
    let cj = cron_job("Allow", &json!({}));
    let decision = decide_cron_job(&cj, &[], at(1, 5));
    let job = decision.create.expect("a Job");
    assert_eq!(job.metadata.name.as_deref(), Some("report-28401121"));
    assert_eq!(
        job.metadata.annotations.unwrap()[SCHEDULED_TIMESTAMP],
        "2024-01-01T00:01:00Z"
    );
    assert_eq!(
        serde_json::to_value(decision.status.last_schedule_time).unwrap(),
        json!("2024-01-01T00:01:00Z")
    );
    assert_eq!(decision.requeue_after, Some(Duration::from_secs(55)));
    // Seen again before the Job is in the cache: the same name, so the create is a 409.
    assert_eq!(job_name(&cj, at(1, 0)), "report-28401121");
}

#[test]
fn step4_cronjob_misses_schedules_older_than_its_starting_deadline() {
    let cj = cron_job(
        "Allow",
        &json!({"schedule": "0 * * * *", "startingDeadlineSeconds": 120}),
    );
    // The 01:00 run was due 5 minutes ago: too late to start it.
    assert!(decide_cron_job(&cj, &[], at(65, 0)).create.is_none());
    let on_time = decide_cron_job(&cj, &[], at(61, 30))
        .create
        .expect("within 120 s");
    assert_eq!(on_time.metadata.name.as_deref(), Some("report-28401180"));
}

#[test]
fn step4_cronjob_suspended_creates_nothing_and_keeps_its_history_limits() {
    let cj = cron_job("Allow", &json!({"suspend": true}));
    let jobs: Vec<Arc<Job>> = (1..=5)
        .map(|m| job(&cj, at(m, 0), "Complete"))
        .chain((6..=8).map(|m| job(&cj, at(m, 0), "Failed")))
        .collect();
    let decision = decide_cron_job(&cj, &jobs, at(10, 0));
    assert!(decision.create.is_none());
    let deleted: Vec<String> = decision
        .delete
        .iter()
        .filter_map(|j| j.metadata.name.clone())
        .collect();
    assert_eq!(
        deleted,
        [
            "report-28401121",
            "report-28401122",
            "report-28401126",
            "report-28401127"
        ],
        "keep the 3 newest successes and the newest failure"
    );
    assert_eq!(
        serde_json::to_value(decision.status.last_successful_time).unwrap(),
        json!("2024-01-01T00:05:30Z")
    );
}
