//! What the grader prints: a per-lab, per-step table, stable JSON, or JUnit XML.
//!
//! The JSON shape is a contract with classrooms that parse it (documented in
//! `book/src/course.md`): fields are only ever added, and `schema` changes if one ever must go.

use std::fmt::Write as _;

use serde::Serialize;

use crate::grade::{LabRun, Outcome, TestResult};
use crate::labs::Lab;

/// The JSON schema version.
const SCHEMA: u32 = 1;

/// A step's overall status: any failing test fails it; otherwise any test that did not run
/// makes it "not run"; a step with no tests yet is "no-tests".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Status {
    Pass,
    Fail,
    NotRun,
    NoTests,
}

/// One step of one lab, as reported.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepReport {
    pub(crate) step: u32,
    pub(crate) title: String,
    pub(crate) status: Status,
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) not_run: usize,
    pub(crate) tests: Vec<TestResult>,
    /// `book/src/<chapter>.md#<section>`.
    pub(crate) section: String,
    /// The command that prints the next hint.
    pub(crate) hint: String,
}

/// One lab, as reported.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LabReport {
    pub(crate) lab: String,
    pub(crate) title: String,
    pub(crate) chapter: String,
    /// Set when the lab did not compile.
    pub(crate) build_error: Option<String>,
    pub(crate) steps: Vec<StepReport>,
    /// Tests of the lab that belong to no step; a failure among them still fails the grade.
    pub(crate) other_tests: Vec<TestResult>,
}

/// The whole grade.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) schema: u32,
    pub(crate) labs: Vec<LabReport>,
    /// True when everything that ran passed.
    pub(crate) ok: bool,
}

impl Report {
    pub(crate) fn new(labs: Vec<LabReport>) -> Self {
        let ok = labs.iter().all(LabReport::ok);
        Self {
            schema: SCHEMA,
            labs,
            ok,
        }
    }
}

impl LabReport {
    /// Combines the lab's metadata with what its test run said.
    pub(crate) fn new(lab: &Lab, run: LabRun) -> Self {
        let LabRun {
            mut by_step,
            other,
            build_error,
        } = run;
        let steps = lab
            .steps
            .iter()
            .map(|step| {
                let tests = by_step.remove(&step.number).unwrap_or_default();
                let count = |wanted: fn(&Outcome) -> bool| {
                    tests.iter().filter(|test| wanted(&test.outcome)).count()
                };
                let passed = count(|o| matches!(o, Outcome::Pass));
                let failed = count(|o| matches!(o, Outcome::Fail(_)));
                let not_run = count(|o| matches!(o, Outcome::NotRun(_)));
                let status = if build_error.is_some() || failed > 0 {
                    Status::Fail
                } else if not_run > 0 {
                    Status::NotRun
                } else if passed > 0 {
                    Status::Pass
                } else {
                    Status::NoTests
                };
                StepReport {
                    step: step.number,
                    title: step.title.clone(),
                    status,
                    passed,
                    failed,
                    not_run,
                    tests,
                    section: lab.section_of(step),
                    hint: format!("cargo xtask hint {} {}", lab.id, step.number),
                }
            })
            .collect();
        // Tests named for a step the lab.toml does not list are still reported, not lost.
        let mut other_tests = other;
        other_tests.extend(by_step.into_values().flatten());
        Self {
            lab: lab.id.clone(),
            title: lab.title.clone(),
            chapter: lab.chapter.clone(),
            build_error,
            steps,
            other_tests,
        }
    }

    pub(crate) fn ok(&self) -> bool {
        self.build_error.is_none()
            && self.steps.iter().all(|step| step.status != Status::Fail)
            && self
                .other_tests
                .iter()
                .all(|test| !matches!(test.outcome, Outcome::Fail(_)))
    }
}

