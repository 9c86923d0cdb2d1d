//! Tests of `start` and `restore` on a synthetic repository.

use super::*;
use crate::fixture::{self, commit_all, read, write};

const LIB: &str = "labs/09-fixture/src/lib.rs";

#[test]
fn start_strips_every_region_and_restore_brings_them_back() {
    let repo = fixture::repository();
    let root = repo.path();
    start(root, "lab-09").unwrap();
    let stripped = read(root, LIB);
    assert!(stripped.contains("todo!(\"lab-09 step 1: add the two numbers\")"));
    assert!(stripped.contains("// TODO(lab-09 step 2): double the number"));
    assert!(!stripped.contains("a + b"));

    // The learner commits their start; restore still finds the reference in history.
    commit_all(root, "started lab-09");
    restore(root, "9", false).unwrap();
    assert_eq!(read(root, LIB), fixture::LIB_RS);
}

#[test]
fn start_refuses_a_lab_with_uncommitted_changes() {
    let repo = fixture::repository();
    let root = repo.path();
    write(root, LIB, "//! edited\n");
    let error = start(root, "lab-09").unwrap_err().to_string();
    assert!(error.contains("lab-09 has uncommitted changes"), "{error}");
    assert!(error.contains("git stash"), "{error}");
    assert_eq!(read(root, LIB), "//! edited\n", "nothing may be touched");
}

#[test]
fn restore_refuses_to_overwrite_work_unless_forced() {
    let repo = fixture::repository();
    let root = repo.path();
    start(root, "lab-09").unwrap();
    let error = restore(root, "lab-09", false).unwrap_err().to_string();
    assert!(error.contains("--force"), "{error}");
    restore(root, "lab-09", true).unwrap();
    assert_eq!(read(root, LIB), fixture::LIB_RS);
}

#[test]
fn unknown_labs_and_student_repositories_get_clear_errors() {
    let repo = fixture::repository();
    let root = repo.path();
    let error = start(root, "lab-42").unwrap_err().to_string();
    assert_eq!(error, "unknown lab `lab-42`; the labs are: lab-09");
    write(root, STUDENT_MARKER, "student\n");
    let error = restore(root, "lab-09", true).unwrap_err().to_string();
    assert!(
        error.contains("not part of this student repository"),
        "{error}"
    );
}
