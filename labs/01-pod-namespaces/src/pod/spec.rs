//! Step 7: a `v1` Pod manifest, checked and turned into what the runtime runs.
//!
//! The kubelet is the translator between the API's Pod and the runtime's smaller messages. It
//! checks everything it can *before* touching the machine, so that a typo costs an error
//! message, not a half-made pod: this module is that part, pure except for reading the image
//! store. What it decides, per container:
//!
//! - the image (resolved in the local store by `name[:tag]`: step 1);
//! - the command line, merging the Pod's `command`/`args` with the image's `Entrypoint`/`Cmd`
//!   by the rules of [`command_line`];
//! - the environment (the image's, then the container's `env`), the working directory;
//! - its probes (step 6), its `postStart`/`preStop` exec hooks and its cgroup limits (step 4).

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1 as corev1;

use crate::cgroups::CgroupLimits;
use crate::config::SandboxConfig;
use crate::error::{Error, Result};
use crate::image::{Image, ImageRef, Store};
use crate::lifecycle::RestartPolicy;
use crate::probe::spec::ContainerProbes;

/// `terminationGracePeriodSeconds` when the Pod does not say (the API's default).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// One container of the Pod, ready for the runtime (but for its rootfs and mounts, which need
/// the disk).
#[derive(Debug, Clone)]
pub struct ContainerPlan {
    /// The container as the manifest gives it.
    pub spec: corev1::Container,
    /// The image reference, parsed.
    pub image: ImageRef,
    /// The image found in the store (its config has the defaults for the command and env).
    pub resolved: Image,
    /// `command` then `args`, resolved against the image.
    pub argv: Vec<String>,
    /// The environment, image's first, `NAME=value` pairs.
    pub env: Vec<(String, String)>,
    /// The working directory (`workingDir`, else the image's).
    pub working_dir: Option<String>,
    /// The probes, checked (step 6).
    pub probes: ContainerProbes,
    /// The `postStart` exec hook's command.
    pub post_start: Option<Vec<String>>,
    /// The `preStop` exec hook's command.
    pub pre_stop: Option<Vec<String>>,
    /// The cgroup limits from `resources` (step 4); `None` when it has none.
    pub limits: Option<CgroupLimits>,
}

/// The whole Pod, checked.
#[derive(Debug, Clone)]
pub struct PodPlan {
    /// The manifest.
    pub pod: corev1::Pod,
    /// Its sandbox.
    pub sandbox: SandboxConfig,
    /// `spec.restartPolicy`.
    pub restart_policy: RestartPolicy,
    /// `spec.terminationGracePeriodSeconds`.
    pub grace: Duration,
    /// The init containers, in order.
    pub init: Vec<ContainerPlan>,
    /// The app containers, in order.
    pub app: Vec<ContainerPlan>,
}

// ANCHOR: command_line
/// The command line of a container, by the Kubernetes rules (the "Notes" table of the
/// `command` and `args` docs):
///
/// | `command` | `args` | runs                                   |
/// | --------- | ------ | -------------------------------------- |
/// | unset     | unset  | the image's `Entrypoint` + `Cmd`       |
/// | set       | unset  | `command` only (the image's `Cmd` is dropped too) |
/// | unset     | set    | the image's `Entrypoint` + `args`      |
/// | set       | set    | `command` + `args`                     |
pub fn command_line(
    command: Option<&[String]>,
    args: Option<&[String]>,
    entrypoint: &[String],
    cmd: &[String],
) -> Vec<String> {
    // BEGIN SOLUTION step-7: apply the four rows of the table
    match (command, args) {
        (None, None) => entrypoint.iter().chain(cmd).cloned().collect(),
        (Some(command), None) => command.to_vec(),
        (None, Some(args)) => entrypoint.iter().chain(args).cloned().collect(),
        (Some(command), Some(args)) => command.iter().chain(args).cloned().collect(),
    }
    // END SOLUTION
}
// ANCHOR_END: command_line

