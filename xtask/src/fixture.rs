//! A tiny synthetic course repository for testing the commands that need git but no cargo.

use std::path::Path;

use tempfile::TempDir;

use crate::git::git;

/// The one source file of the fixture lab, with two steps.
pub(crate) const LIB_RS: &str = "\
//! A fixture lab.

/// Adds.
pub fn add(a: u32, b: u32) -> u32 {
    // BEGIN SOLUTION step-1: add the two numbers
    a + b
    // END SOLUTION
}

/// Doubles.
pub fn double(a: u32) -> u32 {
    // BEGIN SOLUTION step-2: double the number
    a * 2
    // END SOLUTION
}
";

const LAB_TOML: &str = "\
id = \"lab-09\"
title = \"A fixture lab\"
chapter = \"book/src/lab-09.md\"

[[step]]
number = 1
title = \"Adding\"
section = \"step-1-adding\"

[[step]]
number = 2
title = \"Doubling\"
section = \"step-2-doubling\"
";

const HINTS_TOML: &str = "\
[[step]]
number = 1
tiers = [\"look at the operators\", \"use the plus operator\"]
";

/// Makes a git repository with one committed lab, `lab-09`, at `labs/09-fixture`.
pub(crate) fn repository() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "labs/09-fixture/lab.toml", LAB_TOML);
    write(root, "labs/09-fixture/hints.toml", HINTS_TOML);
    write(root, "labs/09-fixture/src/lib.rs", LIB_RS);
    write(root, ".ci/run", "cargo xtask test\n");
    write(root, "README.md", "fixture\n");
    git(root, &["init", "--quiet", "--initial-branch=main"]).unwrap();
    commit_all(root, "reference");
    dir
}

pub(crate) fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub(crate) fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

pub(crate) fn commit_all(root: &Path, message: &str) {
    git(root, &["add", "--all"]).unwrap();
    git(
        root,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@localhost",
            "commit",
            "--quiet",
            "-m",
            message,
        ],
    )
    .unwrap();
}
