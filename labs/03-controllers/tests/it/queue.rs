//! Step 1: the work queue, on a fake clock (every delay checked exactly, none waited for).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab_03::queue::{RateLimiter, WorkQueue, process_next, run_workers};
use labkit::FakeClock;

fn queue() -> (WorkQueue, FakeClock) {
    let clock = FakeClock::default();
    (WorkQueue::new(Arc::new(clock.clone())), clock)
}

fn drain(queue: &WorkQueue) -> Vec<String> {
    std::iter::from_fn(|| queue.try_get()).collect()
}

#[test]
fn step1_queue_hands_out_keys_in_order_and_deduplicates() {
    let (queue, _) = queue();
    for key in [
        "default/a",
        "default/b",
        "default/a",
        "default/c",
        "default/b",
    ] {
        queue.add(key);
    }
    assert_eq!(queue.len(), 3);
    assert_eq!(drain(&queue), ["default/a", "default/b", "default/c"]);
}

#[test]
fn step1_queue_never_gives_a_key_being_processed_to_a_second_worker() {
    let (queue, _) = queue();
    queue.add("default/web");
    assert_eq!(queue.try_get().as_deref(), Some("default/web"));
    // Changed twice while the first worker holds it: not handed out again yet.
    queue.add("default/web");
    queue.add("default/web");
    assert_eq!(
        queue.try_get(),
        None,
        "a key in processing was handed out twice"
    );
    queue.done("default/web");
    // Requeued once by done, because it changed meanwhile.
    assert_eq!(drain(&queue), ["default/web"]);
    queue.done("default/web");
    assert_eq!(
        queue.try_get(),
        None,
        "done without a new add requeued the key"
    );
}

#[test]
fn step1_queue_retries_with_per_key_exponential_back_off() {
    let (queue, clock) = queue();
    let key = "default/broken";
    // Five failures in a row wait 5, 10, 20, 40, 80 ms.
    for expected_ms in [5u64, 10, 20, 40, 80] {
        queue.add_rate_limited(key);
        clock.advance(Duration::from_millis(expected_ms - 1));
        assert_eq!(queue.try_get(), None, "retried before {expected_ms} ms");
        clock.advance(Duration::from_millis(1));
        assert_eq!(
            queue.try_get().as_deref(),
            Some(key),
            "not retried at {expected_ms} ms"
        );
        queue.done(key);
    }
    assert_eq!(queue.num_requeues(key), 5);
    // Another key has its own count.
    queue.add_rate_limited("default/other");
    clock.advance(Duration::from_millis(5));
    assert_eq!(queue.try_get().as_deref(), Some("default/other"));
    // Forget: the next failure starts at 5 ms again.
    queue.forget(key);
    assert_eq!(queue.num_requeues(key), 0);
    queue.add_rate_limited(key);
    clock.advance(Duration::from_millis(5));
    assert_eq!(queue.try_get().as_deref(), Some(key));
}

#[test]
fn step1_rate_limiter_doubles_from_5ms_up_to_1000s() {
    let mut limiter = RateLimiter::default();
    let delays: Vec<Duration> = (0..22).map(|_| limiter.when("k")).collect();
    assert_eq!(delays[0], Duration::from_millis(5));
    assert_eq!(delays[1], Duration::from_millis(10));
    assert_eq!(delays[17], Duration::from_millis(5 << 17)); // 655.36 s
    assert_eq!(
        delays[18],
        Duration::from_secs(1000),
        "not capped at 1000 s"
    );
    assert_eq!(delays[21], Duration::from_secs(1000));
    // Far past the cap, nothing overflows.
    for _ in 0..100 {
        assert_eq!(limiter.when("k"), Duration::from_secs(1000));
    }
}

#[test]
fn step1_queue_delayed_add_keeps_the_earliest_time() {
    let (queue, clock) = queue();
    queue.add_after("default/a", Duration::from_secs(10));
    queue.add_after("default/a", Duration::from_secs(2));
    queue.add_after("default/a", Duration::from_secs(5));
    clock.advance(Duration::from_secs(2));
    assert_eq!(drain(&queue), ["default/a"]);
    queue.done("default/a");
    clock.advance(Duration::from_secs(10));
    assert_eq!(queue.try_get(), None, "one delayed key was added twice");
}

#[test]
fn step1_queue_shut_down_drains_then_stops() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (queue, _) = queue();
    queue.add("default/a");
    queue.shut_down();
    queue.add("default/b");
    runtime.block_on(async {
        assert_eq!(queue.get().await.as_deref(), Some("default/a"));
        assert_eq!(queue.get().await, None);
    });
}

#[test]
fn step1_worker_forgets_on_success_and_retries_failures() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (queue, clock) = queue();
    queue.add("default/ok");
    queue.add("default/broken");
    let sync = |key: String| async move {
        if key == "default/broken" {
            Err("the apiserver said no")
        } else {
            Ok(())
        }
    };
    runtime.block_on(async {
        assert!(process_next(&queue, &sync).await);
        assert!(process_next(&queue, &sync).await);
    });
    assert_eq!(queue.num_requeues("default/ok"), 0);
    assert_eq!(queue.num_requeues("default/broken"), 1);
    assert_eq!(
        queue.try_get(),
        None,
        "a failed key came back without waiting"
    );
    clock.advance(Duration::from_millis(5));
    assert_eq!(queue.try_get().as_deref(), Some("default/broken"));
}

#[test]
fn step1_workers_process_every_key_once_and_never_one_key_twice_at_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let queue = Arc::new(WorkQueue::new(Arc::new(labkit::SystemClock)));
    let keys: BTreeSet<String> = (0..200).map(|i| format!("default/rs-{i}")).collect();
    for key in &keys {
        queue.add(key);
    }
    let busy = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let overlaps = Arc::new(Mutex::new(0usize));
    let (b, s, o, q) = (busy.clone(), seen.clone(), overlaps.clone(), queue.clone());
    let workers = runtime.spawn(run_workers(q.clone(), 4, move |key: String| {
        let (busy, seen, overlaps, queue) = (b.clone(), s.clone(), o.clone(), q.clone());
        async move {
            if !busy.lock().unwrap().insert(key.clone()) {
                *overlaps.lock().unwrap() += 1;
            }
            // Re-adding while processing must not give the key to another worker.
            queue.add(&key);
            tokio::task::yield_now().await;
            busy.lock().unwrap().remove(&key);
            seen.lock().unwrap().push(key);
            Ok::<(), String>(())
        }
    }));
    labkit::poll_until(
        lab_02::testing::CONVERGE,
        "every key processed twice",
        || (seen.lock().unwrap().len() >= 2 * keys.len()).then_some(()),
    );
    queue.shut_down();
    runtime
        .block_on(workers)
        .expect("the workers stop after shut_down");
    assert_eq!(
        *overlaps.lock().unwrap(),
        0,
        "two workers held one key at once"
    );
}