/// Checks a Pod manifest and resolves its images in `store`. Nothing on the machine changes.
pub fn plan_pod(pod: &corev1::Pod, store: &Store) -> Result<PodPlan> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(Error::invalid("metadata.name", "a pod needs a name"));
    }
    let Some(spec) = &pod.spec else {
        return Err(Error::invalid(
            "spec",
            "a pod needs a spec with at least one container",
        ));
    };
    if spec.containers.is_empty() {
        return Err(Error::invalid(
            "spec.containers",
            "a pod needs at least one container",
        ));
    }
    let mut sandbox = SandboxConfig::new(&name);
    sandbox.namespace = pod
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    sandbox.uid = pod.metadata.uid.clone().unwrap_or_default();
    sandbox.hostname = spec.hostname.clone().unwrap_or_else(|| name.clone());
    sandbox.share_process_namespace = spec.share_process_namespace.unwrap_or(false);
    sandbox.validate()?;
    let restart_policy = RestartPolicy::parse(spec.restart_policy.as_deref())
        .map_err(|reason| Error::invalid("spec.restartPolicy", reason))?;
    let grace = match spec.termination_grace_period_seconds {
        None => DEFAULT_GRACE,
        Some(seconds) => Duration::from_secs(u64::try_from(seconds).map_err(|_| {
            Error::invalid("spec.terminationGracePeriodSeconds", "must be 0 or more")
        })?),
    };
    // Names are unique across init and app containers: logs, status and cgroups use them.
    let mut names = BTreeSet::new();
    let all = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| ("initContainers", c));
    for (index, (list, container)) in all
        .chain(spec.containers.iter().map(|c| ("containers", c)))
        .enumerate()
    {
        if !names.insert(container.name.as_str()) {
            return Err(Error::invalid(
                format!("spec.{list}[{index}].name"),
                format!(
                    "duplicate container name `{}`; names must be unique in the pod",
                    container.name
                ),
            ));
        }
    }
    let plan = |container: &corev1::Container| plan_container(container, store);
    Ok(PodPlan {
        pod: pod.clone(),
        sandbox,
        restart_policy,
        grace,
        init: spec
            .init_containers
            .iter()
            .flatten()
            .map(plan)
            .collect::<Result<_>>()?,
        app: spec.containers.iter().map(plan).collect::<Result<_>>()?,
    })
}

/// Checks one container and resolves its image.
fn plan_container(container: &corev1::Container, store: &Store) -> Result<ContainerPlan> {
    let field = |name: &str| format!("container {}: {name}", container.name);
    if container.name.is_empty() {
        return Err(Error::invalid(
            "containers[].name",
            "every container needs a name",
        ));
    }
    let image_name = container.image.as_deref().unwrap_or_default();
    if image_name.is_empty() {
        return Err(Error::invalid(
            field("image"),
            "no image given; set image (e.g. `busybox`)",
        ));
    }
    let image = ImageRef::parse(image_name)?;
    let resolved = store.image(&image)?;
    let defaults = resolved.config.config().clone().unwrap_or_default();
    let argv = command_line(
        container.command.as_deref(),
        container.args.as_deref(),
        defaults.entrypoint().as_deref().unwrap_or_default(),
        defaults.cmd().as_deref().unwrap_or_default(),
    );
    if argv.is_empty() {
        return Err(Error::invalid(
            field("command"),
            "nothing to run: the image has no default command; set command or args",
        ));
    }
    let mut env: Vec<(String, String)> = defaults
        .env()
        .iter()
        .flatten()
        .filter_map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    for (index, var) in container.env.iter().flatten().enumerate() {
        if var.value_from.is_some() {
            return Err(Error::invalid(
                field(&format!("env[{index}].valueFrom")),
                "valueFrom needs an API server (lab-02); give a literal value instead",
            ));
        }
        // A container's variable replaces the image's of the same name, in place.
        let value = var.value.clone().unwrap_or_default();
        match env.iter_mut().find(|(name, _)| *name == var.name) {
            Some(existing) => existing.1 = value,
            None => env.push((var.name.clone(), value)),
        }
    }
    let probes = ContainerProbes::from_container(container)
        .map_err(|error| Error::invalid(field("probe"), error.to_string()))?;
    let hooks = container.lifecycle.as_ref();
    let post_start = exec_hook(
        hooks.and_then(|h| h.post_start.as_ref()),
        &field("lifecycle.postStart"),
    )?;
    let pre_stop = exec_hook(
        hooks.and_then(|h| h.pre_stop.as_ref()),
        &field("lifecycle.preStop"),
    )?;
    let limits = match &container.resources {
        Some(resources) if resources.limits.is_some() || resources.requests.is_some() => Some(
            CgroupLimits::from_resources(resources)
                .map_err(|error| Error::invalid(field("resources"), error.to_string()))?,
        ),
        _ => None,
    };
    Ok(ContainerPlan {
        spec: container.clone(),
        image,
        resolved,
        argv,
        env,
        working_dir: container
            .working_dir
            .clone()
            .or_else(|| defaults.working_dir().clone())
            .filter(|dir| !dir.is_empty()),
        probes,
        post_start,
        pre_stop,
        limits,
    })
}

/// The command of an exec hook; other hook kinds are refused with what to use instead.
fn exec_hook(
    handler: Option<&corev1::LifecycleHandler>,
    field: &str,
) -> Result<Option<Vec<String>>> {
    let Some(handler) = handler else {
        return Ok(None);
    };
    match &handler.exec {
        Some(exec) if exec.command.as_ref().is_some_and(|c| !c.is_empty()) => {
            Ok(exec.command.clone())
        }
        Some(_) => Err(Error::invalid(
            format!("{field}.exec.command"),
            "an exec hook needs a command",
        )),
        None => Err(Error::invalid(
            field.to_owned(),
            "only exec hooks are supported by this runtime; use exec (e.g. `sh -c 'wget -qO- ...'`)",
        )),
    }
}
