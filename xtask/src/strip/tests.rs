//! Tests of the generator on small sources.

use super::*;

const SOURCE: &str = "\
fn keep() -> u32 {
    1
}

// ANCHOR: add
fn add(a: u32, b: u32) -> u32 {
    // BEGIN SOLUTION step-1: add the two numbers
    a + b
    // END SOLUTION
}
// ANCHOR_END: add

fn describe() -> String {
    // BEGIN SOLUTION step-2: say \"hi\" in {braces}
    let greeting = \"hi\";
    format!(\"{greeting}\")
    // END SOLUTION
}
";

#[test]
fn strips_every_region_keeping_signatures_and_anchors() {
    let (text, regions) = strip(SOURCE, "lab-09", Only::All).unwrap();
    assert_eq!(regions.len(), 2);
    assert_eq!(
        text,
        "\
fn keep() -> u32 {
    1
}

// ANCHOR: add
fn add(a: u32, b: u32) -> u32 {
    // TODO(lab-09 step 1): add the two numbers
    todo!(\"lab-09 step 1: add the two numbers\")
}
// ANCHOR_END: add

fn describe() -> String {
    // TODO(lab-09 step 2): say \"hi\" in {braces}
    todo!(\"lab-09 step 2: say \\\"hi\\\" in {{braces}}\")
}
"
    );
}

#[test]
fn strips_one_step_only() {
    let (text, regions) = strip(SOURCE, "lab-09", Only::Step(2)).unwrap();
    assert_eq!(regions.iter().map(|r| r.step).collect::<Vec<_>>(), [2]);
    assert!(text.contains("    a + b\n"));
    assert!(!text.contains("let greeting"));
}

#[test]
fn strips_one_region_by_its_line() {
    let (text, regions) = strip(SOURCE, "lab-09", Only::Line(14)).unwrap();
    assert_eq!(regions.len(), 1);
    assert!(text.contains("    a + b\n") && text.contains("todo!(\"lab-09 step 2"));
}

#[test]
fn scan_lists_regions_with_lines() {
    let regions = scan(SOURCE).unwrap();
    assert_eq!(
        regions,
        [
            Region {
                step: 1,
                task: "add the two numbers".into(),
                line: 7
            },
            Region {
                step: 2,
                task: "say \"hi\" in {braces}".into(),
                line: 14
            },
        ]
    );
}

#[test]
fn a_source_without_markers_is_unchanged() {
    let (text, regions) = strip("fn main() {}\n", "lab-09", Only::All).unwrap();
    assert_eq!((text.as_str(), regions.len()), ("fn main() {}\n", 0));
}

#[test]
fn malformed_markers_are_errors_with_lines() {
    let cases = [
        ("// END SOLUTION\n", 1, "without"),
        ("// BEGIN SOLUTION step-1: a\n", 1, "never closed"),
        (
            "// BEGIN SOLUTION step-1: a\n// BEGIN SOLUTION step-1: b\n",
            2,
            "inside",
        ),
        (
            "// BEGIN SOLUTION step-x: a\n// END SOLUTION\n",
            1,
            "expected",
        ),
        (
            "// BEGIN SOLUTION step-1:\n// END SOLUTION\n",
            1,
            "expected",
        ),
        (
            "// BEGIN SOLUTION step-1: a\n// ANCHOR: x\n// END SOLUTION\n",
            2,
            "ANCHOR",
        ),
    ];
    for (source, line, words) in cases {
        let error = scan(source).unwrap_err();
        assert_eq!(error.line, line, "{source:?}");
        assert!(error.message.contains(words), "{source:?}: {error}");
    }
}
