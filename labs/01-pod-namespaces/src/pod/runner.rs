//! Step 7: the loop that runs one Pod, as the kubelet's pod worker does.
//!
//! Each turn of the loop looks at the world and acts, never assuming what happened since the
//! last turn (a container may have exited at any moment):
//!
//! ```text
//!  ┌─> 1 notice exits (ContainerStatus)       4 the phase: Succeeded or Failed? ─> stop
//!  │   2 copy new log lines out               5 compute_actions (step 5): start, restart
//!  │   3 run due probes (step 6): ready,         after back-off, or wait (CrashLoopBackOff)
//!  │     started, or kill on liveness failure
//!  └── wait for the next tick or a shutdown request (timeout, Ctrl-C)
//! ```
//!
//! At the end every running container is stopped as `stop_plan` says (preStop hook, SIGTERM,
//! grace, SIGKILL), and the sandbox, cgroups, volumes and rootfs directories are removed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1 as corev1;
use labkit::{Clock as _, SystemClock};

use crate::cgroups::CgroupRoot;
use crate::config::ContainerConfig;
use crate::error::{Error, Result};
use crate::image::Store;
use crate::lifecycle::{self, Action, Backoff, Phase, State};
use crate::pod::hooks::{ExecTargets, RunHooks};
use crate::pod::spec::PodPlan;
use crate::pod::tracked::{Tracked, copy_logs, live_snapshot, notice_exits, snapshot};
use crate::probe::prober::{HandlerProber, run_due};
use crate::probe::set::ProbeSet;
use crate::probe::worker::Action as ProbeAction;
use crate::runtime::exec::ExecTarget;
use crate::runtime::logs::Follower;
use crate::runtime::status::{ContainerState, Terminated, pod_status, wall_now};
use crate::runtime::{ContainerExec, ContainerRequest, Runtime, RuntimeService, RuntimeState};
use crate::volume::{VolumeSources, container_mounts, prepare_volumes};

/// How often the loop looks at the containers when nothing wakes it earlier.
pub const TICK: Duration = Duration::from_millis(20);

/// Where and how a Pod runs.
#[derive(Debug)]
pub struct RunOptions {
    /// The `lab-01` binary, for the helper processes.
    pub helper: PathBuf,
    /// The image store.
    pub store: Store,
    /// The Pod's own directory (volumes, rootfs directories, logs); removed by the caller.
    pub pod_dir: PathBuf,
    /// ConfigMaps and Secrets for configMap and secret volumes.
    pub sources: VolumeSources,
    /// Cgroups for containers with `resources` (`None`: no limits are applied).
    pub cgroup_root: Option<CgroupRoot>,
    /// Stop the Pod gracefully after this long.
    pub timeout: Option<Duration>,
    /// What a kubelet hears and adds while the Pod runs (empty for `lab-01 run`).
    pub hooks: RunHooks,
}

/// Runs the Pod until every container is done for good (phase Succeeded or Failed), the
/// timeout passes, or `shutdown` receives a message; then stops it. `on_log` gets each log line
/// with its container's name. Returns the final status.
pub fn run_pod(
    plan: &PodPlan,
    options: &RunOptions,
    shutdown: &Receiver<()>,
    on_log: &mut dyn FnMut(&str, &str),
) -> Result<corev1::PodStatus> {
    let start_time = wall_now();
    let spec = plan.pod.spec.clone().unwrap_or_default();
    let volumes = prepare_volumes(
        spec.volumes.as_deref().unwrap_or_default(),
        &options.pod_dir,
        &options.sources,
    )?;
    // Mounts are resolved for every container before the first process exists: a volumeMount
    // naming no volume is bad input, and must leave nothing behind.
    let mut mounts = Vec::new();
    for container in plan.init.iter().chain(&plan.app) {
        mounts.push(container_mounts(&container.spec, &volumes)?);
    }
    let mut tracked: Vec<Tracked<'_>> = plan
        .init
        .iter()
        .map(|c| (c, true))
        .chain(plan.app.iter().map(|c| (c, false)))
        .map(|(container, init)| Tracked::new(container, init, !plan.init.is_empty()))
        .collect();
    let mut runtime = Runtime::new(&options.helper, options.cgroup_root.clone());
    let sandbox = runtime.run_pod_sandbox(&plan.sandbox)?;
    let mut live = Live {
        start_time,
        pod_ip: None,
        reported: None,
        exec_ids: Vec::new(),
    };
    let network = attach_network(options, &mut runtime, &sandbox, &mut live);
    let result = network.and_then(|()| {
        drive(
            plan,
            options,
            &mut runtime,
            &sandbox,
            &mut tracked,
            &mounts,
            shutdown,
            on_log,
            &mut live,
        )
    });
    // Whatever happened, stop and remove everything; the first error wins.
    let stopped = stop_all(plan, &mut runtime, &mut tracked);
    copy_logs(&mut tracked, on_log, true);
    if let Some(targets) = &options.hooks.exec_targets {
        lock(targets).clear();
    }
    let removed = runtime.remove_pod_sandbox(&sandbox);
    if let Some(network) = &options.hooks.network {
        network.detach();
    }
    result.and(stopped).and(removed)?;
    let mut last = snapshot(&tracked, start_time);
    last.pod_ip = live.pod_ip;
    Ok(pod_status(&last))
}

