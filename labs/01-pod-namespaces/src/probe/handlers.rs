//! The three checks a probe can make: a TCP connection, an HTTP GET, a command.
//!
//! Each check returns an [`Answer`]: success or failure, and a line saying why. There is no
//! third "error" answer: a refused connection, a timeout, a garbled reply and a crashed command
//! are all failures, because to the kubelet they all mean "this container did not show it is
//! well". Every check is bounded by the probe's `timeoutSeconds`; an answer that does not come
//! in time is a failure too.
//!
//! | handler     | success when                                   | what is sent                  |
//! | ----------- | ---------------------------------------------- | ----------------------------- |
//! | `tcpSocket` | the connection is accepted (then closed)       | a SYN, nothing else           |
//! | `httpGet`   | the status is 200..=399 (a redirect included)  | `GET path HTTP/1.1` + headers |
//! | `exec`      | the command exits with code 0                  | runs inside the container     |
//!
//! The checks connect to whatever network namespace the calling thread is in;
//! [`crate::probe::netns`] runs them in the Pod's.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::probe::exec::{ExecError, ExecRunner};
use crate::probe::worker::Outcome;

/// The `User-Agent` of an HTTP probe, as a v1.33 kubelet sends it: servers that log or route
/// on it (some answer health checks differently) see what they would see in a real cluster.
pub const USER_AGENT: &str = "kube-probe/1.33";

/// The longest status line we wait for. A real one is a few dozen bytes.
const MAX_STATUS_LINE: usize = 4096;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Success or failure.
    pub outcome: Outcome,
    /// Why, in one line: `HTTP 500`, `connection refused`, `exit code 1`, ...
    pub detail: String,
}

impl Answer {
    /// A successful answer.
    pub fn success(detail: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Success,
            detail: detail.into(),
        }
    }

    /// A failed answer.
    pub fn failure(detail: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Failure,
            detail: detail.into(),
        }
    }
}

// ANCHOR: check_tcp
/// `tcpSocket`: succeeds when a connection to `host:port` is accepted within `timeout`.
///
/// Nothing is sent: the connection is closed as soon as it is open. So it proves that something
/// listens on the port, not that it works.
pub fn check_tcp(host: &str, port: u16, timeout: Duration) -> Answer {
    // BEGIN SOLUTION step-6: connect to host:port within the timeout: success iff the connection is accepted, and say why not
    match connect(host, port, timeout) {
        // Dropping the stream closes it: the check is over once the handshake is.
        Ok(stream) => {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            Answer::success(format!("connected to {peer}"))
        }
        Err(error) if is_timeout(&error) => Answer::failure(format!(
            "dial tcp {host}:{port}: no connection within {timeout:?}"
        )),
        Err(error) => Answer::failure(format!("dial tcp {host}:{port}: {error}")),
    }
    // END SOLUTION
}
// ANCHOR_END: check_tcp

