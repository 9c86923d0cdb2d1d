//! `cluster verify`: checks the cluster layer by layer, from the processes up to what the
//! controllers wrote, and for each failure names the component and the chapter to read.
//!
//! ```text
//! ok    kube-apiserver on k8smaster runs (pid 4242)
//! ok    the API server answers at 10.240.0.2:6443
//! FAIL  kube-scheduler on k8smaster is not running (log: .../k8smaster.kube-scheduler.log)
//!       read: book/src/lab-04-scheduler.md
//! ok    node k8snode1 is Ready, podCIDR 10.244.1.0/24
//! ```

use std::net::SocketAddr;

use super::ready::{get_json, node_ready};
use super::{API_PORT, Launcher, process};

/// One line of `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Whether the check passed.
    pub ok: bool,
    /// What was checked, and what was found.
    pub what: String,
    /// On a failure, the chapter that explains the component.
    pub read: Option<&'static str>,
}

/// The chapter of each component.
pub fn chapter_of(component: &str) -> &'static str {
    match component {
        "kube-apiserver" => "book/src/lab-02-apiserver.md",
        "etcd" => "book/src/lab-02-apiserver.md#step-1",
        "kube-controller-manager" => "book/src/lab-03-controllers.md",
        "kube-scheduler" => "book/src/lab-04-scheduler.md",
        "kubelet" => "book/src/lab-03-controllers.md#step-7",
        _ => "book/src/final-cluster.md",
    }
}

impl Launcher {
    /// Runs every check (see the module docs); an empty list means no cluster is up.
    pub fn verify(&self) -> Vec<Finding> {
        let nodes = self.recorded_nodes();
        let Some(master) = nodes.first() else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        // 1. The processes.
        let mut expected: Vec<(String, &str)> = super::COMPONENTS[..3]
            .iter()
            .map(|component| (master.clone(), *component))
            .collect();
        if self.pid_file(master, "etcd").exists() {
            expected.insert(0, (master.clone(), "etcd"));
        }
        expected.extend(nodes.iter().map(|node| (node.clone(), "kubelet")));
        for (node, component) in &expected {
            let recorded = process::read_pid_file(&self.pid_file(node, component));
            let finding = match recorded.filter(process::running) {
                Some(running) => Finding {
                    ok: true,
                    what: format!("{component} on {node} runs (pid {})", running.pid),
                    read: None,
                },
                None => Finding {
                    ok: false,
                    what: format!(
                        "{component} on {node} is not running (log: {})",
                        self.log_file(node, component).display()
                    ),
                    read: Some(chapter_of(component)),
                },
            };
            findings.push(finding);
        }
        // 2. The API server.
        let Some(api) = self.api_address() else {
            findings.push(Finding {
                ok: false,
                what: format!("no API server address in {}", self.kubeconfig().display()),
                read: Some(chapter_of("kube-apiserver")),
            });
            return findings;
        };
        let Some(list) = get_json(api, "/api/v1/nodes") else {
            findings.push(Finding {
                ok: false,
                what: format!("the API server does not answer at {api}"),
                read: Some(chapter_of("kube-apiserver")),
            });
            return findings;
        };
        findings.push(Finding {
            ok: true,
            what: format!("the API server answers at {api}"),
            read: None,
        });
        // 3. What the kubelets and the controller manager wrote about each node.
        let items = list["items"].as_array().cloned().unwrap_or_default();
        for name in &nodes {
            let node = items
                .iter()
                .find(|node| node["metadata"]["name"].as_str() == Some(name.as_str()));
            findings.push(match node {
                None => Finding {
                    ok: false,
                    what: format!(
                        "node {name} is not registered (its kubelet has not reached the API server)"
                    ),
                    read: Some(chapter_of("kubelet")),
                },
                Some(node) if !node_ready(node) => Finding {
                    ok: false,
                    what: format!("node {name} is not Ready (its kubelet stopped posting status?)"),
                    read: Some(chapter_of("kubelet")),
                },
                Some(node) => match node["spec"]["podCIDR"].as_str() {
                    Some(cidr) => Finding {
                        ok: true,
                        what: format!("node {name} is Ready, podCIDR {cidr}"),
                        read: None,
                    },
                    None => Finding {
                        ok: false,
                        what: format!(
                            "node {name} has no podCIDR (node IPAM in the controller manager)"
                        ),
                        read: Some("book/src/lab-03-controllers.md#step-5"),
                    },
                },
            });
        }
        findings
    }

    /// The API server's address, from the kubeconfig `up` wrote.
    fn api_address(&self) -> Option<SocketAddr> {
        let text = std::fs::read_to_string(self.kubeconfig()).ok()?;
        let server = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("server: http://"))?;
        server
            .trim_end_matches('/')
            .parse()
            .ok()
            .or_else(|| format!("{server}:{API_PORT}").parse().ok())
    }
}
