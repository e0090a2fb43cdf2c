//! `warden-bench`: cold start, first-event latency and peak memory of the
//! bucket-guard binary, driven through the local Lambda Runtime API against a
//! loopback moto.
//!
//! The budgets (from the issue): process start to first request for an
//! event ≤ 30 ms; the first event fully handled against a loopback emulator
//! ≤ 60 ms; peak resident memory while handling an event ≤ 32 MB. This is a
//! measurement, not a test: a budget that is over is reported, and the exit
//! code is still 0. It is 1 only if a run fails or answers the wrong outcome.
//!
//! ```sh
//! cargo build --release -p bucket-guard
//! cargo run --release -p warden-tests --bin warden-bench -- --function target/release/bucket-guard
//! ```
//!
//! Build the bench itself with `--release` too: it hosts the Runtime API the
//! function talks to, and a debug build of it adds several milliseconds to
//! every measured event.

mod report;
mod s3;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use warden_tests::fixtures::GuardEvents;
use warden_tests::{InvocationResult, lambda_env, run_function};

use report::{load_average, ms, print_case, read_load_average, stats};
use s3::{create_bucket, create_compliant_bucket, emulator_floor};

const USAGE: &str = "\
usage: warden-bench --function <release bucket-guard binary> [--runs N]
   or: cargo run --release -p warden-tests --bin warden-bench -- --function target/release/bucket-guard

Measures bucket-guard cold starts through a local Lambda Runtime API against a
private moto on loopback: one fresh process per run, one event per process.

  --function PATH   the bucket-guard binary, normally target/release/bucket-guard;
                    defaults to $WARDEN_FUNCTION_BIN
  --runs N          measured runs per case (default 9); one extra warm-up run
                    per case is made first and not counted
  -h, --help        this help";

const DEFAULT_RUNS: usize = 9;

const SELF_ARN: &str = "arn:aws:iam::123456789012:role/warden-BucketGuardFunctionRole-1A2B3C4D5E6F";
const EVENT_BUCKET: &str = "warden-demo-bucket";

/// The sample events, whose resource name is replaced throughout (names,
/// ARNs, the Host header).
const EVENTS: GuardEvents = GuardEvents {
    guard: "bucket-guard",
    sample: EVENT_BUCKET,
};

/// Budgets, from the issue.
const BUDGET_FIRST_NEXT_MS: f64 = 30.0;
const BUDGET_FIRST_EVENT_MS: f64 = 60.0;
/// 32 MB, counted as Lambda counts memory (MiB).
const BUDGET_RSS_KIB: u64 = 32 * 1024;

