//! Unit tests of the key-range arithmetic: the end of a prefix's range, as etcd defines it.

use super::{prefix_end, range_start};

#[test]
fn prefix_end_increments_the_last_byte() {
    assert_eq!(prefix_end(b"/registry/pods/"), b"/registry/pods0");
    assert_eq!(prefix_end(b"/registry/pods/a/"), b"/registry/pods/a0");
}

#[test]
fn prefix_end_drops_trailing_0xff_bytes_first() {
    assert_eq!(prefix_end(b"a\xff\xff"), b"b");
}

#[test]
fn a_prefix_with_no_end_ranges_to_the_end_of_the_keyspace() {
    assert_eq!(prefix_end(b""), b"\0");
    assert_eq!(prefix_end(b"\xff"), b"\0");
    assert_eq!(range_start(""), b"\0");
}
