//! Step 1 tests of the `lab-01 images` command: the round trip, and one-line errors with exit
//! code 2 for bad input.

use std::path::Path;
use std::process::{Command, Output};

use lab_01::image::media::Compression;

use crate::support::{Layer, fixture_layout, listing};

/// Runs `lab-01 images <args>` with a clean environment for the store location.
fn lab01(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lab-01"))
        .arg("images")
        .args(args)
        .env_remove("KUBELAB_HOME")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Asserts a bad-input failure: exit code 2 and exactly one line on stderr, starting as given.
fn assert_bad_input(output: &Output, starts_with: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with(starts_with), "{stderr}");
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn step1_cli_imports_lists_and_unpacks() {
    let temp = tempfile::tempdir().unwrap();
    let layer = Layer::new().file("greeting", 0o644, "hello").finish();
    fixture_layout(&temp.path().join("layout"), &[layer], Compression::Gzip);
    let store = temp.path().join("store");

    let import = lab01(&[
        "import",
        path(&temp.path().join("layout")),
        "--name",
        "hello",
        "--store",
        path(&store),
    ]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    let list = lab01(&["list", "--store", path(&store)]);
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success());
    assert!(
        stdout
            .lines()
            .nth(1)
            .is_some_and(|line| line.starts_with("hello:latest ")),
        "{stdout}"
    );

    let rootfs = temp.path().join("rootfs");
    let unpack = lab01(&[
        "unpack",
        "hello:latest",
        path(&rootfs),
        "--store",
        path(&store),
    ]);
    assert!(
        unpack.status.success(),
        "{}",
        String::from_utf8_lossy(&unpack.stderr)
    );
    assert_eq!(listing(&rootfs), "greeting file 0644 size=5");
}

#[test]
fn step1_cli_unknown_image_exits_2_with_one_line() {
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    lab_01::image::Store::open_or_create(&store).unwrap();
    let output = lab01(&[
        "unpack",
        "nosuch",
        path(&temp.path().join("rootfs")),
        "--store",
        path(&store),
    ]);
    assert_bad_input(&output, "error: image nosuch:latest is not in the store");
    assert!(
        !temp.path().join("rootfs").exists(),
        "nothing is created for a failed unpack"
    );
}

#[test]
fn step1_cli_invalid_reference_exits_2_with_one_line() {
    let temp = tempfile::tempdir().unwrap();
    let output = lab01(&[
        "unpack",
        "Not/Valid",
        path(&temp.path().join("rootfs")),
        "--store",
        path(temp.path()),
    ]);
    assert_bad_input(&output, "error: invalid image reference `Not/Valid`");
}

#[test]
fn cli_missing_store_exits_2_with_what_to_do() {
    let temp = tempfile::tempdir().unwrap();
    let output = lab01(&["list", "--store", path(&temp.path().join("nowhere"))]);
    assert_bad_input(&output, "error: no image store at");
    assert!(String::from_utf8_lossy(&output.stderr).contains("lab-01 images build-busybox"));
}

#[test]
fn cli_import_of_a_plain_directory_exits_2() {
    let temp = tempfile::tempdir().unwrap();
    let output = lab01(&[
        "import",
        path(temp.path()),
        "--store",
        path(&temp.path().join("store")),
    ]);
    assert_bad_input(&output, "error: ");
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an OCI image layout"));
}
