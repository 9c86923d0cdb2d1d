//! Leader election: several controller-managers run for availability, one acts (client-go
//! `tools/leaderelection` with a Lease lock, as kube-controller-manager uses it).
//!
//! Two controllers doing the same work would fight: both would create the missing pod. So
//! each controller-manager is a *candidate* and only the holder of the Lease
//! `kube-system/kube-controller-manager` runs controllers:
//!
//! ```text
//! candidate: every retry period (2 s): try_acquire_or_renew  --success-->  leader
//! leader:    every retry period: renew          (controllers run meanwhile)
//!            no successful renewal for the renew deadline (10 s)  -->  stop the controllers, exit
//!            others take over once the Lease is leaseDurationSeconds (15 s) old
//! ```
//!
//! The renew deadline is shorter than the lease duration on purpose: a leader that cannot
//! renew stops acting *before* anyone else may start. The decisions are pure ([`decide`]);
//! this file reads and writes the Lease.

pub mod decide;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use labkit::Clock;

use self::decide::{Attempt, Observed, observe, released, try_acquire_or_renew};

/// The Lease kube-controller-manager elects its leader with.
pub const LEASE_NAME: &str = "kube-controller-manager";
/// Its namespace.
pub const LEASE_NAMESPACE: &str = "kube-system";

/// The election's settings (kube-controller-manager's `--leader-elect-*` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionConfig {
    /// Who this candidate is (`holderIdentity`): unique per process.
    pub identity: String,
    /// The Lease's namespace.
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// `--leader-elect-lease-duration`: how long the others wait after the last renewal.
    pub lease_duration: Duration,
    /// `--leader-elect-renew-deadline`: how long a leader keeps trying to renew before it
    /// gives up leadership.
    pub renew_deadline: Duration,
    /// `--leader-elect-retry-period`: the pause between two attempts.
    pub retry_period: Duration,
}

impl ElectionConfig {
    /// Upstream's defaults (15 s, 10 s, 2 s) for the controller-manager's Lease, as
    /// `identity`.
    pub fn new(identity: impl Into<String>) -> Self {
        ElectionConfig {
            identity: identity.into(),
            namespace: LEASE_NAMESPACE.to_owned(),
            name: LEASE_NAME.to_owned(),
            lease_duration: decide::DEFAULT_LEASE_DURATION,
            renew_deadline: decide::DEFAULT_RENEW_DEADLINE,
            retry_period: decide::DEFAULT_RETRY_PERIOD,
        }
    }
}

/// An identity unique to this process, as upstream makes one: the host name, `_`, and a
/// random-enough suffix (the process id and the time).
pub fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    format!("{host}_{:x}{nanos:08x}", std::process::id())
}

/// One candidate: the Lease it competes for and what it saw of it.
pub struct LeaderElector {
    api: Api<Lease>,
    config: ElectionConfig,
    clock: Arc<dyn Clock>,
    observed: Option<Observed>,
    /// The leader the last attempt saw, to log changes only.
    last_leader: Option<String>,
}

impl std::fmt::Debug for LeaderElector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LeaderElector {
    /// A candidate for `config`'s Lease.
    pub fn new(client: Client, config: ElectionConfig, clock: Arc<dyn Clock>) -> Self {
        LeaderElector {
            api: Api::namespaced(client, &config.namespace),
            config,
            clock,
            observed: None,
            last_leader: None,
        }
    }

    /// One attempt: read the Lease, decide, write. `Ok(true)` when we hold it afterwards;
    /// `Ok(false)` when someone else does or another candidate's write won (409).
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let now = self.clock.now();
        let wall = self.clock.wall();
        let lease = self.api.get_opt(&self.config.name).await?;
        if let Some(spec) = lease.as_ref().and_then(|lease| lease.spec.as_ref()) {
            self.observed = Some(observe(self.observed.as_ref(), spec, now));
        }
        let attempt = try_acquire_or_renew(
            lease.as_ref().and_then(|lease| lease.spec.as_ref()),
            self.observed.as_ref(),
            &self.config.identity,
            self.config.lease_duration,
            now,
            wall,
        );
        let written = match attempt {
            Attempt::Wait { holder } => {
                if self.last_leader.as_ref() != Some(&holder) {
                    tracing::info!(leader = %holder, "new leader elected");
                    self.last_leader = Some(holder);
                }
                return Ok(false);
            }
            Attempt::Create(spec) => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.config.name.clone()),
                        namespace: Some(self.config.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(spec),
                };
                self.api.create(&PostParams::default(), &lease).await
            }
            Attempt::Update(spec) => {
                // `lease` carries the resourceVersion we read: the update is conditional.
                let mut lease = lease.unwrap_or_default();
                lease.spec = Some(spec);
                self.api
                    .replace(&self.config.name, &PostParams::default(), &lease)
                    .await
            }
        };
        match written {
            Ok(lease) => {
                if let Some(spec) = &lease.spec {
                    self.observed = Some(Observed {
                        spec: spec.clone(),
                        at: now,
                    });
                }
                if self.last_leader.as_ref() != Some(&self.config.identity) {
                    tracing::info!(lease = %format!("{}/{}", self.config.namespace, self.config.name),
                        identity = %self.config.identity, "successfully acquired lease");
                    self.last_leader = Some(self.config.identity.clone());
                }
                Ok(true)
            }
            // Another candidate wrote first (409 Conflict or AlreadyExists): not us this time.
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Tries every retry period until it leads (`true`) or `shutdown` completes (`false`).
    pub async fn acquire(
        &mut self,
        mut shutdown: Pin<&mut (impl Future<Output = ()> + ?Sized)>,
    ) -> bool {
        tracing::info!(lease = %format!("{}/{}", self.config.namespace, self.config.name),
            identity = %self.config.identity, "attempting to acquire the leader lease");
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => return true,
                Ok(false) => {}
                Err(error) => tracing::warn!("cannot read or write the leader lease: {error}"),
            }
            tokio::select! {
                () = shutdown.as_mut() => return false,
                () = tokio::time::sleep(self.config.retry_period) => {}
            }
        }
    }

    /// Renews every retry period while leading; returns once no renewal has succeeded for
    /// the renew deadline (leadership is lost: the caller stops acting at once).
    pub async fn renew_until_lost(&mut self) {
        let mut renewed = self.clock.now();
        loop {
            tokio::time::sleep(self.config.retry_period).await;
            // A request that hangs must not keep us "leading" past the deadline.
            match tokio::time::timeout(self.config.renew_deadline, self.try_acquire_or_renew())
                .await
            {
                Ok(Ok(true)) => renewed = self.clock.now(),
                Ok(Ok(false)) => {}
                Ok(Err(error)) => tracing::warn!("cannot renew the leader lease: {error}"),
                Err(_) => tracing::warn!("renewing the leader lease timed out"),
            }
            if self.clock.now().saturating_duration_since(renewed) > self.config.renew_deadline {
                tracing::error!(identity = %self.config.identity, "leader election lost: no renewal within the renew deadline");
                return;
            }
        }
    }

    /// Steps down cleanly: if we still hold the Lease, write it released so another
    /// candidate takes over at its next attempt. Errors are only logged: the Lease then
    /// expires by itself.
    pub async fn release(&mut self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_ref() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        lease.spec = Some(released(spec, self.clock.wall()));
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => tracing::info!(identity = %self.config.identity, "released the leader lease"),
            Err(error) => tracing::warn!("cannot release the leader lease: {error}"),
        }
    }
}
