//! Book checks: every `{{#include}}` resolves to a file and an anchor, and every step's section
//! exists in its chapter. mdbook itself only warns about a missing anchor; the course treats
//! it as an error, because a chapter that silently lost its code has drifted from the crates.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::labs;

/// Checks the includes of every page under `book/src` and the lab step sections.
pub(crate) fn check(root: &Path) -> Result<usize> {
    let src = root.join("book/src");
    let mut problems = Vec::new();
    let mut includes = 0;
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry?;
        if entry.path().extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let page = std::fs::read_to_string(entry.path())?;
        let page_name = entry.path().strip_prefix(root)?.display().to_string();
        for (line_number, line) in page.lines().enumerate() {
            for target in include_targets(line) {
                includes += 1;
                let base = entry.path().parent().expect("a page is inside book/src");
                if let Err(problem) = check_include(base, target) {
                    problems.push(format!("{page_name}:{}: {problem}", line_number + 1));
                }
            }
        }
    }
    for lab in labs::load_all(root)? {
        let chapter = root.join(&lab.chapter);
        let Ok(text) = std::fs::read_to_string(&chapter) else {
            problems.push(format!(
                "{}: chapter {} does not exist",
                lab.id, lab.chapter
            ));
            continue;
        };
        let ids: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_prefix("#"))
            .map(|heading| heading_id(heading.trim_start_matches('#')))
            .collect();
        for step in &lab.steps {
            if !ids.contains(&step.section) {
                problems.push(format!(
                    "{}: step {} section `#{}` is not a heading of {}",
                    lab.id, step.number, step.section, lab.chapter
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "the book has drifted from the code:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(includes)
}

/// The `path[:anchor]` of each `{{#include ...}}` or `{{#rustdoc_include ...}}` on a line.
fn include_targets(line: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{#") {
        let escaped = rest[..start].ends_with('\\'); // `\{{#include}}` is shown, not run
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if escaped {
            rest = &after[end..];
            continue;
        }
        if let Some(target) = inner
            .strip_prefix("include ")
            .or_else(|| inner.strip_prefix("rustdoc_include "))
        {
            targets.push(target.trim());
        }
        rest = &after[end..];
    }
    targets
}

/// Checks that `target` (`path`, `path:anchor` or `path:from:to`) names an existing file and,
/// for a named anchor, that the file has `ANCHOR: name` and `ANCHOR_END: name`.
fn check_include(base: &Path, target: &str) -> Result<()> {
    let (path, selector) = match target.split_once(':') {
        Some((path, selector)) => (path, Some(selector)),
        None => (target, None),
    };
    let file = base.join(path);
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("included file {path} does not exist"))?;
    let Some(selector) = selector else {
        return Ok(());
    };
    let is_line_range = selector
        .split(':')
        .all(|part| part.is_empty() || part.parse::<usize>().is_ok());
    if is_line_range {
        return Ok(());
    }
    let has = |marker: &str| {
        text.lines()
            .any(|line| line.trim_end().ends_with(&format!("{marker}: {selector}")))
    };
    if !has("ANCHOR") || !has("ANCHOR_END") {
        bail!("anchor `{selector}` is missing in {path} (needs ANCHOR and ANCHOR_END lines)");
    }
    Ok(())
}

/// mdbook's heading id: an explicit `{#id}` at the end, or else the text lowercased, spaces
/// to `-`, only alphanumerics, `-` and `_` kept.
pub(crate) fn heading_id(heading: &str) -> String {
    let heading = heading.trim();
    if let Some(id) = heading
        .strip_suffix('}')
        .and_then(|rest| rest.rsplit_once("{#"))
        .map(|(_, id)| id)
    {
        return id.to_owned();
    }
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_ids_match_mdbook() {
        assert_eq!(heading_id(" Step 1: Images"), "step-1-images");
        assert_eq!(
            heading_id("Step 2: The sandbox (pause)"),
            "step-2-the-sandbox-pause"
        );
    }

    #[test]
    fn finds_include_targets() {
        assert_eq!(
            include_targets(
                "{{#include ../a.rs:x}} and {{#rustdoc_include b.rs}} {{#title t}} \\{{#include c}}"
            ),
            ["../a.rs:x", "b.rs"]
        );
    }

    #[test]
    fn a_missing_anchor_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.rs"),
            "// ANCHOR: x\nfn a() {}\n// ANCHOR_END: x\n",
        )
        .unwrap();
        assert!(check_include(dir.path(), "a.rs:x").is_ok());
        assert!(check_include(dir.path(), "a.rs:2:3").is_ok());
        let error = check_include(dir.path(), "a.rs:y").unwrap_err().to_string();
        assert!(error.contains("anchor `y` is missing"), "{error}");
        assert!(check_include(dir.path(), "b.rs").is_err());
    }
}