struct Args {
    function: PathBuf,
    runs: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = parse_args(std::env::args().skip(1));
    let args = match warden_local::args_or_exit("warden-bench", USAGE, parsed) {
        Ok(args) => args,
        Err(code) => return code,
    };
    // moto lives inside `bench` and is stopped when it returns.
    match bench(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => warden_local::failed("warden-bench", &message),
    }
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut function = None;
    let mut runs = DEFAULT_RUNS;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--function" => function = Some(PathBuf::from(value("--function")?)),
            "--runs" => {
                let text = value("--runs")?;
                runs = text
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--runs must be a positive number, not `{text}`"))?;
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let function = function
        .or_else(|| {
            std::env::var_os("WARDEN_FUNCTION_BIN")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .ok_or("no function binary: pass --function <path> or set WARDEN_FUNCTION_BIN")?;
    if !function.is_file() {
        return Err(format!(
            "{} is not a file (build it with `cargo build --release -p bucket-guard`)",
            function.display()
        ));
    }
    Ok(Some(Args { function, runs }))
}

/// One measured cold start.
struct Sample {
    first_next: Duration,
    first_event_done: Duration,
    handling: Duration,
    peak_rss_kib: u64,
}

/// A benchmark case: the event, the bucket state it meets, the outcome it
/// must give.
struct Case {
    name: &'static str,
    description: &'static str,
    event_file: &'static str,
    expected_status: &'static str,
    /// A fresh bucket per run (true) or one bucket for every run.
    fresh_bucket: bool,
}

const CASES: [Case; 2] = [
    Case {
        name: "create-bucket",
        description: "CreateBucket, fresh bucket, remediate: 4 reads, 3 writes, 4 read-backs",
        event_file: "create-bucket.json",
        expected_status: "remediated",
        fresh_bucket: true,
    },
    Case {
        name: "compliant",
        description: "DeleteBucketPolicy on a fully compliant bucket: reads only",
        event_file: "delete-bucket-policy.json",
        expected_status: "compliant",
        fresh_bucket: false,
    },
];

async fn bench(args: &Args) -> Result<(), String> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    println!("warden-bench: bucket-guard cold starts through a local Lambda Runtime API");
    println!("function: {}", args.function.display());
    if cfg!(debug_assertions) {
        println!(
            "          note: the bench itself is a debug build, which slows its Runtime API; \
             build it with --release for numbers to hold against the budgets"
        );
    }
    if !args
        .function
        .components()
        .any(|c| c.as_os_str() == "release")
    {
        println!(
            "          note: not under a `release` directory; the budgets are for the release build"
        );
    }
    let load_start = read_load_average();
    println!(
        "machine:  {cores} cores (available to this process); load average {} (1/5/15 min)",
        load_average(&load_start)
    );

    let moto = warden_tests::start_private().map_err(|e| format!("starting moto: {e}"))?;
    println!("moto:     {} (private, loopback)", moto.endpoint());
    let config = warden_tests::sdk_config(moto.endpoint()).await;
    let s3 = warden_tests::s3(&config);

    let mut env = lambda_env(moto.endpoint());
    env.extend(
        [("WARDEN_MODE", "remediate"), ("WARDEN_SELF_ARN", SELF_ARN)]
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    println!(
        "config:   WARDEN_MODE=remediate, WARDEN_MIN_ENCRYPTION=sse-s3 (default), \
         WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK=true (default)"
    );
    println!(
        "runs:     {} per case, each a fresh process handling one event (+1 warm-up run per case, not counted)",
        args.runs
    );

    let pid = std::process::id();
    let mut results = Vec::new();
    for case in &CASES {
        let shared_bucket = format!("warden-bench-{}-{pid}", case.name);
        if !case.fresh_bucket {
            create_compliant_bucket(&s3, &shared_bucket).await?;
        }
        let mut samples = Vec::new();
        for run in 0..=args.runs {
            let bucket = if case.fresh_bucket {
                let bucket = format!("warden-bench-{}-{pid}-{run}", case.name);
                create_bucket(&s3, &bucket).await?;
                bucket
            } else {
                shared_bucket.clone()
            };
            let sample = measure(&args.function, &env, case, &bucket)
                .await
                .map_err(|e| {
                    let which = match run {
                        0 => "the warm-up run".to_string(),
                        n => format!("run {n}"),
                    };
                    format!("case {}, {which}: {e}", case.name)
                })?;
            if run > 0 {
                samples.push(sample);
            }
        }
        results.push((case, samples));
    }
    // The same S3 calls, replayed from this process's warm client: what the
    // emulator alone costs each case.
    let mut floors = Vec::new();
    for case in &CASES {
        let mut samples = Vec::new();
        for run in 0..=args.runs {
            let elapsed = emulator_floor(&s3, case, pid, run).await?;
            if run > 0 {
                samples.push(ms(elapsed));
            }
        }
        floors.push(stats(samples));
    }
    drop(moto);

    for ((case, samples), floor) in results.iter().zip(floors) {
        print_case(case, samples, floor);
    }
    println!(
        "\nemulator floor = the case's S3 calls (same concurrency: reads || writes || read-backs) \
         replayed from an already connected client in this process; the function's own share of \
         handling is roughly the difference."
    );
    if cfg!(debug_assertions) {
        println!(
            "note: this bench is a debug build; its Runtime API and client add overhead to every \
             number above. Use `cargo run --release -p warden-tests --bin warden-bench`."
        );
    }
    println!(
        "machine: {cores} cores; load average {} at start, {} at end",
        load_average(&load_start),
        load_average(&read_load_average())
    );
    println!(
        "verdict on the median (PASS = within budget); MB = MiB (1024 KiB), as Lambda counts memory."
    );
    Ok(())
}

/// One cold start: a fresh process handling the case's event for `bucket`.
async fn measure(
    function: &Path,
    env: &[(String, String)],
    case: &Case,
    bucket: &str,
) -> Result<Sample, String> {
    let event = EVENTS.read(case.event_file, bucket)?;
    let run = run_function(function, env, &[event])
        .await
        .map_err(|e| e.to_string())?;
    let with_stderr =
        |what: String| format!("{what}\n--- function stderr ---\n{}", run.stderr.trim_end());
    if let Some(init_error) = &run.init_error {
        return Err(with_stderr(format!(
            "the function failed to start: {init_error}"
        )));
    }
    let Some(invocation) = run.invocations.first() else {
        return Err(with_stderr(format!(
            "the function answered no event (exit status {:?})",
            run.exit_status
        )));
    };
    let outcome = match &invocation.result {
        InvocationResult::Response(outcome) => outcome,
        InvocationResult::Error {
            error_type,
            error_message,
        } => {
            return Err(with_stderr(format!(
                "the function answered an error: {error_type}: {error_message}"
            )));
        }
    };
    let status = outcome["status"].as_str().unwrap_or("<none>");
    if status != case.expected_status {
        return Err(format!(
            "outcome status `{status}`, expected `{}`: {outcome}",
            case.expected_status
        ));
    }
    let timings = &run.timings;
    match (
        timings.first_next,
        timings.first_event_done,
        timings.per_event.first(),
        run.peak_rss_kib,
    ) {
        (Some(first_next), Some(first_event_done), Some(handling), Some(peak_rss_kib)) => {
            Ok(Sample {
                first_next,
                first_event_done,
                handling: *handling,
                peak_rss_kib,
            })
        }
        _ => Err(with_stderr(format!(
            "incomplete measurement: {timings:?}, peak RSS {:?} KiB (exit status {:?})",
            run.peak_rss_kib, run.exit_status
        ))),
    }
}
