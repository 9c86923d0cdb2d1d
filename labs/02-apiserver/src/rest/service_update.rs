//! Step 6 on update: a Service whose update needs new addresses gets them, and gives back the
//! ones it no longer uses.
//!
//! `kubectl patch svc web -p '{"spec":{"type":"NodePort"}}'` turns a ClusterIP Service into a
//! NodePort one: each port now needs a node port. Adding a port, or asking for another
//! `nodePort`, needs one too; going back to ClusterIP frees them, and so does removing a port.
//! A Service that becomes ExternalName frees its cluster IP, and one that stops being
//! ExternalName needs one.
//!
//! The change of an update is computed inside `guaranteed_update`'s closure, which cannot wait
//! for the allocators (they write to the store). So [`Reservations`] works in rounds: the
//! closure fills the new object from what is already reserved ([`Reservations::fill`]); when
//! that is not enough it records what is missing and refuses; the handler then reserves it
//! ([`Reservations::reserve`]) and runs the update again. After the write,
//! [`Reservations::settle`] gives back what went unused and what the old object held that the
//! new one does not, or, when the write failed, everything reserved.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::ApiState;
use super::services::{invalid_named, is_service, service_type};
use super::write::{Updated, guaranteed_update};
use crate::registry::Resource;
use crate::status::Status;

/// `guaranteed_update` for the verbs that may change a Service's ports or type (PUT, PATCH):
/// `change` calls [`Reservations::fill`] on the new object before admission, and rounds of
/// reserving and retrying run until it has what it needs. For other resources, fill does
/// nothing and this is one `guaranteed_update`.
pub(crate) async fn update_with_reservations(
    state: &ApiState,
    resource: &Resource,
    key: &str,
    name: &str,
    precondition: Option<i64>,
    mut change: impl FnMut(&Value, &mut Reservations) -> Result<Value, Status>,
) -> Result<Updated, Status> {
    let mut reservations = Reservations::default();
    let updated = loop {
        let result = guaranteed_update(state, resource, key, name, precondition, |old| {
            change(old, &mut reservations)
        })
        .await;
        match result {
            Ok(updated) => break Ok(updated),
            Err(status) => match reservations.reserve(state, resource, name).await {
                Ok(true) => continue,
                Ok(false) => break Err(status),
                Err(refused) => break Err(refused),
            },
        }
    };
    reservations.settle(state, updated.is_ok()).await;
    updated
}

/// Addresses reserved for one update, and what the last [`Reservations::fill`] found.
#[derive(Debug, Default)]
pub(crate) struct Reservations {
    /// Node ports allocated for ports that did not ask for one.
    any_ports: Vec<u16>,
    /// Node ports allocated because a port asked for exactly that one.
    asked_ports: BTreeSet<u16>,
    /// A cluster IP allocated for a Service that had none.
    ip: Option<Ipv4Addr>,
    /// From the last fill: what is still missing (`None` when nothing is).
    missing: Option<Missing>,
    /// From the last fill: what the old object held that the new one gives up.
    freed_ports: Vec<u16>,
    freed_ip: Vec<Ipv4Addr>,
    /// From the last fill: the reserved addresses the new object uses.
    used_ports: BTreeSet<u16>,
    used_ip: bool,
}

/// What a fill could not find among the reservations.
#[derive(Debug, Default)]
struct Missing {
    any_ports: usize,
    asked_ports: Vec<u16>,
    ip: Option<Option<Ipv4Addr>>,
}

fn has_node_ports(object: &Value) -> bool {
    matches!(service_type(object), "NodePort" | "LoadBalancer")
}

fn node_ports(object: &Value) -> BTreeSet<u16> {
    object
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|port| port.get("nodePort").and_then(Value::as_u64))
        .filter_map(|port| u16::try_from(port).ok())
        .collect()
}

fn cluster_ip(object: &Value) -> Option<Ipv4Addr> {
    object
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .and_then(|text| text.parse().ok())
}

