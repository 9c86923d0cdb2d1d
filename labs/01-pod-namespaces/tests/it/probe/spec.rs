//! Step 6 tests of reading probes from a manifest: Kubernetes' defaults, named ports, and the
//! apiserver's validation rules, each refusal a one-line message naming the field.

use std::time::Duration;

use lab_01::probe::spec::{DEFAULT_HOST, Problem, Scheme};
use lab_01::probe::{ContainerProbes, Handler, ProbeKind, ProbeSpec};

use super::container;

/// The seed's slow-starting container: named port, startup probe with 30 x 10 s.
const SEED: &str = r#"
name: slow-app
image: busybox
ports:
- name: liveness-port
  containerPort: 8080
  hostPort: 8080
livenessProbe:
  httpGet:
    path: /healthz
    port: liveness-port
  failureThreshold: 1
  periodSeconds: 10
startupProbe:
  httpGet:
    path: /healthz
    port: liveness-port
  failureThreshold: 30
  periodSeconds: 10
"#;

#[test]
fn step6_probe_fields_default_as_in_kubernetes() {
    let probes = ContainerProbes::from_container(&container(
        r#"
name: web
readinessProbe:
  tcpSocket: {port: 80}
livenessProbe:
  httpGet: {port: 80}
  # Zero means "unset" for these four, as in Kubernetes.
  periodSeconds: 0
  timeoutSeconds: 0
  successThreshold: 0
  failureThreshold: 0
"#,
    ))
    .unwrap();
    let readiness = probes.readiness.unwrap();
    assert_eq!(
        readiness,
        ProbeSpec {
            handler: Handler::TcpSocket {
                host: DEFAULT_HOST.into(),
                port: 80
            },
            initial_delay: Duration::ZERO,
            period: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            success_threshold: 1,
            failure_threshold: 3,
            termination_grace_period: None,
        }
    );
    let liveness = probes.liveness.unwrap();
    assert_eq!(
        liveness.handler,
        Handler::HttpGet {
            host: "127.0.0.1".into(),
            port: 80,
            path: "/".into(),
            scheme: Scheme::Http,
            headers: vec![],
        }
    );
    assert_eq!(
        (
            liveness.period,
            liveness.timeout,
            liveness.success_threshold,
            liveness.failure_threshold
        ),
        (Duration::from_secs(10), Duration::from_secs(1), 1, 3)
    );
    assert_eq!(probes.startup, None);
}

#[test]
fn step6_named_ports_resolve_against_the_container_ports() {
    let probes = ContainerProbes::from_container(&container(SEED)).unwrap();
    let startup = probes.startup.unwrap();
    assert_eq!(
        startup.handler,
        Handler::HttpGet {
            host: "127.0.0.1".into(),
            port: 8080,
            path: "/healthz".into(),
            scheme: Scheme::Http,
            headers: vec![],
        }
    );
    assert_eq!(
        (startup.failure_threshold, startup.period),
        (30, Duration::from_secs(10))
    );
    assert_eq!(probes.liveness.unwrap().failure_threshold, 1);

    let error = ContainerProbes::from_container(&container(
        r#"
name: web
ports: [{name: http, containerPort: 80}, {containerPort: 9090}]
livenessProbe:
  tcpSocket: {port: metrics}
"#,
    ))
    .unwrap_err();
    assert_eq!(error.kind, ProbeKind::Liveness);
    assert_eq!(
        error.problem,
        Problem::UnknownPortName {
            handler: "tcpSocket",
            name: "metrics".into(),
            known: "its named ports: http".into()
        }
    );
}

#[test]
fn step6_liveness_and_startup_probes_need_a_success_threshold_of_one() {
    for kind in ["livenessProbe", "startupProbe"] {
        let yaml =
            format!("name: web\n{kind}:\n  tcpSocket: {{port: 80}}\n  successThreshold: 2\n");
        let error = ContainerProbes::from_container(&container(&yaml)).unwrap_err();
        assert_eq!(error.problem, Problem::SuccessThresholdNotOne(2), "{kind}");
    }
    // Readiness may ask for several successes in a row before it lets traffic back in.
    let probes = ContainerProbes::from_container(&container(
        "name: web\nreadinessProbe:\n  tcpSocket: {port: 80}\n  successThreshold: 3\n",
    ))
    .unwrap();
    assert_eq!(probes.readiness.unwrap().success_threshold, 3);
}

#[test]
fn step6_a_probe_has_exactly_one_handler_and_grpc_is_refused() {
    let problem = |probe: &str| {
        let yaml = format!("name: web\nlivenessProbe:\n{probe}");
        ContainerProbes::from_container(&container(&yaml))
            .unwrap_err()
            .problem
    };
    assert_eq!(problem("  periodSeconds: 5\n"), Problem::NoHandler);
    assert_eq!(
        problem("  tcpSocket: {port: 80}\n  exec: {command: ['true']}\n"),
        Problem::SeveralHandlers(vec!["exec", "tcpSocket"])
    );
    assert_eq!(problem("  grpc: {port: 9000}\n"), Problem::GrpcNotSupported);
}

#[test]
fn step6_invalid_probes_get_one_line_errors_naming_the_field() {
    let cases = [
        "livenessProbe: {tcpSocket: {port: 80}, periodSeconds: -5}",
        "livenessProbe: {tcpSocket: {port: 0}}",
        "livenessProbe: {tcpSocket: {port: 70000}}",
        "livenessProbe: {tcpSocket: {port: http}}",
        "livenessProbe: {exec: {command: []}}",
        "livenessProbe: {httpGet: {port: 80, scheme: HTTPS}}",
        "livenessProbe: {httpGet: {port: 80, scheme: http}}",
        "livenessProbe: {httpGet: {port: 80, path: '/a b'}}",
        "livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: 'X-A', value: \"1\\r\\nX-B: 2\"}]}}",
        "livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: 'X A', value: '1'}]}}",
        "livenessProbe: {tcpSocket: {port: 80}, terminationGracePeriodSeconds: 0}",
        "readinessProbe: {tcpSocket: {port: 80}, terminationGracePeriodSeconds: 5}",
        "startupProbe: {grpc: {port: 9000}}",
        "startupProbe: {tcpSocket: {port: 80}, successThreshold: 2}",
    ];
    let mut messages = String::new();
    for case in cases {
        let error = ContainerProbes::from_container(&container(&format!("name: web\n{case}")))
            .expect_err(case);
        let message = error.to_string();
        assert!(!message.contains('\n'), "one line: {message}");
        messages += &format!("{case}\n  -> {message}\n");
    }
    super::snapshot!(messages);
}

#[test]
fn step6_http_paths_and_headers_are_kept_for_the_request() {
    let probes = ContainerProbes::from_container(&container(
        r#"
name: web
readinessProbe:
  httpGet:
    host: localhost
    port: 8080
    path: ready
    httpHeaders: [{name: X-Probe, value: readiness}, {name: Host, value: web.local}]
"#,
    ))
    .unwrap();
    assert_eq!(
        probes.readiness.unwrap().handler,
        Handler::HttpGet {
            host: "localhost".into(),
            port: 8080,
            // Go's URL formatting, which the kubelet uses, adds the missing slash.
            path: "/ready".into(),
            scheme: Scheme::Http,
            headers: vec![
                ("X-Probe".into(), "readiness".into()),
                ("Host".into(), "web.local".into())
            ],
        }
    );
}
