//! Tests of `export-student` on a synthetic repository (without the cargo check).

use super::*;
use crate::fixture::{self, read};

#[test]
fn export_strips_everything_and_keeps_no_history() {
    let repo = fixture::repository();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("student");
    export(repo.path(), &dest, false).unwrap();

    let lib = read(&dest, "labs/09-fixture/src/lib.rs");
    assert!(
        !lib.contains(strip::BEGIN) && !lib.contains("a + b"),
        "{lib}"
    );
    assert!(lib.contains("todo!(\"lab-09 step 2: double the number\")"));
    assert!(dest.join(STUDENT_MARKER).is_file());
    assert!(!dest.join(".ci").exists(), "the reference CI is left out");
    let log = git::git(&dest, &["log", "--oneline"]).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
    let history = git::git(&dest, &["log", "-p"]).unwrap();
    assert!(
        !history.contains("a + b") && !history.contains("a * 2"),
        "no solution in the history: {history}"
    );
}

#[test]
fn export_refuses_a_non_empty_directory() {
    let repo = fixture::repository();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("x"), "").unwrap();
    let error = export(repo.path(), out.path(), false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not empty"), "{error}");
}
