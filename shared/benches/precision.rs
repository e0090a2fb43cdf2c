//! Precision and recall of every detector on the labelled set
//! (`tests/data/labelled.jsonl`), per split, as a markdown table:
//!
//! `cargo bench -p warden-shared --bench precision`
//!
//! Tune on `dev`; `test` is held out (the `labelled` test asserts the goal
//! on it). `WARDEN_PRECISION_MISSES=1` also lists the dev items where the
//! detectors disagree with the labels.

#[path = "../tests/common/labelled.rs"]
mod labelled;

use warden_shared::detect::Detectors;

fn main() {
    let items = labelled::load();
    let detectors = Detectors::all();
    let reports: Vec<_> = ["dev", "test"]
        .iter()
        .map(|s| labelled::evaluate(&detectors, &items, s))
        .collect();
    println!("{}", labelled::markdown(&reports));
    for r in &reports {
        println!(
            "{}: {} values, item precision {:.3}, recall {:.3}, {} with raw text in evidence",
            r.split,
            r.items,
            r.item.precision(),
            r.item.recall(),
            r.in_clear.len()
        );
    }
    if std::env::var_os("WARDEN_PRECISION_MISSES").is_some() {
        for m in &reports[0].misses {
            let want: Vec<_> = m.item.labels.iter().map(|d| d.as_str()).collect();
            let got: Vec<_> = m.found.iter().map(|d| d.as_str()).collect();
            println!(
                "miss [{}] {}={:?}: want {want:?}, got {got:?}",
                m.item.source, m.item.key, m.item.value
            );
        }
    }
}
