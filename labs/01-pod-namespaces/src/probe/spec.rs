//! A probe as the runtime uses it: the `v1.Probe` of a Pod manifest, defaulted and validated.
//!
//! The API object is loose: every number is optional, a port may be a number or the name of one of
//! the container's ports, and three handler fields sit side by side although exactly one may be
//! set. [`ProbeSpec::from_probe`] turns it into a value with no optional parts left, doing what
//! the apiserver does before a Pod is stored (defaulting, then validation) and what the kubelet
//! does when it builds the request (resolving a named port, choosing the host):
//!
//! | field                 | default | rule                                        |
//! | --------------------- | ------- | ------------------------------------------- |
//! | `initialDelaySeconds` | 0       | not negative                                |
//! | `periodSeconds`       | 10      | not negative; 0 means the default           |
//! | `timeoutSeconds`      | 1       | not negative; 0 means the default           |
//! | `successThreshold`    | 1       | must be 1 for liveness and startup probes   |
//! | `failureThreshold`    | 3       | not negative; 0 means the default           |
//! | `httpGet.path`        | `/`     | no spaces or control characters             |
//! | `httpGet.host`, `tcpSocket.host` | the Pod's IP | for us `127.0.0.1`, in the Pod's network namespace |
//!
//! Errors are typed ([`SpecError`]) and their messages name the container, the field and the
//! fix, in the words the apiserver uses, so `lab-01 run` can print them as they are.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The host a probe connects to when its spec names none. On a real node that is the Pod's IP;
/// our Pods have no address of their own until lab 05, so the probe enters the Pod's network
/// namespace and connects to its loopback, which is the same socket a server bound to
/// `0.0.0.0` or `127.0.0.1` inside the Pod listens on.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Which of the three questions a probe asks. Each kind reacts differently to its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    /// "Has the application finished starting?" Holds the other two back until it says yes;
    /// failing `failureThreshold` times in a row gets the container killed.
    Startup,
    /// "Is the process still healthy?" Failing gets the container killed (and, by its
    /// `restartPolicy`, restarted).
    Liveness,
    /// "May it receive traffic now?" Only sets the container's `ready` flag; never kills.
    Readiness,
}

impl ProbeKind {
    /// All three kinds, in the order the kubelet considers them.
    pub const ALL: [ProbeKind; 3] = [
        ProbeKind::Startup,
        ProbeKind::Liveness,
        ProbeKind::Readiness,
    ];

    /// The field of `v1.Container` that holds this probe, for messages.
    pub fn field_name(self) -> &'static str {
        match self {
            ProbeKind::Startup => "startupProbe",
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
        }
    }
}

/// A probe with every default applied and every rule checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// How to ask the container.
    pub handler: Handler,
    /// Time after the container starts before the first probe.
    pub initial_delay: Duration,
    /// Time between two probes.
    pub period: Duration,
    /// Time a probe may take to answer; an answer later than this is a failure.
    pub timeout: Duration,
    /// Consecutive successes needed to turn a failed result into success.
    pub success_threshold: u32,
    /// Consecutive failures needed to turn a successful (or unknown) result into failure.
    pub failure_threshold: u32,
    /// The probe's own `terminationGracePeriodSeconds` (liveness and startup only): the grace
    /// the kill gets when this probe fails, instead of the Pod's. `None`: use the Pod's.
    pub termination_grace_period: Option<Duration>,
}

/// The three ways to ask a container whether it is well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    /// Run a command inside the container; exit code 0 means success.
    Exec {
        /// The program and its arguments, run without a shell.
        command: Vec<String>,
    },
    /// Send `GET path`; a status from 200 to 399 means success.
    HttpGet {
        /// Where to connect (and the `Host` header, unless `headers` sets one).
        host: String,
        /// The port number, named ports already resolved.
        port: u16,
        /// The request path, starting with `/`.
        path: String,
        /// Plain HTTP or TLS.
        scheme: Scheme,
        /// Extra request headers, in the spec's order.
        headers: Vec<(String, String)>,
    },
    /// Open a TCP connection; being accepted means success.
    TcpSocket {
        /// Where to connect.
        host: String,
        /// The port number, named ports already resolved.
        port: u16,
    },
}

