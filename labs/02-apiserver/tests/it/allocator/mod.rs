//! Step 6: Service cluster IPs and node ports, allocated once each, also across restarts and
//! concurrent writers, on both stores.

mod pure;
mod stored;
