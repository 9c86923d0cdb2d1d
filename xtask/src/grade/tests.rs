//! Tests of the libtest output parser on output captured from real runs.

use std::collections::BTreeMap;

use super::*;

const OUTPUT: &str = "
running 4 tests
test image::tests::step1_unpacks_layers_in_order ... ok
test image::tests::step1_whiteouts_delete ... FAILED
test sandbox::step2_holds_the_net_namespace ... ok
test store::step3_needs_etcd ... ignored, needs etcd
test helpers_are_fine ... ok

failures:

---- image::tests::step1_whiteouts_delete stdout ----

thread 'image::tests::step1_whiteouts_delete' panicked at labs/01/src/image/unpack.rs:40:5:
not yet implemented: lab-01 step 1: apply whiteouts
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    image::tests::step1_whiteouts_delete

test result: FAILED. 3 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s
";

#[test]
fn maps_tests_to_steps_with_outcomes_and_messages() {
    let not_run = BTreeMap::from([(
        "sandbox__step2_holds_the_net_namespace".to_owned(),
        "needs root or user namespaces".to_owned(),
    )]);
    let run = parse_test_output(OUTPUT, &not_run);
    let outcomes = |step: u32| -> Vec<Outcome> {
        run.by_step[&step]
            .iter()
            .map(|result| result.outcome.clone())
            .collect()
    };
    assert_eq!(
        outcomes(1),
        [
            Outcome::Pass,
            Outcome::Fail("not yet implemented: lab-01 step 1: apply whiteouts".into())
        ]
    );
    assert_eq!(
        outcomes(2),
        [Outcome::NotRun("needs root or user namespaces".into())]
    );
    assert_eq!(outcomes(3), [Outcome::NotRun("needs etcd".into())]);
    assert_eq!(run.other.len(), 1);
    assert_eq!(run.other[0].outcome, Outcome::Pass);
}

#[test]
fn step_numbers_come_from_the_function_name_only() {
    assert_eq!(step_of("a::b::step12_does_things"), Some(12));
    assert_eq!(step_of("step1_x"), Some(1));
    assert_eq!(step_of("step1_"), None);
    assert_eq!(step_of("stepwise_thing"), None);
    assert_eq!(step_of("step1::helper"), None);
    assert_eq!(step_of("src/lib.rs - step1_x (line 3)"), None);
}

#[test]
fn compile_errors_are_summarized_from_the_first_error() {
    let stderr = "   Compiling lab-01\nwarning: unused\n\nerror[E0308]: mismatched types\n --> src/a.rs:1:1\n\nerror: could not compile\n";
    assert_eq!(
        first_compile_error(stderr),
        "error[E0308]: mismatched types\n --> src/a.rs:1:1"
    );
}
