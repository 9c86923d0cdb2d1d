//! The labs of the workspace, as their `lab.toml` files describe them.
//!
//! Each lab folder under `labs/` has a `lab.toml` (id, title, chapter, steps) and may have a
//! `hints.toml`. Everything the tooling knows about a lab comes from these files, so adding a step
//! means editing data, not xtask.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::strip::{self, Only, Region};

/// One lab crate and its metadata.
#[derive(Debug, Clone)]
pub(crate) struct Lab {
    /// `lab-01`: also the cargo package name.
    pub(crate) id: String,
    pub(crate) title: String,
    /// The chapter, relative to the workspace root (`book/src/lab-01-pod-runtime.md`).
    pub(crate) chapter: String,
    /// The lab's folder, relative to the workspace root (`labs/01-pod-namespaces`).
    pub(crate) dir: PathBuf,
    pub(crate) steps: Vec<Step>,
}

/// One exercise step of a lab.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub(crate) number: u32,
    pub(crate) title: String,
    /// The heading id of the step's section in the chapter (`step-1-images`).
    pub(crate) section: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabFile {
    id: String,
    title: String,
    chapter: String,
    #[serde(default, rename = "step")]
    steps: Vec<Step>,
}

impl Lab {
    /// Where a learner reads about `step`: `book/src/<chapter>.md#<section>`.
    pub(crate) fn section_of(&self, step: &Step) -> String {
        format!("{}#{}", self.chapter, step.section)
    }

    /// The step with this number, if the lab has it.
    pub(crate) fn step(&self, number: u32) -> Option<&Step> {
        self.steps.iter().find(|step| step.number == number)
    }

    /// The Rust sources of the lab, sorted (solution regions live in these).
    pub(crate) fn sources(&self, root: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root.join(&self.dir))
            .into_iter()
            .filter_entry(|entry| entry.file_name() != "target")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file())
            .map(walkdir::DirEntry::into_path)
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
        files.sort();
        files
    }

    /// Every solution region of the lab, with the file it is in (relative to `root`).
    pub(crate) fn regions(&self, root: &Path) -> Result<Vec<(PathBuf, Region)>> {
        let mut all = Vec::new();
        for file in self.sources(root) {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("failed to read {}", file.display()))?;
            let regions = strip::scan(&text)
                .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
            let relative = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
            all.extend(regions.into_iter().map(|region| (relative.clone(), region)));
        }
        Ok(all)
    }

    /// Strips the lab's selected regions in place under `root`; returns how many. With
    /// `in_file`, only that file (relative to `root`) is touched.
    pub(crate) fn strip_in_place(
        &self,
        root: &Path,
        only: Only,
        in_file: Option<&Path>,
    ) -> Result<usize> {
        let mut count = 0;
        for file in self.sources(root) {
            if in_file.is_some_and(|wanted| root.join(wanted) != file) {
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("failed to read {}", file.display()))?;
            let (stripped, regions) = strip::strip(&text, &self.id, only)
                .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
            if !regions.is_empty() {
                std::fs::write(&file, stripped)
                    .with_context(|| format!("failed to write {}", file.display()))?;
                count += regions.len();
            }
        }
        Ok(count)
    }
}

/// Reads every `labs/*/lab.toml` under `root`, sorted by id.
pub(crate) fn load_all(root: &Path) -> Result<Vec<Lab>> {
    let labs_dir = root.join("labs");
    let mut labs = Vec::new();
    let entries = std::fs::read_dir(&labs_dir)
        .with_context(|| format!("failed to list {}", labs_dir.display()))?;
    for entry in entries {
        let dir = entry?.path();
        let file = dir.join("lab.toml");
        if !file.is_file() {
            continue; // labkit and other support crates have no lab.toml
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("failed to read {}", file.display()))?;
        let parsed: LabFile =
            toml::from_str(&text).with_context(|| format!("invalid {}", file.display()))?;
        let relative = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
        labs.push(Lab {
            id: parsed.id,
            title: parsed.title,
            chapter: parsed.chapter,
            dir: relative,
            steps: parsed.steps,
        });
    }
    labs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(labs)
}

/// Finds a lab by what a learner might type: `lab-01`, `01`, `1` or `01-pod-namespaces`.
pub(crate) fn find<'a>(labs: &'a [Lab], name: &str) -> Result<&'a Lab> {
    let wanted = name
        .trim()
        .trim_start_matches("lab-")
        .trim_start_matches("labs/");
    let found = labs.iter().find(|lab| {
        let number = lab.id.trim_start_matches("lab-");
        let folder = lab.dir.file_name().and_then(|f| f.to_str()).unwrap_or("");
        wanted == number
            || wanted.trim_start_matches('0') == number.trim_start_matches('0')
            || wanted == folder
    });
    match found {
        Some(lab) => Ok(lab),
        None => bail!(
            "unknown lab `{name}`; the labs are: {}",
            labs.iter()
                .map(|lab| lab.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Parses a step argument (`1`, `step-1`, `step1`) and checks the lab has it.
pub(crate) fn find_step<'a>(lab: &'a Lab, step: &str) -> Result<&'a Step> {
    let number = step
        .trim()
        .trim_start_matches("step")
        .trim_start_matches('-')
        .parse::<u32>()
        .ok();
    match number.and_then(|number| lab.step(number)) {
        Some(found) => Ok(found),
        None if lab.steps.is_empty() => bail!("{} has no steps yet", lab.id),
        None => bail!(
            "unknown step `{step}` for {}; its steps are 1 to {}",
            lab.id,
            lab.steps.iter().map(|s| s.number).max().unwrap_or(0)
        ),
    }
}
