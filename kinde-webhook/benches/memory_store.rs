//! Measures the memory a `MemoryStore` uses per event id, as the growth of
//! the process's resident set while it fills with completed ids.
//!
//! Run with `cargo bench -p kinde-webhook --bench memory_store`. Linux only:
//! it reads `/proc/self/statm`.

use kinde_webhook::idempotency::{ClaimOutcome, IdempotencyStore, MemoryStore};

const IDS: u64 = 100_000;

fn resident_bytes() -> u64 {
    let statm =
        std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm is readable on Linux");
    let resident_pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("statm's second field is the resident page count");
    // 4 KiB pages, as on x86_64 and most aarch64 Linux systems.
    resident_pages * 4096
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = MemoryStore::builder().max_ids(IDS).build();
    let event_ids: Vec<String> = (0..IDS)
        .map(|index| format!("event_{index:032x}"))
        .collect();

    let before = resident_bytes();
    runtime.block_on(async {
        for event_id in &event_ids {
            let ClaimOutcome::Claimed { owner } = store.claim(event_id).await.unwrap() else {
                panic!("every id is new");
            };
            store.complete(event_id, &owner).await.unwrap();
        }
    });
    let after = resident_bytes();

    let per_id = (after.saturating_sub(before)) / IDS;
    println!(
        "MemoryStore: {IDS} completed ids grew the resident set by {} KiB: about {per_id} bytes per id",
        (after - before) / 1024
    );
    println!("{store:?}");
}
