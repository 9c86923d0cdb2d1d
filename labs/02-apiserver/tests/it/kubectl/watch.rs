//! `kubectl get -w`: a list, then a watch from the list's resourceVersion whose events are
//! one-row Tables, until `--request-timeout` ends it.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc;
use std::time::Duration;

use super::apply::seed;
use super::{assert_snapshots, per_version, redact};

#[test]
fn step5_kubectl_get_watch_prints_each_change_as_a_row() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        let args = ["get", "deploy", "-n", "lab", "-w", "--request-timeout=5s"];
        let (mut child, _home) = kubectl.spawn(&args);
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, received) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        // The header and the listed row come first; then the watch is open.
        let mut printed = Vec::new();
        for _ in 0..2 {
            let line = received
                .recv_timeout(Duration::from_secs(20))
                .expect("kubectl get -w printed the list");
            printed.push(line);
        }
        // A change after the list: one MODIFIED event, printed as a row. kubectl may not have
        // opened its watch yet, but it watches from the list's resourceVersion, so it sees it.
        let scaled = kubectl.run(&["scale", "deploy", "web", "-n", "lab", "--replicas=3"]);
        assert!(scaled.success, "{}", scaled.stderr);
        let line = received
            .recv_timeout(Duration::from_secs(20))
            .expect("kubectl get -w printed the change");
        printed.push(line);
        // --request-timeout ends the watch, and kubectl with it.
        let status = child.wait().expect("kubectl get -w exits");
        reader.join().expect("the reader ends with kubectl");
        printed.extend(received.try_iter());
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            pipe.read_to_string(&mut stderr).expect("stderr");
        }
        // How a watch ends at the client's timeout differs between versions; the rows do not.
        let _ = (status, stderr);
        redact(&format!(
            "$ kubectl {}\n{}\n",
            args.join(" "),
            printed.join("\n")
        ))
    }) else {
        return;
    };
    assert_snapshots("get_watch", &transcripts);
}
