//! Step 5: the namespace and ServiceAccount controllers against lab-02 with its stopgap off.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;

use crate::support::Cluster;

fn create_namespace(cluster: &Cluster, name: &str) {
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    let namespace: Namespace = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
    )
    .expect("a Namespace");
    cluster
        .block_on(namespaces.create(&PostParams::default(), &namespace))
        .expect("the namespace is created");
}

#[test]
fn step5_namespace_deletion_deletes_the_content_then_the_namespace() {
    let cluster = Cluster::start_without_stopgap();
    cluster.start_controllers(&["namespace"]);
    create_namespace(&cluster, "team");
    let maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "team");
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), "team");
    let map: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "settings"}})).expect("a ConfigMap");
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": "token"}})).expect("a Secret");
    cluster
        .block_on(maps.create(&PostParams::default(), &map))
        .expect("a ConfigMap in team");
    cluster
        .block_on(secrets.create(&PostParams::default(), &secret))
        .expect("a Secret in team");
    // One with a finalizer of its own: the namespace must wait for it.
    let held: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}),
    )
    .expect("a ConfigMap");
    cluster
        .block_on(maps.create(&PostParams::default(), &held))
        .expect("a held ConfigMap in team");

    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    cluster
        .block_on(namespaces.delete("team", &DeleteParams::default()))
        .expect("the namespace is marked for deletion");
    cluster.wait_for("the content of team to be deleted", || async {
        let settings = maps.get_opt("settings").await.ok()?;
        let token = secrets.get_opt("token").await.ok()?;
        let held = maps.get_opt("held").await.ok()??;
        (settings.is_none() && token.is_none() && held.metadata.deletion_timestamp.is_some())
            .then_some(())
    });
    // The namespace says why it waits, as `kubectl describe namespace` shows.
    let conditions = cluster.wait_for("team's conditions to name the held ConfigMap", || async {
        let namespace = namespaces.get("team").await.ok()?;
        let status = namespace.status?;
        assert_eq!(status.phase.as_deref(), Some("Terminating"));
        let conditions = status.conditions?;
        let finalizers = conditions
            .iter()
            .find(|c| c.type_ == "NamespaceFinalizersRemaining" && c.status == "True")?;
        let content = conditions
            .iter()
            .find(|c| c.type_ == "NamespaceContentRemaining" && c.status == "True")?;
        Some((finalizers.message.clone(), content.message.clone()))
    });
    assert_eq!(
        conditions,
        (
            Some(
                "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
                    .to_owned()
            ),
            Some("Some resources are remaining: configmaps has 1 resource instances".to_owned())
        )
    );
    let release = json!({"metadata": {"finalizers": null}});
    cluster
        .block_on(maps.patch(
            "held",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(release),
        ))
        .expect("the held ConfigMap is released");
    cluster.wait_for("team to be gone", || async {
        matches!(namespaces.get_opt("team").await, Ok(None)).then_some(())
    });
}

#[test]
fn step5_serviceaccount_every_active_namespace_has_a_default_account() {
    let cluster = Cluster::start_without_stopgap();
    cluster.start_controllers(&["serviceaccount"]);
    create_namespace(&cluster, "team");
    for namespace in ["default", "team"] {
        let accounts: Api<ServiceAccount> = Api::namespaced(cluster.client.clone(), namespace);
        cluster.wait_for(
            &format!("a default ServiceAccount in {namespace}"),
            || async { accounts.get_opt("default").await.ok()? },
        );
    }
    let accounts: Api<ServiceAccount> = Api::namespaced(cluster.client.clone(), "team");
    let first = cluster
        .block_on(accounts.get("default"))
        .expect("the account");
    cluster
        .block_on(accounts.delete("default", &DeleteParams::default()))
        .expect("the account is deleted");
    cluster.wait_for("the default ServiceAccount to come back", || async {
        let again = accounts.get_opt("default").await.ok()??;
        (again.metadata.uid != first.metadata.uid).then_some(())
    });
}
