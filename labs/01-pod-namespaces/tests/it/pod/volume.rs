//! Step 3 without root: a Pod's volumes become host directories, its volumeMounts mounts.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use k8s_openapi::api::core::v1 as corev1;
use lab_01::config::MountSpec;
use lab_01::volume::{VolumeSources, container_mounts, prepare_volumes};

/// A Pod spec from YAML, as a user would write it.
fn pod(yaml: &str) -> corev1::Pod {
    serde_yaml::from_str(yaml).unwrap()
}

fn spec(pod: &corev1::Pod) -> &corev1::PodSpec {
    pod.spec.as_ref().unwrap()
}

const WEB: &str = r"
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  volumes:
  - name: cache
    emptyDir: {}
  - name: settings
    configMap:
      name: web-settings
      defaultMode: 288  # 0440 in octal (YAML 1.2 reads 0440 as a decimal number)
      items:
      - key: greeting
        path: conf/greeting.txt
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: cache
      mountPath: /var/cache/app
    - name: settings
      mountPath: /etc/app
";

fn sources() -> VolumeSources {
    let config_map: corev1::ConfigMap = serde_yaml::from_str(
        "metadata: {name: web-settings}\ndata: {greeting: hello, unused: nope}\n",
    )
    .unwrap();
    VolumeSources {
        config_maps: BTreeMap::from([("web-settings".to_owned(), config_map)]),
        secrets: BTreeMap::new(),
    }
}

#[test]
fn step3_empty_dir_and_config_map_become_directories_under_the_pod_dir() {
    let temp = tempfile::tempdir().unwrap();
    let pod = pod(WEB);
    let volumes = prepare_volumes(
        spec(&pod).volumes.as_deref().unwrap(),
        temp.path(),
        &sources(),
    )
    .unwrap();

    let cache = &volumes["cache"];
    assert_eq!(
        cache.host_path,
        temp.path().join("volumes/kubernetes.io~empty-dir/cache")
    );
    assert!(cache.host_path.is_dir());
    assert_eq!(fs::read_dir(&cache.host_path).unwrap().count(), 0, "empty");

    let settings = &volumes["settings"];
    assert!(settings.always_read_only);
    let file = settings.host_path.join("conf/greeting.txt");
    assert_eq!(fs::read_to_string(&file).unwrap(), "hello");
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o440
    );
    assert!(
        !settings.host_path.join("unused").exists(),
        "items picks the keys"
    );

    let mounts = container_mounts(&spec(&pod).containers[0], &volumes).unwrap();
    assert_eq!(
        mounts,
        vec![
            MountSpec {
                host_path: cache.host_path.clone(),
                container_path: "/var/cache/app".into(),
                read_only: false,
            },
            MountSpec {
                host_path: settings.host_path.clone(),
                container_path: "/etc/app".into(),
                read_only: true,
            },
        ]
    );
}

#[test]
fn step3_volume_mount_naming_no_volume_is_refused_naming_the_field() {
    let temp = tempfile::tempdir().unwrap();
    let pod = pod(&WEB.replace(
        "- name: cache\n      mountPath",
        "- name: cahce\n      mountPath",
    ));
    let volumes = prepare_volumes(
        spec(&pod).volumes.as_deref().unwrap(),
        temp.path(),
        &sources(),
    )
    .unwrap();
    let error = container_mounts(&spec(&pod).containers[0], &volumes).unwrap_err();
    assert!(error.is_bad_input());
    assert_eq!(
        error.to_string(),
        "container app: volumeMounts[0].name: no volume named `cahce` in spec.volumes; add it there or fix the name"
    );
}

#[test]
fn step3_missing_config_map_and_unsupported_volumes_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let pod = pod(WEB);
    let error = prepare_volumes(
        spec(&pod).volumes.as_deref().unwrap(),
        temp.path(),
        &VolumeSources::default(),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("spec.volumes[1].configMap: ConfigMap `web-settings` was not given"),
        "{error}"
    );

    let claim = pod_with_volume("{name: data, persistentVolumeClaim: {claimName: data}}");
    let error = prepare_volumes(&claim, temp.path(), &VolumeSources::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("use emptyDir, hostPath, configMap or secret"),
        "{error}"
    );
}

#[test]
fn step3_host_path_is_used_in_place() {
    let temp = tempfile::tempdir().unwrap();
    let host = temp.path().join("shared");
    let volumes = pod_with_volume(&format!(
        "{{name: data, hostPath: {{path: {}, type: DirectoryOrCreate}}}}",
        host.display()
    ));
    let prepared = prepare_volumes(&volumes, temp.path(), &VolumeSources::default()).unwrap();
    assert_eq!(prepared["data"].host_path, host);
    assert!(host.is_dir(), "DirectoryOrCreate creates it");

    let missing = pod_with_volume("{name: data, hostPath: {path: /no/such/kubelab/dir}}");
    let error = prepare_volumes(&missing, temp.path(), &VolumeSources::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is not a directory on this host"),
        "{error}"
    );
}

fn pod_with_volume(volume: &str) -> Vec<corev1::Volume> {
    vec![serde_yaml::from_str(volume).unwrap()]
}