/// `httpGet.scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP, the default and the only one this runtime speaks.
    Http,
}

/// The probes of one container, each already a [`ProbeSpec`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerProbes {
    /// `startupProbe`, if any.
    pub startup: Option<ProbeSpec>,
    /// `livenessProbe`, if any.
    pub liveness: Option<ProbeSpec>,
    /// `readinessProbe`, if any.
    pub readiness: Option<ProbeSpec>,
}

impl ContainerProbes {
    /// Reads and validates all three probes of `container`.
    pub fn from_container(container: &Container) -> Result<Self, SpecError> {
        let read = |kind, probe: &Option<Probe>| {
            probe
                .as_ref()
                .map(|probe| ProbeSpec::from_probe(kind, probe, container))
                .transpose()
        };
        Ok(Self {
            startup: read(ProbeKind::Startup, &container.startup_probe)?,
            liveness: read(ProbeKind::Liveness, &container.liveness_probe)?,
            readiness: read(ProbeKind::Readiness, &container.readiness_probe)?,
        })
    }

    /// The spec of one kind, if the container has that probe.
    pub fn get(&self, kind: ProbeKind) -> Option<&ProbeSpec> {
        match kind {
            ProbeKind::Startup => self.startup.as_ref(),
            ProbeKind::Liveness => self.liveness.as_ref(),
            ProbeKind::Readiness => self.readiness.as_ref(),
        }
    }
}

/// A probe that cannot be run, with the container and probe it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("container {container:?}: {probe}.{problem}", probe = .kind.field_name())]
pub struct SpecError {
    /// The container's name.
    pub container: String,
    /// Which of its probes.
    pub kind: ProbeKind,
    /// What is wrong; its message starts with the field inside the probe.
    pub problem: Problem,
}