/// The table a learner reads.
pub(crate) fn table(report: &Report) -> String {
    let mut out = String::new();
    let mut advice = Vec::new();
    for lab in &report.labs {
        let _ = writeln!(out, "{}  {}", lab.lab, lab.title);
        if let Some(error) = &lab.build_error {
            let _ = writeln!(out, "  does not compile:\n{}", indent(error, "    "));
        }
        if lab.steps.is_empty() {
            let _ = writeln!(out, "  no steps yet (read {})", lab.chapter);
        }
        for step in &lab.steps {
            let total = step.passed + step.failed + step.not_run;
            let (status, detail) = match step.status {
                Status::Pass => ("pass", format!("{}/{total} tests", step.passed)),
                Status::Fail => ("FAIL", format!("{}/{total} tests", step.passed)),
                Status::NotRun => ("not run", format!("{}/{total} ran", step.passed)),
                Status::NoTests => ("-", "no tests yet".to_owned()),
            };
            let why = match step.status {
                Status::NotRun => format!("  (not run: {})", not_run_reason(step)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  step {:<2} {:<8} {:<13} {}{why}",
                step.step, status, detail, step.title
            );
            if step.status == Status::Fail && lab.build_error.is_none() {
                advice.push((lab, step));
            }
        }
        let failed_other: Vec<_> = lab
            .other_tests
            .iter()
            .filter(|test| matches!(test.outcome, Outcome::Fail(_)))
            .collect();
        if !failed_other.is_empty() {
            let _ = writeln!(out, "  other tests failing (not part of a step):");
            for test in failed_other {
                let _ = writeln!(out, "    {}", test.name);
            }
        }
    }
    for (lab, step) in advice.iter().take(3) {
        let _ = writeln!(out, "\n{} step {} fails:", lab.lab, step.step);
        let failing: Vec<(&str, &str)> = step
            .tests
            .iter()
            .filter_map(|test| match &test.outcome {
                Outcome::Fail(message) => Some((test.name.as_str(), message.as_str())),
                _ => None,
            })
            .collect();
        // A few failures say what is wrong; forty identical `todo!`s only bury the advice.
        for (name, message) in failing.iter().take(4) {
            let _ = writeln!(out, "  {name}");
            let _ = writeln!(out, "{}", indent(&shorten(message, 6), "      "));
        }
        if failing.len() > 4 {
            let _ = writeln!(out, "  ... and {} more failing tests", failing.len() - 4);
        }
        let _ = writeln!(out, "  read: {}", step.section);
        let _ = writeln!(out, "  hint: {}", step.hint);
    }
    let _ = writeln!(
        out,
        "\n{}",
        if report.ok {
            "everything that ran passed"
        } else {
            "some tests failed"
        }
    );
    out
}

/// JUnit XML for CI systems: one suite per lab, one case per test, classname `lab-01.step-1`.
pub(crate) fn junit(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for lab in &report.labs {
        let cases: Vec<(String, &TestResult)> = lab
            .steps
            .iter()
            .flat_map(|step| {
                step.tests
                    .iter()
                    .map(move |test| (format!("{}.step-{}", lab.lab, step.step), test))
            })
            .chain(lab.other_tests.iter().map(|test| (lab.lab.clone(), test)))
            .collect();
        let failures = cases
            .iter()
            .filter(|(_, t)| matches!(t.outcome, Outcome::Fail(_)))
            .count();
        let skipped = cases
            .iter()
            .filter(|(_, t)| matches!(t.outcome, Outcome::NotRun(_)))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            xml(&lab.lab),
            cases.len()
        );
        for (class, test) in cases {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&class),
                xml(&test.name)
            );
            match &test.outcome {
                Outcome::Pass => {
                    let _ = writeln!(out, "{open}/>");
                }
                Outcome::Fail(message) => {
                    let _ = writeln!(
                        out,
                        "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml(message.lines().next().unwrap_or("")),
                        xml(message)
                    );
                }
                Outcome::NotRun(reason) => {
                    let _ = writeln!(
                        out,
                        "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(reason)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The first reason a test of the step gave for not running.
fn not_run_reason(step: &StepReport) -> &str {
    step.tests
        .iter()
        .find_map(|test| match &test.outcome {
            Outcome::NotRun(reason) => Some(reason.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

fn shorten(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max_lines {
        return text.to_owned();
    }
    format!(
        "{}\n... ({} more lines: cargo test -p <lab> <test name>)",
        lines[..max_lines].join("\n"),
        lines.len() - max_lines
    )
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
