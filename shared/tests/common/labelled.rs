//! The labelled set (`tests/data/labelled.jsonl`) and how the detectors
//! score on it: item-level precision and recall over values, the same per
//! detector, and whether any evidence shows raw text. Shared by the
//! `labelled` test (which asserts the goal on the held-out split) and the
//! `precision` benchmark (which prints the table).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use warden_shared::detect::{DetectorId, Detectors, describe, detector_ids};

/// One labelled value.
#[derive(Debug, Clone)]
pub struct Item {
    pub key: String,
    pub value: String,
    pub labels: Vec<DetectorId>,
    pub source: String,
    pub split: String,
}

/// Every item of the set; panics on a malformed line (the file is ours).
pub fn load() -> Vec<Item> {
    include_str!("../data/labelled.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
            let text = |f: &str| {
                v[f].as_str()
                    .unwrap_or_else(|| panic!("line {}: no {f}", n + 1))
                    .to_string()
            };
            let labels = v["labels"]
                .as_array()
                .unwrap_or_else(|| panic!("line {}: no labels", n + 1))
                .iter()
                .map(|l| {
                    let l = l.as_str().unwrap_or_default();
                    DetectorId::parse(l).unwrap_or_else(|| panic!("line {}: label {l}", n + 1))
                })
                .collect();
            Item {
                key: text("key"),
                value: text("value"),
                labels,
                source: text("source"),
                split: text("split"),
            }
        })
        .collect()
}

/// True and false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub labelled: usize,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// What went wrong on one item, for tuning on `dev`.
#[derive(Debug, Clone)]
pub struct Miss {
    pub item: Item,
    pub found: Vec<DetectorId>,
}

/// The scores of one split.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub split: String,
    pub items: usize,
    /// A value is a positive when it has a label, found when any detector
    /// reported something in it.
    pub item: Counts,
    pub per_detector: BTreeMap<DetectorId, Counts>,
    /// Items whose evidence (the masks of its detections) holds raw text.
    pub in_clear: Vec<String>,
    pub misses: Vec<Miss>,
}

/// Scores `detectors` on the items of `split`.
pub fn evaluate(detectors: &Detectors, items: &[Item], split: &str) -> Report {
    let mut r = Report {
        split: split.to_string(),
        ..Report::default()
    };
    for d in DetectorId::ALL {
        r.per_detector.insert(d, Counts::default());
    }
    for item in items.iter().filter(|i| i.split == split) {
        r.items += 1;
        let found = detectors.scan(&item.key, &item.value);
        let ids = detector_ids(&found);
        let positive = !item.labels.is_empty();
        r.item.labelled += usize::from(positive);
        match (positive, !ids.is_empty()) {
            (true, true) => r.item.tp += 1,
            (false, true) => r.item.fp += 1,
            (true, false) => r.item.fn_ += 1,
            (false, false) => {}
        }
        for d in DetectorId::ALL {
            let c = r.per_detector.get_mut(&d).expect("every detector");
            let (want, got) = (item.labels.contains(&d), ids.contains(&d));
            c.labelled += usize::from(want);
            match (want, got) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        let mut labels = item.labels.clone();
        labels.sort();
        if labels != ids {
            r.misses.push(Miss {
                item: item.clone(),
                found: ids,
            });
        }
        if shows_raw_text(&item.value, &found) {
            r.in_clear.push(format!("{}={:?}", item.key, item.value));
        }
    }
    r
}

/// Whether the evidence of these detections shows raw text: a detection's
/// whole match, or 12 characters of a run of the value's letters and digits
/// that holds both (a key, token or number; masks keep at most a short
/// prefix or suffix, a host name, a parameter name or a key header).
pub fn shows_raw_text(value: &str, found: &[warden_shared::detect::Detection]) -> bool {
    let evidence = describe(found);
    let whole = found.iter().any(|f| {
        let raw = &value[f.span.clone()];
        f.masked.contains(raw) || evidence.contains(raw)
    });
    whole
        || value
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| {
                w.len() >= 12
                    && w.bytes().any(|b| b.is_ascii_digit())
                    && w.bytes().any(|b| b.is_ascii_alphabetic())
            })
            .any(|w| (0..=w.len() - 12).any(|i| evidence.contains(&w[i..i + 12])))
}

/// The table of one or more splits, in markdown.
pub fn markdown(reports: &[Report]) -> String {
    let mut out = String::from(
        "| split | detector | labelled | TP | FP | FN | precision | recall |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in reports {
        let row = |name: &str, c: &Counts| {
            format!(
                "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} |\n",
                r.split,
                name,
                c.labelled,
                c.tp,
                c.fp,
                c.fn_,
                c.precision(),
                c.recall()
            )
        };
        out.push_str(&row(&format!("**items** ({} values)", r.items), &r.item));
        for (d, c) in &r.per_detector {
            out.push_str(&row(d.as_str(), c));
        }
    }
    out
}
