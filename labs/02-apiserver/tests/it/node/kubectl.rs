//! Step 7 with the real kubectl 1.33 (WebSocket exec) and 1.29 (SPDY only): `logs`, `logs -f`
//! and `exec` through the server to the stub kubelet.
//!
//! kubectl resolves `web` to the `pods` resource through discovery (step 5), so where the
//! server does not serve `/api` yet this test says "not run: needs discovery".

use labkit::{Kubectl, KubectlOutput, NotRun};

use super::{Cluster, NODE};

/// Runs kubectl `1.<minor>` with `args` and `kubeconfig`, off the async runtime.
async fn kubectl(kubeconfig: &std::path::Path, minor: u32, args: &[&str]) -> KubectlOutput {
    let kubeconfig = kubeconfig.to_path_buf();
    let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Kubectl::version(minor)
            .expect("checked before")
            .kubeconfig(kubeconfig)
            .run(&args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step7_real_kubectl_logs_and_exec_through_the_server() {
    labkit::require!(Kubectl::version(33));
    labkit::require!(Kubectl::version(29));
    let mut cluster = Cluster::start().await;
    let (code, _, _) = cluster.get_text("/api").await;
    if code != 200 {
        NotRun::new("needs discovery (/api, served from step 5) for kubectl to find pods").report();
        return;
    }
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, lab_02::server::kubeconfig(cluster.addr)).unwrap();

    let logs = kubectl(&kubeconfig, 33, &["logs", "web", "--tail=2"]).await;
    assert!(logs.success, "{logs:?}");
    assert_eq!(logs.stdout, "app line 2\napp line 3\n");

    // The container writes two lines and stops: `logs -f` prints them and returns.
    let follow = cluster.stub.follow.take().unwrap();
    follow.send("first\n".into()).unwrap();
    follow.send("second\n".into()).unwrap();
    drop(follow);
    let followed = kubectl(&kubeconfig, 33, &["logs", "-f", "web"]).await;
    assert!(followed.success, "{followed:?}");
    assert_eq!(followed.stdout, "first\nsecond\n");

    let exec = kubectl(
        &kubeconfig,
        33,
        &["exec", "web", "--", "echo", "hello", "world"],
    )
    .await;
    assert!(exec.success, "{exec:?}");
    assert_eq!(exec.stdout, "hello world\n");

    let failed = kubectl(&kubeconfig, 33, &["exec", "web", "--", "false"]).await;
    assert_eq!(failed.code, Some(1), "{failed:?}");
    assert!(
        failed
            .stderr
            .contains("command terminated with exit code 1"),
        "{failed:?}"
    );

    // kubectl 1.29 speaks SPDY only (without its opt-in): the refusal says what to do.
    let spdy = kubectl(&kubeconfig, 29, &["exec", "web", "--", "echo", "hi"]).await;
    assert!(!spdy.success, "{spdy:?}");
    assert!(
        spdy.stderr
            .contains("KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true"),
        "{spdy:?}"
    );
}