impl Reservations {
    /// Completes the new Service `new` (replacing `old`) from the reservations: a node port for
    /// each port that needs one, a cluster IP if it needs one; clears what it gives up. When a
    /// reservation is missing, remembers what and refuses (the handler reserves, then retries).
    pub(crate) fn fill(
        &mut self,
        resource: &Resource,
        new: &mut Value,
        old: &Value,
    ) -> Result<(), Status> {
        self.missing = None;
        self.freed_ports.clear();
        self.freed_ip.clear();
        self.used_ports.clear();
        self.used_ip = false;
        if !is_service(resource) {
            return Ok(());
        }
        let mut missing = Missing::default();
        let held = if has_node_ports(old) {
            node_ports(old)
        } else {
            BTreeSet::new()
        };
        if has_node_ports(new) {
            let mut spare = self.any_ports.iter().copied();
            for port in new
                .pointer_mut("/spec/ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let asked = port
                    .get("nodePort")
                    .and_then(Value::as_u64)
                    .and_then(|p| u16::try_from(p).ok());
                match asked {
                    Some(asked) if held.contains(&asked) => {}
                    Some(asked) if self.asked_ports.contains(&asked) => {
                        self.used_ports.insert(asked);
                    }
                    Some(asked) => missing.asked_ports.push(asked),
                    None => match spare.next() {
                        Some(given) => {
                            port["nodePort"] = json!(given);
                            self.used_ports.insert(given);
                        }
                        None => missing.any_ports += 1,
                    },
                }
            }
        } else {
            // Not a NodePort Service any more: the node ports it carried over are released
            // and dropped from its ports, as kube-apiserver does.
            for port in new
                .pointer_mut("/spec/ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let kept = port.get("nodePort").and_then(Value::as_u64);
                if kept.is_some_and(|p| u16::try_from(p).is_ok_and(|p| held.contains(&p))) {
                    port.as_object_mut().map(|port| port.remove("nodePort"));
                }
            }
        }
        let now = node_ports(new);
        self.freed_ports = held.difference(&now).copied().collect();
        self.fill_ip(new, old, &mut missing);
        if missing.any_ports > 0 || !missing.asked_ports.is_empty() || missing.ip.is_some() {
            self.missing = Some(missing);
            return Err(Status::internal(
                "the Service's addresses are being reserved",
            ));
        }
        Ok(())
    }

    /// The cluster IP across an ExternalName change (it is immutable otherwise; validation says
    /// so).
    fn fill_ip(&mut self, new: &mut Value, old: &Value, missing: &mut Missing) {
        let old_ip = cluster_ip(old);
        if service_type(new) == "ExternalName" {
            if let Some(ip) = old_ip {
                self.freed_ip.push(ip);
                let spec = &mut new["spec"];
                for field in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
                    spec.as_object_mut().map(|spec| spec.remove(field));
                }
            }
            return;
        }
        let asked = new
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .unwrap_or("");
        if old_ip.is_some() || asked == "None" || service_type(old) != "ExternalName" {
            return;
        }
        let wanted = asked.parse().ok();
        match self.ip {
            Some(ip) if wanted.is_none_or(|wanted| wanted == ip) => {
                self.used_ip = true;
                let spec = &mut new["spec"];
                spec["clusterIP"] = json!(ip.to_string());
                spec["clusterIPs"] = json!([ip.to_string()]);
                spec["ipFamilies"] = json!(["IPv4"]);
                if spec.get("ipFamilyPolicy").is_none() {
                    spec["ipFamilyPolicy"] = json!("SingleStack");
                }
            }
            _ => missing.ip = Some(wanted),
        }
    }

    /// Reserves what the last fill found missing. `Ok(false)`: nothing was missing, so the
    /// update failed for another reason. An allocator that refuses is a 422, as on create.
    pub(crate) async fn reserve(
        &mut self,
        state: &ApiState,
        resource: &Resource,
        name: &str,
    ) -> Result<bool, Status> {
        let Some(missing) = self.missing.take() else {
            return Ok(false);
        };
        let services = &state.services;
        for _ in 0..missing.any_ports {
            let port = services.ports.allocate(None).await.map_err(|error| {
                invalid_named(resource, name, "spec.ports.nodePort", "", &error)
            })?;
            self.any_ports.push(port);
        }
        for asked in missing.asked_ports {
            services
                .ports
                .allocate(Some(asked))
                .await
                .map_err(|error| {
                    let value = asked.to_string();
                    invalid_named(resource, name, "spec.ports.nodePort", &value, &error)
                })?;
            self.asked_ports.insert(asked);
        }
        if let Some(wanted) = missing.ip {
            if let Some(previous) = self.ip.take() {
                release_ip(state, previous).await;
            }
            let ip = services.ips.allocate(wanted).await.map_err(|error| {
                let value = wanted.map_or_else(String::new, |ip| format!("[\"{ip}\"]"));
                invalid_named(resource, name, "spec.clusterIPs[0]", &value, &error)
            })?;
            self.ip = Some(ip);
        }
        Ok(true)
    }

    /// After the update: on success (`stored`), gives back the unused reservations and what the
    /// old object held that the new one does not; on failure, every reservation.
    pub(crate) async fn settle(self, state: &ApiState, stored: bool) {
        let mut ports: Vec<u16> = self
            .any_ports
            .iter()
            .chain(&self.asked_ports)
            .copied()
            .filter(|port| !(stored && self.used_ports.contains(port)))
            .collect();
        let mut ips: Vec<Ipv4Addr> = self
            .ip
            .filter(|_| !(stored && self.used_ip))
            .into_iter()
            .collect();
        if stored {
            ports.extend(&self.freed_ports);
            ips.extend(&self.freed_ip);
        }
        for port in ports {
            if let Err(error) = state.services.ports.release(port).await {
                tracing::warn!(port, %error, "failed to release a node port");
            }
        }
        for ip in ips {
            release_ip(state, ip).await;
        }
    }
}

async fn release_ip(state: &ApiState, ip: Ipv4Addr) {
    if let Err(error) = state.services.ips.release(ip).await {
        tracing::warn!(%ip, %error, "failed to release a cluster IP");
    }
}
