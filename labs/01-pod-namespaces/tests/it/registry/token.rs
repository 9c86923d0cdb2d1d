//! Step 1 tests of the bearer-token dance against a fake registry on 127.0.0.1 that answers as
//! Docker Hub does: 401 with a challenge, a token from its realm, then the real answer.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use lab_01::image::{Error, ImageRef, PullOptions, Store};

/// The token the fake token server hands out for `team/app` (the one its registry accepts).
const GOOD: &str = "good-token";

/// Starts the fake registry; returns its `host:port` and a channel of the request lines it saw.
fn fake_registry() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let (seen, requests) = mpsc::channel();
    let realm = format!("http://{host}/token");
    // Never joined: it ends with the test process (and serves nothing but this test).
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(line) = answer(stream, &realm) {
                let _ = seen.send(line);
            }
        }
    });
    (host, requests)
}

/// Answers one request (and closes the connection); returns its request line and token.
fn answer(stream: TcpStream, realm: &str) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut token = String::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        if header.trim().is_empty() {
            break;
        }
        // Header names are case-insensitive (hyper sends them in lowercase).
        let prefix = "authorization: bearer ";
        if header.to_ascii_lowercase().starts_with(prefix) {
            token = header[prefix.len()..].trim().to_owned();
        }
    }
    let path = request_line.split(' ').nth(1)?.to_owned();
    let scope = |repository: &str| format!("repository:{repository}:pull");
    let (status, extra, body) = if let Some(query) = path.strip_prefix("/token?") {
        // `team/app` gets a token the registry accepts; anything else one it does not.
        let token = if query.contains("team/app") {
            GOOD
        } else {
            "weak"
        };
        (
            "200 OK",
            String::new(),
            format!("{{\"token\":\"{token}\"}}"),
        )
    } else if token == GOOD {
        let unknown = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        ("404 Not Found", String::new(), unknown.to_owned())
    } else {
        let repository = path.trim_start_matches("/v2/").split("/manifests").next()?;
        let challenge = format!(
            "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"fake\",scope=\"{}\"\r\n",
            scope(repository)
        );
        let denied = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
        ("401 Unauthorized", challenge, denied.to_owned())
    };
    let mut stream = stream;
    let response = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).ok()?;
    Some(format!("{} token={token}", request_line.trim()))
}

#[test]
fn step1_pull_answers_a_bearer_challenge_with_an_anonymous_token() {
    let (host, requests) = fake_registry();
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path()).unwrap();
    let image = ImageRef::parse(&format!("{host}/team/app:1.0")).unwrap();
    let error = store
        .pull(&image, &PullOptions::default(), &mut |_| {})
        .unwrap_err();
    // The token was accepted: the answer is the registry's own, not "access denied".
    assert!(
        matches!(error, Error::Registry { status: 404, .. }),
        "{error}"
    );
    assert!(error.to_string().ends_with("manifest unknown"), "{error}");
    // The server reports a request after answering it: wait for each report.
    let seen: Vec<String> = (0..3)
        .map(|_| requests.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    assert_eq!(
        seen,
        [
            "GET /v2/team/app/manifests/1.0 HTTP/1.1 token=",
            "GET /token?service=fake&scope=repository:team/app:pull HTTP/1.1 token=",
            "GET /v2/team/app/manifests/1.0 HTTP/1.1 token=good-token",
        ]
    );
}

#[test]
fn step1_refused_token_is_pull_access_denied() {
    let (host, _requests) = fake_registry();
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path()).unwrap();
    let image = ImageRef::parse(&format!("{host}/team/private:1.0")).unwrap();
    let error = store
        .pull(&image, &PullOptions::default(), &mut |_| {})
        .unwrap_err();
    assert_eq!(error.kubelet_reason(), "ErrImagePull");
    assert_eq!(
        error.to_string(),
        format!(
            "failed to pull image {host}/team/private:1.0: pull access denied, repository does \
             not exist or may require authorization: server message: authentication required"
        )
    );
}
