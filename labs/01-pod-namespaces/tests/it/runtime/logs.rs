//! Step 7: `--tail` and `-f` over log files (pure, temporary files).

use std::fs::{self, OpenOptions};
use std::io::Write as _;

use lab_01::runtime::logs::{Follower, tail};

fn log_with(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0.log");
    fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn step7_tail_returns_the_last_lines() {
    let (_dir, path) = log_with("one\ntwo\nthree\n");
    assert_eq!(tail(&path, Some(2)).unwrap(), "two\nthree\n");
    assert_eq!(tail(&path, Some(1)).unwrap(), "three\n");
    assert_eq!(tail(&path, Some(3)).unwrap(), "one\ntwo\nthree\n");
    assert_eq!(
        tail(&path, Some(10)).unwrap(),
        "one\ntwo\nthree\n",
        "fewer lines than asked"
    );
    assert_eq!(tail(&path, Some(0)).unwrap(), "");
    assert_eq!(tail(&path, None).unwrap(), "one\ntwo\nthree\n");
}

#[test]
fn step7_tail_counts_an_unfinished_last_line() {
    let (_dir, path) = log_with("one\ntwo\nthr");
    assert_eq!(tail(&path, Some(1)).unwrap(), "thr");
    assert_eq!(tail(&path, Some(2)).unwrap(), "two\nthr");
}

#[test]
fn step7_tail_of_a_missing_or_empty_log_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(tail(&dir.path().join("none.log"), Some(5)).unwrap(), "");
    let (_dir, path) = log_with("");
    assert_eq!(tail(&path, Some(5)).unwrap(), "");
}

#[test]
fn step7_tail_reads_across_blocks_of_a_big_log() {
    // 20 000 numbered lines, ~190 KB: the last lines span more than one 8 KiB block.
    let text: String = (0..20_000).map(|n| format!("line {n}\n")).collect();
    let (_dir, path) = log_with(&text);
    let last: String = (18_000..20_000).map(|n| format!("line {n}\n")).collect();
    assert_eq!(tail(&path, Some(2_000)).unwrap(), last);
    assert_eq!(tail(&path, Some(20_000)).unwrap(), text);
    assert_eq!(tail(&path, Some(25_000)).unwrap(), text);
}

#[test]
fn step7_follow_returns_only_new_complete_lines() {
    let (_dir, path) = log_with("");
    let mut follower = Follower::new(&path);
    assert!(follower.poll_lines().unwrap().is_empty());
    let mut log = OpenOptions::new().append(true).open(&path).unwrap();
    write!(log, "first\nsec").unwrap();
    assert_eq!(follower.poll_lines().unwrap(), vec!["first"]);
    // Half a line stays back until its newline arrives: never cut in two.
    assert!(follower.poll_lines().unwrap().is_empty());
    write!(log, "ond\nthird\n").unwrap();
    assert_eq!(follower.poll_lines().unwrap(), vec!["second", "third"]);
    write!(log, "no newline").unwrap();
    assert!(follower.poll_lines().unwrap().is_empty());
    assert_eq!(follower.finish().as_deref(), Some("no newline"));
    assert_eq!(follower.finish(), None);
}

#[test]
fn step7_follow_waits_for_a_log_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.log");
    let mut follower = Follower::new(&path);
    assert!(follower.poll_lines().unwrap().is_empty());
    fs::write(&path, "hello\n").unwrap();
    assert_eq!(follower.poll_lines().unwrap(), vec!["hello"]);
}
