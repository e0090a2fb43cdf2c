//! The bench's report: each case's figures against its budgets, and what
//! the machine was doing meanwhile.

use std::time::Duration;

use super::{BUDGET_FIRST_EVENT_MS, BUDGET_FIRST_NEXT_MS, BUDGET_RSS_KIB, Case, Sample};

/// The 1, 5 and 15 minute load averages, as text.
pub(super) fn read_load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

pub(super) fn load_average(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "?".into())
}

/// Statistics of a column, in its display unit.
pub(super) struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

pub(super) fn stats(mut values: Vec<f64>) -> Stats {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Stats {
        median,
        min: values[0],
        max: values[n - 1],
    }
}

pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(super) fn print_case(case: &Case, samples: &[Sample], floor: Stats) {
    println!(
        "\ncase {} ({}; event {}; outcome `{}`), {} runs",
        case.name,
        case.description,
        case.event_file,
        case.expected_status,
        samples.len()
    );
    let rows: Vec<(&str, Stats, &str, Option<f64>)> = vec![
        (
            "process start -> first next",
            stats(samples.iter().map(|s| ms(s.first_next)).collect()),
            "ms",
            Some(BUDGET_FIRST_NEXT_MS),
        ),
        (
            "process start -> 1st event done",
            stats(samples.iter().map(|s| ms(s.first_event_done)).collect()),
            "ms",
            Some(BUDGET_FIRST_EVENT_MS),
        ),
        (
            "  of which handling the event",
            stats(samples.iter().map(|s| ms(s.handling)).collect()),
            "ms",
            None,
        ),
        ("    emulator floor (see below)", floor, "ms", None),
        (
            "peak RSS (VmHWM)",
            stats(
                samples
                    .iter()
                    .map(|s| s.peak_rss_kib as f64 / 1024.0)
                    .collect(),
            ),
            "MB",
            Some(BUDGET_RSS_KIB as f64 / 1024.0),
        ),
    ];
    let header = format!(
        "  {:<32} {:>9} {:>9} {:>9}   {:<10} {}",
        "metric", "median", "min", "max", "budget", "verdict"
    );
    println!("{header}");
    println!("  {}", "-".repeat(header.len() - 2));
    for (name, stats, unit, budget) in rows {
        let cell = |v: f64| format!("{v:.1} {unit}");
        let (budget, verdict) = match budget {
            Some(budget) => (
                format!("<= {budget:.0} {unit}"),
                if stats.median <= budget {
                    "PASS"
                } else {
                    "OVER"
                },
            ),
            None => ("-".to_string(), ""),
        };
        println!(
            "  {:<32} {:>9} {:>9} {:>9}   {:<10} {}",
            name,
            cell(stats.median),
            cell(stats.min),
            cell(stats.max),
            budget,
            verdict
        );
    }
}
