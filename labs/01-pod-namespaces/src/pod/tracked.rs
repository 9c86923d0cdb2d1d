//! Step 7: one container of a running Pod as the loop tracks it, and what the loop reads off
//! the tracked containers: exits, log lines, the final status.

use std::time::Instant;

use k8s_openapi::jiff::Timestamp;

use crate::error::Result;
use crate::lifecycle::{self, ContainerView, RestartPolicy, State};
use crate::pod::spec::ContainerPlan;
use crate::probe::set::ProbeSet;
use crate::runtime::logs::Follower;
use crate::runtime::status::{ContainerRecord, ContainerState, PodSnapshot, Terminated};
use crate::runtime::{Runtime, RuntimeService, RuntimeState};

/// One container of the Pod, as the loop tracks it.
pub(crate) struct Tracked<'a> {
    pub(crate) plan: &'a ContainerPlan,
    pub(crate) init: bool,
    /// The runtime's id of the current instance.
    pub(crate) id: Option<String>,
    pub(crate) view: ContainerView,
    pub(crate) record: ContainerRecord,
    pub(crate) probes: Option<ProbeSet>,
    pub(crate) follower: Option<Follower>,
    /// Instances started so far (each gets its own rootfs and log file).
    pub(crate) instances: u32,
    /// The current instance's run once it ended (becomes `lastState` at the restart).
    pub(crate) last_run: Option<Terminated>,
}

impl<'a> Tracked<'a> {
    /// A container not started yet.
    pub(crate) fn new(plan: &'a ContainerPlan, init: bool, pod_has_init: bool) -> Self {
        // Before it starts, an app container of a pod with init containers waits for them.
        let reason = if pod_has_init {
            "PodInitializing"
        } else {
            "ContainerCreating"
        };
        Self {
            plan,
            init,
            id: None,
            view: ContainerView::new(&plan.spec.name, State::Waiting),
            record: ContainerRecord {
                name: plan.spec.name.clone(),
                image: plan.spec.image.clone().unwrap_or_default(),
                image_id: plan.resolved.manifest_digest.to_string(),
                container_id: None,
                state: ContainerState::Waiting {
                    reason: reason.to_owned(),
                    message: String::new(),
                },
                last_termination: None,
                restart_count: 0,
                ready: false,
                started: false,
            },
            probes: None,
            follower: None,
            instances: 0,
            last_run: None,
        }
    }
}

/// Records the exits the runtime reports.
pub(crate) fn notice_exits(
    runtime: &mut Runtime,
    tracked: &mut [Tracked<'_>],
    now: Instant,
) -> Result<()> {
    for t in tracked
        .iter_mut()
        .filter(|t| t.view.state == State::Running)
    {
        let Some(id) = &t.id else { continue };
        if let RuntimeState::Exited(run) = runtime.container_status(id)? {
            tracing::info!(container = %t.record.name, exit_code = run.exit_code, "container exited");
            t.view.state = State::Exited {
                exit_code: run.exit_code,
                finished_at: now,
            };
            t.last_run = Some(run.clone());
            t.record.state = ContainerState::Terminated(run);
            t.record.ready = false;
        }
    }
    Ok(())
}

/// Hands new log lines to `on_log`; at the end also a last line without its newline.
pub(crate) fn copy_logs(
    tracked: &mut [Tracked<'_>],
    on_log: &mut dyn FnMut(&str, &str),
    finish: bool,
) {
    for t in tracked.iter_mut() {
        let Some(follower) = t.follower.as_mut() else {
            continue;
        };
        match follower.poll_lines() {
            Ok(lines) => lines.iter().for_each(|line| on_log(&t.record.name, line)),
            Err(error) => tracing::warn!(container = %t.record.name, %error, "cannot read the log"),
        }
        if (finish || t.view.state != State::Running)
            && let Some(rest) = follower.finish()
        {
            on_log(&t.record.name, &rest);
        }
    }
}

/// What [`crate::runtime::status::pod_status`] needs, from the tracked containers, once the Pod has stopped.
/// The Pod as it is now, while it runs: `phase` as the loop computed it, the sandbox up.
pub(crate) fn live_snapshot(
    tracked: &[Tracked<'_>],
    start_time: Timestamp,
    phase: lifecycle::Phase,
    pod_ip: Option<String>,
) -> PodSnapshot {
    let records = |init: bool| {
        tracked
            .iter()
            .filter(|t| t.init == init)
            .map(|t| t.record.clone())
            .collect()
    };
    PodSnapshot {
        phase,
        start_time,
        sandbox_ready: true,
        init: records(true),
        app: records(false),
        pod_ip,
    }
}

/// The final status, once every container is stopped.
pub(crate) fn snapshot(tracked: &[Tracked<'_>], start_time: Timestamp) -> PodSnapshot {
    let records = |init: bool| {
        tracked
            .iter()
            .filter(|t| t.init == init)
            .map(|t| t.record.clone())
            .collect()
    };
    // A stopped Pod is terminal: nothing restarts any more, whatever `restartPolicy` says, so
    // its phase is computed as for `Never` (the kubelet does the same for a Pod it was asked
    // to terminate): Succeeded if every container exited 0, else Failed.
    let (init, app): (Vec<_>, Vec<_>) = tracked.iter().partition(|t| t.init);
    let views = |list: &[&Tracked<'_>]| list.iter().map(|t| t.view.clone()).collect::<Vec<_>>();
    let phase = lifecycle::pod_phase(RestartPolicy::Never, &views(&init), &views(&app));
    PodSnapshot {
        phase,
        start_time,
        // The sandbox is gone by now.
        sandbox_ready: false,
        init: records(true),
        app: records(false),
        pod_ip: None,
    }
}