/// What the loop remembers for the hooks between turns.
struct Live {
    start_time: k8s_openapi::jiff::Timestamp,
    /// The address the pod network gave the sandbox.
    pod_ip: Option<String>,
    /// The status last sent to the `status` hook.
    reported: Option<corev1::PodStatus>,
    /// The running containers' (name, runtime id) last published as exec targets.
    exec_ids: Vec<(String, String)>,
}

/// Connects the sandbox to the pod network, when a kubelet gave one.
fn attach_network(
    options: &RunOptions,
    runtime: &mut Runtime,
    sandbox: &str,
    live: &mut Live,
) -> Result<()> {
    let Some(network) = &options.hooks.network else {
        return Ok(());
    };
    let Some(netns) = runtime.pod_sandbox_status(sandbox)?.netns else {
        return Err(Error::Network(
            "the sandbox has no network namespace".into(),
        ));
    };
    live.pod_ip = Some(network.attach(&netns).map_err(Error::Network)?);
    Ok(())
}

/// Sends the status when it changed, and republishes exec targets when the running
/// containers changed.
fn report(
    options: &RunOptions,
    runtime: &mut Runtime,
    tracked: &[Tracked<'_>],
    phase: Phase,
    live: &mut Live,
) {
    if let Some(sender) = &options.hooks.status {
        let status = pod_status(&live_snapshot(
            tracked,
            live.start_time,
            phase,
            live.pod_ip.clone(),
        ));
        if live.reported.as_ref() != Some(&status) {
            let _ = sender.send(status.clone());
            live.reported = Some(status);
        }
    }
    if let Some(targets) = &options.hooks.exec_targets {
        let running: Vec<(String, String)> = tracked
            .iter()
            .filter(|t| t.view.state == State::Running)
            .filter_map(|t| Some((t.record.name.clone(), t.id.clone()?)))
            .collect();
        if running != live.exec_ids {
            let mut map = BTreeMap::new();
            for (name, id) in &running {
                if let Ok(target) = runtime.exec_target(id) {
                    map.insert(name.clone(), target);
                }
            }
            *lock(targets) = map;
            live.exec_ids = running;
        }
    }
}

/// Locks the exec targets; a panic elsewhere while holding the lock leaves the map usable.
fn lock(targets: &ExecTargets) -> std::sync::MutexGuard<'_, BTreeMap<String, ExecTarget>> {
    targets
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The loop itself (see the module docs).
#[allow(clippy::too_many_arguments)]
fn drive(
    plan: &PodPlan,
    options: &RunOptions,
    runtime: &mut Runtime,
    sandbox: &str,
    tracked: &mut [Tracked<'_>],
    mounts: &[Vec<crate::config::MountSpec>],
    shutdown: &Receiver<()>,
    on_log: &mut dyn FnMut(&str, &str),
    live: &mut Live,
) -> Result<()> {
    let clock = SystemClock;
    let deadline = options.timeout.map(|timeout| Instant::now() + timeout);
    let mut backoff = Backoff::default();
    let netns = runtime.pod_sandbox_status(sandbox)?.netns;
    // ANCHOR: sync_loop
    loop {
        let now = clock.now();
        notice_exits(runtime, tracked, now)?;
        copy_logs(tracked, on_log, false);
        run_probes(runtime, tracked, netns.as_deref(), plan)?;
        let phase = phase_of(plan, tracked);
        report(options, runtime, tracked, phase, live);
        if matches!(phase, Phase::Succeeded | Phase::Failed) {
            return Ok(());
        }
        let (init, app): (Vec<_>, Vec<_>) = tracked.iter().partition(|t| t.init);
        let views = |list: &[&Tracked<'_>]| list.iter().map(|t| t.view.clone()).collect::<Vec<_>>();
        let actions = lifecycle::compute_actions(
            plan.restart_policy,
            &views(&init),
            &views(&app),
            &backoff,
            now,
        );
        // ANCHOR_END: sync_loop
        for action in actions {
            match action {
                Action::Start(name) => {
                    start(options, runtime, sandbox, tracked, mounts, &name, plan)?
                }
                Action::Restart(name) => {
                    backoff.restarted(&name, now);
                    start(options, runtime, sandbox, tracked, mounts, &name, plan)?;
                }
                Action::Wait { name, .. } => {
                    let delay = backoff.delay(&name).unwrap_or_default();
                    if let Some(t) = tracked.iter_mut().find(|t| t.plan.spec.name == name) {
                        t.record.state = ContainerState::Waiting {
                            reason: "CrashLoopBackOff".to_owned(),
                            message: format!(
                                "back-off {}s restarting failed container={name} pod={}_{}({})",
                                delay.as_secs(),
                                plan.sandbox.name,
                                plan.sandbox.namespace,
                                plan.sandbox.uid
                            ),
                        };
                    }
                }
            }
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            tracing::info!(pod = %plan.sandbox.name, "timeout: stopping the pod");
            return Ok(());
        }
        // Waiting on the channel is the tick: a shutdown request ends the wait at once.
        match shutdown.recv_timeout(TICK) {
            Ok(()) => {
                tracing::info!(pod = %plan.sandbox.name, "shutdown requested: stopping the pod");
                return Ok(());
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
    }
}

/// The phase, from the containers' views (step 5).
fn phase_of(plan: &PodPlan, tracked: &[Tracked<'_>]) -> Phase {
    let (init, app): (Vec<_>, Vec<_>) = tracked.iter().partition(|t| t.init);
    let views = |list: &[&Tracked<'_>]| list.iter().map(|t| t.view.clone()).collect::<Vec<_>>();
    lifecycle::pod_phase(plan.restart_policy, &views(&init), &views(&app))
}

/// Starts a (new instance of a) container: fresh rootfs, next log file, create + start, then
/// its postStart hook.
fn start(
    options: &RunOptions,
    runtime: &mut Runtime,
    sandbox: &str,
    tracked: &mut [Tracked<'_>],
    mounts: &[Vec<crate::config::MountSpec>],
    name: &str,
    plan: &PodPlan,
) -> Result<()> {
    let Some(index) = tracked.iter().position(|t| t.plan.spec.name == name) else {
        return Err(Error::WrongState(format!(
            "no container named {name} in the pod"
        )));
    };
    let t = &mut tracked[index];
    // The previous instance goes first: its cgroup and its rootfs (a restart starts clean,
    // as with a real runtime's new snapshot).
    if let Some(old) = t.id.take() {
        runtime.remove_container(&old)?;
        let _ = std::fs::remove_dir_all(instance_dir(&options.pod_dir, name, t.instances));
        if let State::Exited { exit_code, .. } = t.view.state {
            t.view.last_exit_code = Some(exit_code);
        }
        // The run that ended is `lastState` now (the record may say CrashLoopBackOff meanwhile,
        // so it is kept from the moment the exit was noticed).
        if let Some(run) = t.last_run.take() {
            t.record.last_termination = Some(run);
        }
        t.record.restart_count += 1;
    }
    t.instances += 1;
    let dir = instance_dir(&options.pod_dir, name, t.instances);
    let rootfs = dir.join("rootfs");
    options.store.unpack(&t.plan.image, &rootfs)?;
    let log_path = options
        .pod_dir
        .join("logs")
        .join(name)
        .join(format!("{}.log", t.record.restart_count));
    let config = ContainerConfig {
        name: name.to_owned(),
        rootfs,
        command: t.plan.argv[..1].to_vec(),
        args: t.plan.argv[1..].to_vec(),
        env: t.plan.env.clone(),
        working_dir: t.plan.working_dir.as_ref().map(PathBuf::from),
        mounts: mounts[index].clone(),
        log_path: log_path.clone(),
        cgroup_procs: Vec::new(),
    };
    let id = runtime.create_container(
        sandbox,
        ContainerRequest {
            config,
            limits: t.plan.limits,
        },
    )?;
    t.id = Some(id.clone());
    t.follower = Some(Follower::new(&log_path));
    t.record.container_id = Some(format!("kubelab://{id}"));
    let now = Instant::now();
    match runtime.start_container(&id) {
        Ok(()) => {}
        // A command that cannot run is the container's failure, not the runner's: it shows as
        // terminated with 127/126 and the restart policy decides, as in Kubernetes.
        Err(Error::ContainerStart {
            reason, exit_code, ..
        }) => {
            tracing::warn!(container = name, %reason, "container did not start");
            let stamp = wall_now();
            let exit_code = exit_code.unwrap_or(128);
            t.view.state = State::Exited {
                exit_code,
                finished_at: now,
            };
            let run = Terminated {
                exit_code,
                oom_killed: false,
                started_at: stamp,
                finished_at: stamp,
            };
            t.last_run = Some(run.clone());
            t.record.state = ContainerState::Terminated(run);
            return Ok(());
        }
        Err(error) => return Err(error),
    }
    t.view.state = State::Running;
    if let RuntimeState::Running { started_at, .. } = runtime.container_status(&id)? {
        t.record.state = ContainerState::Running { started_at };
    }
    t.probes = (!t.init).then(|| ProbeSet::new(&t.plan.probes, now));
    t.record.ready = t.probes.as_ref().is_some_and(ProbeSet::ready);
    t.record.started = t.probes.as_ref().is_none_or(ProbeSet::started);
    if let Some(hook) = &t.plan.post_start {
        let ok =
            matches!(runtime.exec_sync(&id, hook, plan.grace), Ok(result) if result.exit_code == 0);
        if !ok {
            // The kubelet kills a container whose postStart hook fails (FailedPostStartHook).
            tracing::warn!(
                container = name,
                "postStart hook failed: killing the container"
            );
            runtime.stop_container(&id, Duration::ZERO)?;
        }
    }
    Ok(())
}

/// `<pod dir>/containers/<name>/<instance>`.
fn instance_dir(pod_dir: &Path, name: &str, instance: u32) -> PathBuf {
    pod_dir
        .join("containers")
        .join(name)
        .join(instance.to_string())
}

/// Runs the due probes of running app containers and acts on what changed.
fn run_probes(
    runtime: &mut Runtime,
    tracked: &mut [Tracked<'_>],
    netns: Option<&Path>,
    plan: &PodPlan,
) -> Result<()> {
    for t in tracked
        .iter_mut()
        .filter(|t| t.view.state == State::Running)
    {
        let (Some(id), Some(set)) = (t.id.clone(), t.probes.as_mut()) else {
            continue;
        };
        let transitions = {
            let exec = ContainerExec {
                runtime: Mutex::new(&mut *runtime),
                container_id: id.clone(),
            };
            let mut prober = HandlerProber::new(exec);
            if let Some(netns) = netns {
                prober = prober.in_network_namespace(netns);
            }
            run_due(set, &prober, &SystemClock)
        };
        for transition in transitions {
            match transition.action() {
                Some(ProbeAction::MarkStarted) => t.record.started = true,
                Some(ProbeAction::SetReady(ready)) => t.record.ready = ready,
                Some(ProbeAction::KillContainer) => {
                    tracing::info!(container = %t.record.name, "probe failed: killing the container");
                    stop_one(runtime, t, plan)?;
                }
                None => {}
            }
        }
    }
    Ok(())
}

/// Stops one running container: preStop hook, SIGTERM, grace, SIGKILL (step 5's plan).
fn stop_one(runtime: &mut Runtime, t: &mut Tracked<'_>, plan: &PodPlan) -> Result<()> {
    let Some(id) = t.id.clone() else {
        return Ok(());
    };
    let started = Instant::now();
    for step in lifecycle::stop_plan(plan.grace, t.plan.pre_stop.is_some()) {
        match step {
            lifecycle::StopStep::PreStop { budget } => {
                if let Some(hook) = &t.plan.pre_stop
                    && let Err(error) = runtime.exec_sync(&id, hook, budget)
                {
                    tracing::warn!(container = %t.record.name, error = %error, "preStop hook failed");
                }
            }
            // `stop_container` sends SIGTERM, waits, and sends SIGKILL itself.
            lifecycle::StopStep::Terminate => {
                let wait = lifecycle::stop::term_wait(plan.grace, started.elapsed());
                runtime.stop_container(&id, wait)?;
            }
            lifecycle::StopStep::WaitForExit | lifecycle::StopStep::Kill => {}
        }
    }
    notice_exits(runtime, std::slice::from_mut(t), Instant::now())
}

/// Stops every running container, app containers first.
fn stop_all(plan: &PodPlan, runtime: &mut Runtime, tracked: &mut [Tracked<'_>]) -> Result<()> {
    let mut first_error = Ok(());
    for t in tracked
        .iter_mut()
        .rev()
        .filter(|t| t.view.state == State::Running)
    {
        if let Err(error) = stop_one(runtime, t, plan) {
            first_error = first_error.and(Err(error));
        }
    }
    first_error
}
