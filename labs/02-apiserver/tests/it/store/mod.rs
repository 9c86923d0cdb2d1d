//! Step 1 tests: the storage contract, run against both backends, plus what only one has.
//!
//! `contract` holds each behaviour once, as a generic `async fn` over `S: Store`. The macro
//! below turns that list into `#[tokio::test]`s inside a backend's module, given a macro that
//! sets the backend up (`embedded_store!` or `etcd_store!`); so both modules have tests of the
//! same names, `store::embedded::step1_...` and `store::etcd::step1_...`.

/// Declares, in the calling module, one `#[tokio::test]` per contract behaviour. `$setup!()`
/// must evaluate to `(guard, store)`: the guard keeps whatever the store needs (a running
/// etcd) alive until the test ends.
macro_rules! contract_tests {
    ($setup:ident) => {
        contract_tests!(@each $setup:
            step1_create_get_update_delete_track_revisions,
            step1_create_of_an_existing_key_is_already_exists,
            step1_update_or_delete_with_a_stale_mod_revision_is_a_conflict,
            step1_update_or_delete_of_a_missing_key_is_not_found,
            step1_list_sees_only_its_prefix,
            step1_list_pages_with_limit_and_continue_at_one_revision,
            step1_list_at_an_old_revision_reads_the_old_values,
            step1_no_update_is_lost_under_concurrent_writers,
            step1_watch_from_zero_replays_every_event_in_order,
            step1_watch_from_the_current_revision_sees_only_new_events,
            step1_watch_from_an_old_revision_replays_then_follows,
            step1_watch_sees_only_its_prefix,
            step1_delete_events_carry_the_previous_value,
            step1_compaction_makes_old_reads_answer_compacted,
            step1_compaction_makes_old_watches_answer_compacted,
        );
    };
    (@each $setup:ident: $($test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                let (_guard, store) = $setup!();
                crate::store::contract::$test(store).await;
            }
        )*
    };
}

mod contract;
mod embedded;
mod etcd;
