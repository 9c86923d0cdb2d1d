//! The generator: turns a reference solution into a learner's skeleton.
//!
//! Each lab is written once, as working code. The parts a learner writes are marked:
//!
//! ```text
//! fn apply_whiteout(..) -> Result<()> {
//!     // BEGIN SOLUTION step-1: delete the lower-layer path a whiteout names
//!     ...the reference code...
//!     // END SOLUTION
//! }
//! ```
//!
//! Stripping replaces everything from the BEGIN line to the END line with a `// TODO(..)`
//! comment and a `todo!("lab-01 step 1: ...")` call. The region is a whole function body, so the
//! signature stays and the crate still compiles; the graded tests then fail with a message that
//! names the step. This module is pure text in, text out, so it is tested without any files.

use std::fmt;

/// The words that open and close a solution region. Tools outside the crates look for these
/// exact words, so they never change.
pub(crate) const BEGIN: &str = "// BEGIN SOLUTION";
/// See [`BEGIN`].
pub(crate) const END: &str = "// END SOLUTION";

/// One marked region of a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    /// The step number, from `step-N`.
    pub(crate) step: u32,
    /// The one-line task the learner is given.
    pub(crate) task: String,
    /// 1-based line of the BEGIN marker.
    pub(crate) line: usize,
}

/// A marker that is malformed or misplaced, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkerError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for MarkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Lists the solution regions of a source file, checking that markers pair up.
pub(crate) fn scan(source: &str) -> Result<Vec<Region>, MarkerError> {
    Ok(parse(source)?
        .into_iter()
        .map(|(region, _, _)| region)
        .collect())
}

/// Which regions a strip replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Only {
    /// Every region: a learner's skeleton.
    All,
    /// The regions of one step.
    Step(u32),
    /// The one region whose BEGIN marker is on this 1-based line (check-labs proves each region
    /// is covered by a test).
    Line(usize),
}

impl Only {
    fn selects(self, region: &Region) -> bool {
        match self {
            Only::All => true,
            Only::Step(step) => region.step == step,
            Only::Line(line) => region.line == line,
        }
    }
}

/// Replaces the selected regions of `source` with `todo!`s. Returns the new text and the
/// regions that were replaced.
pub(crate) fn strip(
    source: &str,
    lab_id: &str,
    only: Only,
) -> Result<(String, Vec<Region>), MarkerError> {
    let regions = parse(source)?;
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let mut out = String::with_capacity(source.len());
    let mut replaced = Vec::new();
    let mut next_line = 0; // 0-based index of the next line to copy
    for (region, begin, end) in regions {
        if !only.selects(&region) {
            continue;
        }
        lines[next_line..begin]
            .iter()
            .for_each(|line| out.push_str(line));
        let indent: String = lines[begin]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let label = format!("{lab_id} step {}", region.step);
        out.push_str(&format!("{indent}// TODO({label}): {}\n", region.task));
        out.push_str(&format!(
            "{indent}todo!(\"{}\")\n",
            escape_for_todo(&format!("{label}: {}", region.task))
        ));
        next_line = end + 1;
        replaced.push(region);
    }
    lines[next_line..]
        .iter()
        .for_each(|line| out.push_str(line));
    Ok((out, replaced))
}

/// Parses all regions as (region, begin index, end index), 0-based line indices.
fn parse(source: &str) -> Result<Vec<(Region, usize, usize)>, MarkerError> {
    let mut regions = Vec::new();
    let mut open: Option<(Region, usize)> = None;
    for (index, raw) in source.lines().enumerate() {
        let line = raw.trim();
        let number = index + 1;
        let error = |message: String| MarkerError {
            line: number,
            message,
        };
        if let Some(rest) = line.strip_prefix(BEGIN) {
            if let Some((region, _)) = &open {
                return Err(error(format!(
                    "a solution region starts inside the one opened on line {}",
                    region.line
                )));
            }
            let region = parse_begin(rest, number).map_err(error)?;
            open = Some((region, index));
        } else if line.starts_with(END) {
            let Some((region, begin)) = open.take() else {
                return Err(error(format!("`{END}` without a `{BEGIN}` before it")));
            };
            regions.push((region, begin, index));
        } else if open.is_some() && (line.contains("ANCHOR:") || line.contains("ANCHOR_END:")) {
            // Stripping would delete the anchor and break the book's include in a student copy.
            return Err(error(
                "a book ANCHOR inside a solution region; put anchors around the function".into(),
            ));
        }
    }
    match open {
        Some((region, _)) => Err(MarkerError {
            line: region.line,
            message: format!("`{BEGIN}` is never closed by `{END}`"),
        }),
        None => Ok(regions),
    }
}

/// Parses what follows `// BEGIN SOLUTION`: ` step-N: task`.
fn parse_begin(rest: &str, line: usize) -> Result<Region, String> {
    let usage = || format!("expected `{BEGIN} step-N: <one-line task>`");
    let (step, task) = rest.trim().split_once(':').ok_or_else(usage)?;
    let step = step
        .trim()
        .strip_prefix("step-")
        .and_then(|number| number.parse::<u32>().ok())
        .filter(|number| *number > 0)
        .ok_or_else(usage)?;
    let task = task.trim();
    if task.is_empty() {
        return Err(usage());
    }
    Ok(Region {
        step,
        task: task.to_owned(),
        line,
    })
}

/// Makes `text` safe inside `todo!("...")`, which is a format string: quotes and backslashes
/// are escaped, and braces doubled so they are not read as format arguments.
fn escape_for_todo(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "{{")
        .replace('}', "}}")
}

#[cfg(test)]
mod tests;
