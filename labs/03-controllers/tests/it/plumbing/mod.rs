//! Step 5: service plumbing and cleanup. Pure decisions (CIDR blocks, Endpoints and
//! EndpointSlices, the garbage collector's choices) and the controllers live against lab-02
//! with its stopgap off.

mod cidr;
mod endpoints;
mod endpoints_live;
mod events;
mod gc;
mod gc_live;
mod namespace;
mod nodeipam;
