//! Step 1, without privileges: the host-gw route plan, a pure diff.

use std::net::Ipv4Addr;

use lab_05::routes::{PeerRoute, RoutePlan, plan_routes};

fn route(cidr: &str, via: [u8; 4]) -> PeerRoute {
    PeerRoute {
        pod_cidr: cidr.parse().unwrap(),
        node_ip: Ipv4Addr::from(via),
    }
}

#[test]
fn step1_route_plan_adds_missing_and_removes_stale_routes() {
    let current = [
        route("10.244.2.0/24", [192, 168, 77, 2]),
        route("10.244.9.0/24", [192, 168, 77, 9]), // a node that left
    ];
    let desired = [
        route("10.244.3.0/24", [192, 168, 77, 3]),
        route("10.244.2.0/24", [192, 168, 77, 2]),
        route("10.244.0.0/24", [192, 168, 77, 10]),
    ];
    assert_eq!(
        plan_routes(&current, &desired),
        RoutePlan {
            remove: vec![route("10.244.9.0/24", [192, 168, 77, 9])],
            add: vec![
                route("10.244.0.0/24", [192, 168, 77, 10]),
                route("10.244.3.0/24", [192, 168, 77, 3]),
            ],
        }
    );
}

#[test]
fn step1_route_plan_replaces_a_route_whose_node_moved() {
    let plan = plan_routes(
        &[route("10.244.2.0/24", [192, 168, 77, 2])],
        &[route("10.244.2.0/24", [192, 168, 77, 22])],
    );
    assert_eq!(plan.remove, [route("10.244.2.0/24", [192, 168, 77, 2])]);
    assert_eq!(plan.add, [route("10.244.2.0/24", [192, 168, 77, 22])]);
}

#[test]
fn step1_route_plan_is_empty_when_in_sync_and_ignores_duplicates() {
    let routes = [
        route("10.244.2.0/24", [192, 168, 77, 2]),
        route("10.244.3.0/24", [192, 168, 77, 3]),
    ];
    let twice = [routes[1], routes[0], routes[1]];
    assert!(plan_routes(&routes, &twice).is_empty());
    assert_eq!(
        plan_routes(&[], &twice).add,
        routes.to_vec(),
        "each route once, in order"
    );
    assert_eq!(plan_routes(&twice, &[]).remove, routes.to_vec());
}
