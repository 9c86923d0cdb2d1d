//! Step 6 tests of the checks themselves, against real servers on 127.0.0.1 and closed ports.

use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

use lab_01::probe::handlers::{
    USER_AGENT, check_exec, check_http, check_tcp, http_outcome, http_request,
};
use lab_01::probe::{
    Answer, ExecError, ExecRunner, Handler, HandlerProber, Outcome, ProbeKind, Prober,
};

use super::{closed_port, serve_once, spec};

const TIMEOUT: Duration = Duration::from_secs(5);

#[test]
fn step6_tcp_probe_succeeds_on_a_listening_port_and_fails_on_a_closed_one() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The kernel completes the handshake for a listening socket even before `accept`.
    let open = check_tcp("127.0.0.1", port, TIMEOUT);
    assert_eq!(open.outcome, Outcome::Success, "{open:?}");
    drop(listener);

    let closed = check_tcp("127.0.0.1", closed_port(), TIMEOUT);
    assert_eq!(closed.outcome, Outcome::Failure);
    assert!(closed.detail.contains("refused"), "{closed:?}");
}

#[test]
fn step6_tcp_probe_tries_each_address_of_a_name() {
    // `localhost` comes from /etc/hosts (no DNS traffic) and may list ::1 before 127.0.0.1.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = check_tcp("localhost", port, TIMEOUT);
    assert_eq!(answer.outcome, Outcome::Success, "{answer:?}");
}

#[test]
fn step6_http_status_200_to_399_is_success_anything_else_failure() {
    let outcome = |line: &str| http_outcome(line).outcome;
    for success in [
        "HTTP/1.1 200 OK",
        "HTTP/1.1 204 No Content",
        "HTTP/1.0 301 Moved Permanently",
        "HTTP/1.1 302 Found",
        "HTTP/1.1 399 Whatever",
        "HTTP/1.1 200",
    ] {
        assert_eq!(outcome(success), Outcome::Success, "{success}");
    }
    for failure in [
        "HTTP/1.1 199 Early",
        "HTTP/1.1 400 Bad Request",
        "HTTP/1.1 404 Not Found",
        "HTTP/1.1 500 Internal Server Error",
        "HTTP/1.1 503 Service Unavailable",
        "",
        "garbage",
        "HTTP/1.1 2000 OK",
        "HTTP/1.1 0200 OK",
        "HTTP/1.1 abc OK",
        "SSH-2.0-OpenSSH_9.6",
    ] {
        assert_eq!(outcome(failure), Outcome::Failure, "{failure:?}");
    }
    assert_eq!(
        http_outcome("HTTP/1.1 500 Internal Server Error").detail,
        "HTTP probe failed with statuscode: 500"
    );
}

#[test]
fn step6_http_probe_against_servers_answering_200_302_and_500() {
    let cases = [
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Outcome::Success,
        ),
        // A redirect is not followed, and counts as success.
        (
            "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\n\r\n",
            Outcome::Success,
        ),
        (
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            Outcome::Failure,
        ),
    ];
    for (response, expected) in cases {
        let (port, server) = serve_once(Some(response));
        let answer = check_http("127.0.0.1", port, "/healthz", &[], TIMEOUT);
        server.join().unwrap();
        assert_eq!(answer.outcome, expected, "{response:?}: {answer:?}");
    }
}

#[test]
fn step6_http_probe_sends_host_user_agent_and_the_spec_headers() {
    let (port, server) = serve_once(Some("HTTP/1.1 200 OK\r\n\r\n"));
    let headers = vec![("X-Probe".to_owned(), "liveness".to_owned())];
    let answer = check_http("127.0.0.1", port, "/healthz", &headers, TIMEOUT);
    assert_eq!(answer.outcome, Outcome::Success);
    let request = server.join().unwrap();
    assert_eq!(
        request,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {USER_AGENT}\r\n\
             Accept: */*\r\nX-Probe: liveness\r\nConnection: close\r\n\r\n"
        )
    );
    assert_eq!(USER_AGENT, "kube-probe/1.33");

    // The spec's own Host, User-Agent and an empty Accept replace the defaults.
    let custom = [
        ("Host", "web.local"),
        ("User-Agent", "mine"),
        ("Accept", ""),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    assert_eq!(
        http_request("10.0.0.1", 80, "/", &custom),
        "GET / HTTP/1.1\r\nHost: web.local\r\nUser-Agent: mine\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn step6_http_probe_fails_when_no_answer_comes_within_the_timeout() {
    let (port, server) = serve_once(None);
    let timeout = Duration::from_millis(300);
    let answer = check_http("127.0.0.1", port, "/", &[], timeout);
    assert_eq!(answer.outcome, Outcome::Failure);
    assert!(
        answer.detail.contains("no answer within 300ms"),
        "{answer:?}"
    );
    // The prober hung up at its timeout, which ends the silent server.
    server.join().unwrap();
}

#[test]
fn step6_http_probe_fails_on_a_closed_port() {
    let answer = check_http("127.0.0.1", closed_port(), "/", &[], TIMEOUT);
    assert_eq!(answer.outcome, Outcome::Failure);
    assert!(answer.detail.contains("refused"), "{answer:?}");
}

/// An exec runner that answers from a table and remembers what it was asked.
struct FakeRunner {
    answer: fn(&[String]) -> Result<i32, ExecError>,
    calls: Mutex<Vec<(Vec<String>, Duration)>>,
}

impl ExecRunner for FakeRunner {
    fn exec(&self, command: &[String], timeout: Duration) -> Result<i32, ExecError> {
        self.calls.lock().unwrap().push((command.to_vec(), timeout));
        (self.answer)(command)
    }
}

#[test]
fn step6_exec_probe_succeeds_iff_the_command_exits_with_code_zero() {
    let runner = FakeRunner {
        answer: |command| match command[0].as_str() {
            "ok" => Ok(0),
            "sick" => Ok(1),
            "killed" => Ok(137),
            "slow" => Err(ExecError::TimedOut(Duration::from_secs(1))),
            _ => Err(ExecError::Runtime("no such container".into())),
        },
        calls: Mutex::new(Vec::new()),
    };
    let check = |program: &str| {
        check_exec(
            &runner,
            &[program.to_owned(), "arg".to_owned()],
            Duration::from_secs(1),
        )
    };
    assert_eq!(check("ok"), Answer::success("exit code 0"));
    assert_eq!(check("sick"), Answer::failure("command exited with code 1"));
    assert_eq!(check("killed").outcome, Outcome::Failure);
    assert_eq!(
        check("slow"),
        Answer::failure("probe command timed out after 1s")
    );
    assert_eq!(check("gone").outcome, Outcome::Failure);
    // The runner got the command and the probe's timeout as they were.
    let calls = runner.calls.lock().unwrap();
    assert_eq!(
        calls[0],
        (vec!["ok".into(), "arg".into()], Duration::from_secs(1))
    );
}

#[test]
fn step6_handler_prober_runs_the_check_its_spec_names() {
    let prober = HandlerProber::new(FakeRunner {
        answer: |_| Ok(0),
        calls: Mutex::new(Vec::new()),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tcp = spec(Handler::TcpSocket {
        host: "127.0.0.1".into(),
        port,
    });
    assert_eq!(
        prober.check(ProbeKind::Liveness, &tcp).outcome,
        Outcome::Success
    );
    let exec = spec(Handler::Exec {
        command: vec!["cat".into(), "/tmp/healthy".into()],
    });
    assert_eq!(
        prober.check(ProbeKind::Liveness, &exec).outcome,
        Outcome::Success
    );
}
