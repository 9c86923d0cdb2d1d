//! Steps 7: the kubelet's loop, its pure decisions and against the real lab-02 apiserver with
//! a recording runtime.

mod decide;
mod node;
mod objects;
mod pods;
mod recording;
mod static_pods;
