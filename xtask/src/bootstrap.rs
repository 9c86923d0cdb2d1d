//! The bootstrapper: checks for the system parts the kit needs and installs what is missing.
//!
//! On a fresh machine only Rust, gcc, Python and git can be assumed. Everything else the course
//! uses for real (etcd, busybox-static, docker-registry, skopeo, nftables, protoc, mdbook) is
//! installed here: with apt when running as root, or by printing the exact command to run
//! otherwise.

use std::process::Command;

use anyhow::{Result, bail};

/// A system part and how to get it.
struct Part {
    /// The program whose presence shows the part is installed, or (when it starts with `/`) a
    /// file the package installs, for packages without a program.
    program: &'static str,
    /// The Debian package (for apt parts).
    package: Option<&'static str>,
    /// What uses it, shown when it is missing.
    used_by: &'static str,
}

const APT_PARTS: &[Part] = &[
    Part {
        program: "busybox",
        package: Some("busybox-static"),
        used_by: "lab-01's offline busybox image",
    },
    Part {
        program: "etcd",
        package: Some("etcd-server"),
        used_by: "lab-02's etcd store and the final cluster",
    },
    Part {
        program: "protoc",
        package: Some("protobuf-compiler"),
        used_by: "building etcd-client and tonic (lab-02, lab-07)",
    },
    Part {
        // etcd-client's build compiles etcd's .proto files, which import protobuf's own.
        program: "/usr/include/google/protobuf/descriptor.proto",
        package: Some("libprotobuf-dev"),
        used_by: "building etcd-client (lab-02)",
    },
    Part {
        program: "nft",
        package: Some("nftables"),
        used_by: "lab-05's Service proxy",
    },
    Part {
        program: "etcdctl",
        package: Some("etcd-client"),
        used_by: "the \"try it\" sections of lab-02 (looking inside etcd)",
    },
    Part {
        program: "ip",
        package: Some("iproute2"),
        used_by: "network namespaces in lab-05 and the final cluster",
    },
    Part {
        program: "docker-registry",
        package: Some("docker-registry"),
        used_by: "lab-01's pull tests (a local OCI registry on 127.0.0.1)",
    },
    Part {
        program: "skopeo",
        package: Some("skopeo"),
        used_by: "lab-01's pull tests (pushing the offline busybox into the local registry)",
    },
    Part {
        program: "unshare",
        package: Some("util-linux"),
        used_by: "probing for namespace support in privileged tests",
    },
];

/// mdbook, from crates.io, without the `serve` and `watch` features nobody needs in CI.
const MDBOOK_VERSION: &str = "0.5.4";

/// Checks every part and installs the missing ones. `strict` (set by `cargo xtask test`) makes a
/// part that could not be installed an error instead of a warning.
pub(crate) fn ensure_system_parts(strict: bool) -> Result<()> {
    ensure_packages(strict)?;
    ensure_mdbook()?;
    if !on_path("kubectl") {
        // kubectl is not in Debian; the course machines ship 1.27-1.33 side by side.
        eprintln!(
            "bootstrap: kubectl not found: needed from lab-02 on (install kubectl 1.27-1.33 \
             from the Kubernetes release packages)"
        );
    }
    Ok(())
}

/// Before grading: the packages the labs' tests use, best effort. A machine that cannot
/// install them still grades; the tests that need them report "not run: needs ...".
pub(crate) fn ensure_for_grading() {
    if let Err(error) = ensure_packages(false) {
        eprintln!("bootstrap: {error:#}; tests that need these will show as not run");
    }
}

/// Installs the missing Debian packages (as root), or says how to.
pub(crate) fn ensure_packages(strict: bool) -> Result<()> {
    let missing: Vec<&Part> = APT_PARTS
        .iter()
        .filter(|part| !is_installed(part))
        .collect();
    if !missing.is_empty() {
        let packages: Vec<&str> = missing.iter().filter_map(|part| part.package).collect();
        for part in &missing {
            eprintln!(
                "bootstrap: missing `{}` (needed by {})",
                part.program, part.used_by
            );
        }
        if is_root() && on_path("apt-get") {
            apt_install(&packages)?;
        } else {
            let command = format!("sudo apt-get install -y {}", packages.join(" "));
            if strict {
                bail!("missing system packages; install them with: {command}");
            }
            eprintln!("bootstrap: install them with: {command}");
        }
    }
    Ok(())
}

fn is_installed(part: &Part) -> bool {
    // Debian's non-static busybox also installs `busybox`, but an image needs the static one:
    // ask dpkg when there is one.
    if part.package == Some("busybox-static") && on_path("dpkg-query") {
        return Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", "busybox-static"])
            .output()
            .is_ok_and(|out| {
                String::from_utf8_lossy(&out.stdout).contains("install ok installed")
            });
    }
    if part.program.starts_with('/') {
        return std::path::Path::new(part.program).is_file();
    }
    on_path(part.program)
}

fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("bootstrap: apt-get install {}", packages.join(" "));
    run("apt-get", &["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run("apt-get", &args)
}

fn ensure_mdbook() -> Result<()> {
    let installed = Command::new("mdbook")
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(MDBOOK_VERSION));
    if installed {
        return Ok(());
    }
    eprintln!("bootstrap: installing mdbook {MDBOOK_VERSION} (cargo install, a few minutes once)");
    run(
        env!("CARGO"),
        &[
            "install",
            "mdbook",
            "--version",
            MDBOOK_VERSION,
            "--locked",
            "--no-default-features",
            "--features",
            "search",
        ],
    )
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    crate::process::run(
        Command::new(program)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

pub(crate) fn on_path(program: &str) -> bool {
    labkit::host_binary(program, "").is_ok()
}

/// Makes sure each `(program, Debian package)` is installed: with apt as root, else an error
/// with the command to run. For benchmarks, whose peers are not needed by the tests.
pub(crate) fn ensure_programs(parts: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if is_root() && on_path("apt-get") {
        return apt_install(&missing);
    }
    bail!(
        "missing programs; install them with: sudo apt-get install -y {}",
        missing.join(" ")
    )
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