/// `httpGet`: sends `GET path` to `host:port` and judges the status line that comes back.
///
/// The whole exchange (connect, send, read the status line) shares one deadline, `timeout` from
/// now. Only the status line is read: the body does not change the verdict.
pub fn check_http(
    host: &str,
    port: u16,
    path: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Answer {
    let deadline = Instant::now() + timeout;
    let exchange = || -> io::Result<String> {
        let mut stream = connect(host, port, timeout)?;
        stream.set_write_timeout(Some(left(deadline)?))?;
        stream.write_all(http_request(host, port, path, headers).as_bytes())?;
        read_status_line(&mut stream, deadline)
    };
    match exchange() {
        Ok(status_line) => http_outcome(&status_line),
        Err(error) if is_timeout(&error) => Answer::failure(format!(
            "GET http://{host}:{port}{path}: no answer within {timeout:?}"
        )),
        Err(error) => Answer::failure(format!("GET http://{host}:{port}{path}: {error}")),
    }
}

// ANCHOR: http_outcome
/// Judges an HTTP status line (`HTTP/1.1 200 OK`): success iff the code is 200..=399.
///
/// Redirects (3xx) count as success without being followed: the server answered, and a probe
/// must not wander off to another host. Anything unparsable is a failure.
pub fn http_outcome(status_line: &str) -> Answer {
    // BEGIN SOLUTION step-6: parse the status line (HTTP/1.x CODE reason): success iff 200 <= CODE <= 399, anything malformed fails
    // "HTTP/1.1 302 Found": a version, a three-digit code, then a reason phrase we ignore.
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    let well_formed = version.starts_with("HTTP/")
        && code.len() == 3
        && code.bytes().all(|byte| byte.is_ascii_digit());
    let code = match code.parse::<u16>() {
        Ok(code) if well_formed => code,
        _ => return Answer::failure(format!("malformed HTTP status line {status_line:?}")),
    };
    if (200..=399).contains(&code) {
        Answer::success(format!("HTTP {code}"))
    } else {
        Answer::failure(format!("HTTP probe failed with statuscode: {code}"))
    }
    // END SOLUTION
}
// ANCHOR_END: http_outcome

// ANCHOR: http_request
/// The bytes of the request an HTTP probe sends.
///
/// Like the kubelet's: `Host` is `host:port` unless the spec's headers set one, `User-Agent`
/// and `Accept: */*` are added unless the spec sets them (an empty `Accept` removes it), and
/// `Connection: close` because a probe makes one request per connection.
pub fn http_request(host: &str, port: u16, path: &str, headers: &[(String, String)]) -> String {
    let named = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    // An IPv6 address needs brackets in a Host header, as in a URL.
    let default_host = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let mut request = format!("GET {path} HTTP/1.1\r\n");
    request += &format!("Host: {}\r\n", named("Host").unwrap_or(&default_host));
    if named("User-Agent").is_none() {
        request += &format!("User-Agent: {USER_AGENT}\r\n");
    }
    if named("Accept").is_none() {
        request += "Accept: */*\r\n";
    }
    for (name, value) in headers {
        let empty_accept = name.eq_ignore_ascii_case("Accept") && value.is_empty();
        if !name.eq_ignore_ascii_case("Host") && !empty_accept {
            request += &format!("{name}: {value}\r\n");
        }
    }
    request += "Connection: close\r\n\r\n";
    request
}
// ANCHOR_END: http_request

/// `exec`: runs `command` through `runner`; success iff it exits with code 0 within `timeout`.
pub fn check_exec(runner: &dyn ExecRunner, command: &[String], timeout: Duration) -> Answer {
    match runner.exec(command, timeout) {
        Ok(0) => Answer::success("exit code 0"),
        Ok(code) => Answer::failure(format!("command exited with code {code}")),
        Err(error @ ExecError::TimedOut(_)) => Answer::failure(error.to_string()),
        Err(error) => Answer::failure(format!("{error}: {}", source_text(&error))),
    }
}

/// The first cause of an error, as text (or empty).
fn source_text(error: &dyn std::error::Error) -> String {
    error.source().map(ToString::to_string).unwrap_or_default()
}

/// Opens a TCP connection to `host:port` within `timeout`.
///
/// An IP address is used as it is; a name goes through the system resolver (`/etc/hosts`
/// first), which our timeout does not bound, and each address it gives is tried in turn with
/// what is left of the time (`localhost` may be `::1` as well as `127.0.0.1`).
pub fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, left(deadline)?) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
    }))
}

/// Whether an IO error means "ran out of time". A socket read timeout shows up as `WouldBlock`
/// on Linux and as `TimedOut` elsewhere.
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// The time left until `deadline`, or a `TimedOut` error when there is none.
fn left(deadline: Instant) -> io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))
}

/// Reads up to the first line break, giving up at `deadline`. A server that closes the
/// connection first has sent a (maybe empty) line without a break, which is then judged.
fn read_status_line(stream: &mut TcpStream, deadline: Instant) -> io::Result<String> {
    let mut line = Vec::new();
    let mut buffer = [0_u8; 512];
    loop {
        // Each read may wait at most what is left of the probe's time, so a server that sends
        // one byte a second cannot stretch the probe past its timeout.
        stream.set_read_timeout(Some(left(deadline)?))?;
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        line.extend_from_slice(&buffer[..read]);
        if let Some(end) = line.iter().position(|&byte| byte == b'\n') {
            line.truncate(end);
            break;
        }
        if line.len() > MAX_STATUS_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "status line too long",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_owned())
}