/// What can be wrong with one probe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// None of exec, httpGet, tcpSocket (nor grpc) is set.
    #[error("handler: must specify a handler type: exec, httpGet or tcpSocket")]
    NoHandler,
    /// More than one handler is set.
    #[error("handler: may not specify more than 1 handler type (found {})", .0.join(", "))]
    SeveralHandlers(Vec<&'static str>),
    /// `grpc` is a real Kubernetes probe kind, but this runtime has no gRPC client.
    #[error(
        "grpc: gRPC probes are not supported by this runtime; use exec, httpGet or tcpSocket (e.g. tcpSocket on the same port)"
    )]
    GrpcNotSupported,
    /// A number field is negative.
    #[error(
        "{field}: must be greater than or equal to 0, got {value} (0 or unset means the default)"
    )]
    Negative {
        /// The field's name.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// `successThreshold` other than 1 on a liveness or startup probe.
    #[error(
        "successThreshold: must be 1 for liveness and startup probes, got {0} (one success is all they need)"
    )]
    SuccessThresholdNotOne(i32),
    /// `terminationGracePeriodSeconds` is zero or negative.
    #[error("terminationGracePeriodSeconds: must be greater than 0, got {0}")]
    GracePeriodNotPositive(i64),
    /// `terminationGracePeriodSeconds` on a readiness probe, which never kills.
    #[error("terminationGracePeriodSeconds: must not be set for readiness probes")]
    GracePeriodOnReadiness,
    /// `exec.command` is missing or empty.
    #[error("exec.command: required: give the program and its arguments")]
    EmptyCommand,
    /// A port number outside 1..=65535.
    #[error("{handler}.port: must be between 1 and 65535, inclusive, got {value}")]
    PortOutOfRange {
        /// `httpGet` or `tcpSocket`.
        handler: &'static str,
        /// The number found.
        value: i32,
    },
    /// A port name that none of the container's `ports` carries.
    #[error(
        "{handler}.port: the container has no port named {name:?} ({known}); add it to `ports` or use the number"
    )]
    UnknownPortName {
        /// `httpGet` or `tcpSocket`.
        handler: &'static str,
        /// The name asked for.
        name: String,
        /// The names the container has: `its named ports: a, b`, or `it names none`.
        known: String,
    },
    /// `httpGet.scheme: HTTPS`: valid Kubernetes, but this runtime has no TLS client.
    #[error(
        "httpGet.scheme: HTTPS is not supported by this runtime; use HTTP (or a tcpSocket probe on the TLS port)"
    )]
    HttpsNotSupported,
    /// `httpGet.scheme` that is not a scheme at all (the values are upper case).
    #[error("httpGet.scheme: must be HTTP or HTTPS, got {0:?}")]
    UnknownScheme(String),
    /// `httpGet.path` that would break the request line.
    #[error("httpGet.path: must not contain spaces or control characters, got {0:?}")]
    BadPath(String),
    /// A header name or value that would break (or smuggle into) the request.
    #[error(
        "httpGet.httpHeaders[{index}]: {reason}: header names are tokens (letters, digits, -), values have no line breaks"
    )]
    BadHeader {
        /// The header's position in the list.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl ProbeSpec {
    // ANCHOR: from_probe
    /// Defaults and validates `probe`, the `kind` probe of `container`.
    pub fn from_probe(
        kind: ProbeKind,
        probe: &Probe,
        container: &Container,
    ) -> Result<Self, SpecError> {
        let fail = |problem| SpecError {
            container: container.name.clone(),
            kind,
            problem,
        };
        let handler = handler(probe, container).map_err(fail)?;
        // Kubernetes treats 0 as "unset" for these four, so a manifest that writes
        // `periodSeconds: 0` gets the default, not a probe every 0 seconds.
        let seconds = |field, value: Option<i32>, default: u32| match value {
            None | Some(0) => Ok(default),
            Some(value) => u32::try_from(value).map_err(|_| Problem::Negative {
                field,
                value: value.into(),
            }),
        };
        let initial_delay = seconds("initialDelaySeconds", probe.initial_delay_seconds, 0);
        let period = seconds("periodSeconds", probe.period_seconds, 10);
        let timeout = seconds("timeoutSeconds", probe.timeout_seconds, 1);
        let success = seconds("successThreshold", probe.success_threshold, 1);
        let failure = seconds("failureThreshold", probe.failure_threshold, 3);
        let secs = |value: u32| Duration::from_secs(value.into());
        let spec = Self {
            handler,
            initial_delay: secs(initial_delay.map_err(fail)?),
            period: secs(period.map_err(fail)?),
            timeout: secs(timeout.map_err(fail)?),
            success_threshold: success.map_err(fail)?,
            failure_threshold: failure.map_err(fail)?,
            termination_grace_period: grace_period(kind, probe).map_err(fail)?,
        };
        // A liveness or startup probe acts on its first success (the container is alive, or has
        // started); asking for several would only delay that, so the apiserver refuses it.
        if kind != ProbeKind::Readiness && spec.success_threshold != 1 {
            let value = probe.success_threshold.unwrap_or_default();
            return Err(fail(Problem::SuccessThresholdNotOne(value)));
        }
        Ok(spec)
    }
    // ANCHOR_END: from_probe
}

