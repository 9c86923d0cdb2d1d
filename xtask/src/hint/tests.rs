//! Tests of the hint tiers and their remembered progress.

use super::*;
use crate::fixture;

#[test]
fn each_call_moves_to_the_next_tier_and_stays_on_the_last() {
    let repo = fixture::repository();
    let root = repo.path();
    let seen = || load_state(root).unwrap().seen.get("lab-09.step-1").copied();
    hint(root, "lab-09", "1", false, false).unwrap();
    assert_eq!(seen(), Some(1));
    hint(root, "lab-09", "step-1", false, false).unwrap();
    hint(root, "lab-09", "1", false, false).unwrap();
    assert_eq!(seen(), Some(2), "two tiers: the last one repeats");
    hint(root, "lab-09", "1", false, true).unwrap();
    assert_eq!(seen(), None);
}

#[test]
fn unknown_steps_and_missing_hints_are_errors() {
    let repo = fixture::repository();
    let root = repo.path();
    let error = hint(root, "lab-09", "7", false, false)
        .unwrap_err()
        .to_string();
    assert_eq!(error, "unknown step `7` for lab-09; its steps are 1 to 2");
    let error = hint(root, "lab-09", "2", false, false)
        .unwrap_err()
        .to_string();
    assert_eq!(error, "lab-09 has no hints for step 2 yet");
}