/// Picks the one handler of `probe` and resolves its port and host.
fn handler(probe: &Probe, container: &Container) -> Result<Handler, Problem> {
    let mut set = Vec::new();
    for (name, present) in [
        ("exec", probe.exec.is_some()),
        ("httpGet", probe.http_get.is_some()),
        ("tcpSocket", probe.tcp_socket.is_some()),
        ("grpc", probe.grpc.is_some()),
    ] {
        if present {
            set.push(name);
        }
    }
    match set.as_slice() {
        [] => return Err(Problem::NoHandler),
        [_] => {}
        _ => return Err(Problem::SeveralHandlers(set)),
    }
    if let Some(exec) = &probe.exec {
        let command = exec.command.clone().unwrap_or_default();
        if command.is_empty() {
            return Err(Problem::EmptyCommand);
        }
        return Ok(Handler::Exec { command });
    }
    if let Some(tcp) = &probe.tcp_socket {
        return Ok(Handler::TcpSocket {
            host: host_or_default(tcp.host.as_deref()),
            port: resolve_port("tcpSocket", &tcp.port, container)?,
        });
    }
    if let Some(http) = &probe.http_get {
        let scheme = match http.scheme.as_deref() {
            None | Some("") | Some("HTTP") => Scheme::Http,
            Some("HTTPS") => return Err(Problem::HttpsNotSupported),
            Some(other) => return Err(Problem::UnknownScheme(other.to_owned())),
        };
        // Go's URL formatting, which the kubelet uses, adds the leading slash; so do we.
        let path = match http.path.as_deref() {
            None | Some("") => "/".to_owned(),
            Some(path) if path.starts_with('/') => path.to_owned(),
            Some(path) => format!("/{path}"),
        };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Problem::BadPath(path));
        }
        let mut headers = Vec::new();
        for (index, header) in http.http_headers.iter().flatten().enumerate() {
            check_header(&header.name, &header.value)
                .map_err(|reason| Problem::BadHeader { index, reason })?;
            headers.push((header.name.clone(), header.value.clone()));
        }
        return Ok(Handler::HttpGet {
            host: host_or_default(http.host.as_deref()),
            port: resolve_port("httpGet", &http.port, container)?,
            path,
            scheme,
            headers,
        });
    }
    Err(Problem::GrpcNotSupported)
}

/// The probe's host, or [`DEFAULT_HOST`] (the Pod's own address, for us its loopback).
fn host_or_default(host: Option<&str>) -> String {
    match host {
        None | Some("") => DEFAULT_HOST.to_owned(),
        Some(host) => host.to_owned(),
    }
}

/// A port number as given, or the `containerPort` of the container port with that name.
///
/// Naming ports lets a manifest say `port: liveness-port` in three probes and change the number
/// in one place, as the seed's startup-probe example does.
fn resolve_port(
    handler: &'static str,
    port: &IntOrString,
    container: &Container,
) -> Result<u16, Problem> {
    let number = match port {
        IntOrString::Int(number) => *number,
        IntOrString::String(name) => {
            let ports = container.ports.as_deref().unwrap_or_default();
            let found = ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name.as_str()));
            match found {
                Some(port) => port.container_port,
                None => {
                    let names: Vec<&str> = ports.iter().filter_map(|p| p.name.as_deref()).collect();
                    return Err(Problem::UnknownPortName {
                        handler,
                        name: name.clone(),
                        known: if names.is_empty() {
                            "it names none".to_owned()
                        } else {
                            format!("its named ports: {}", names.join(", "))
                        },
                    });
                }
            }
        }
    };
    match u16::try_from(number) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(Problem::PortOutOfRange {
            handler,
            value: number,
        }),
    }
}

/// The probe-level grace period: positive, and never on a readiness probe (which never kills).
fn grace_period(kind: ProbeKind, probe: &Probe) -> Result<Option<Duration>, Problem> {
    match probe.termination_grace_period_seconds {
        None => Ok(None),
        Some(_) if kind == ProbeKind::Readiness => Err(Problem::GracePeriodOnReadiness),
        Some(seconds) => match u64::try_from(seconds) {
            Ok(seconds) if seconds > 0 => Ok(Some(Duration::from_secs(seconds))),
            _ => Err(Problem::GracePeriodNotPositive(seconds)),
        },
    }
}

/// Refuses header names that are not HTTP tokens and values with line breaks: written into the
/// request as they are, a `\r\n` in either would let a manifest add headers or a second request.
fn check_header(name: &str, value: &str) -> Result<(), &'static str> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err("invalid header name");
    }
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err("invalid header value");
    }
    Ok(())
}
