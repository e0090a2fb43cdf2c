//! `warden-local`: run Warden locally, end to end, and check it.
//!
//! Starts a private moto emulator on loopback, then for each guard seeds the
//! world of every file in `events/<guard>/` (the guard's own test fixture)
//! and runs the real function binary through a local Lambda Runtime API over
//! them, first in `observe` mode (nothing may change) and then in
//! `remediate` mode (every case must end as its fixture says), printing
//! before/after tables. Whether a rule holds is judged from state read back
//! with the SDK, not from the function's answer. Last, the sweeper sweeps an
//! account planted before any event (its own moto), observe then remediate;
//! and the state table: a fix recorded, rolled back by its change id, and
//! kept rolled back (`memory`).
//!
//! ```sh
//! cargo build -p bucket-guard -p tag-guard -p mfa-guard -p trail-guard -p warden-local
//! target/debug/warden-local --bin-dir target/debug
//! ```
//!
//! Exit code 0 when every guard's part held; 1 otherwise (what failed is
//! printed); 2 for a usage error. Everything it started is stopped on exit.

mod drive;
mod memory;
mod sweep;

// Each guard's test fixture (case table, seeding, read-back), shared with its
// own test suites so the local run exercises exactly what they do.
#[allow(clippy::duplicate_mod)]
#[path = "../../../../../functions/bucket-guard/tests/fixture/mod.rs"]
mod bucket;
#[path = "../../../../../functions/mfa-guard/tests/fixture/mod.rs"]
mod mfa;
#[path = "../../../../../functions/tag-guard/tests/fixture/mod.rs"]
mod tag;
#[path = "../../../../../functions/trail-guard/tests/fixture/mod.rs"]
mod trail;
// The sweeper's planted account, shared with its own tests (it brings its
// own copy of bucket-guard's fixture for seeding).
#[allow(clippy::duplicate_mod)]
#[path = "../../../../../functions/sweeper/tests/world/mod.rs"]
mod sweep_world;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: warden-local [--bin-dir DIR] [--only GUARD]

Runs every Warden function locally against a private moto emulator: seeds
resources that break its rules, runs the function over the matching CloudTrail
events in observe mode, then in remediate mode, and prints each resource's state
before and after. Exits 0 only if observe changed nothing and remediate fixed
every violation.

  --bin-dir DIR   where the built functions are (default: target/debug)
  --only GUARD    run one part: bucket-guard, tag-guard, mfa-guard, trail-guard, sweeper,
                  rollback (bucket-guard with the state table, then rollback)
  -h, --help      this help

moto_server comes from <workspace>/.venv (tests/run-local creates it) or $WARDEN_VENV.";

const GUARDS: [&str; 6] = [
    "bucket-guard",
    "tag-guard",
    "mfa-guard",
    "trail-guard",
    "sweeper",
    "rollback",
];

struct Args {
    bin_dir: PathBuf,
    only: Option<String>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        bin_dir: warden_tests::workspace_root().join("target/debug"),
        only: None,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--bin-dir" => {
                parsed.bin_dir = PathBuf::from(args.next().ok_or("--bin-dir needs a directory")?)
            }
            "--only" => {
                let guard = args.next().ok_or("--only needs a guard name")?;
                if !GUARDS.contains(&guard.as_str()) {
                    return Err(format!(
                        "unknown guard `{guard}`: use one of {}",
                        GUARDS.join(", ")
                    ));
                }
                parsed.only = Some(guard);
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    for guard in GUARDS
        .iter()
        .filter(|g| parsed.only.as_deref().is_none_or(|only| only == **g))
    {
        let binary = parsed.bin_dir.join(guard);
        if !binary.is_file() {
            return Err(format!(
                "{} is not a file (build it with `cargo build -p {guard}`)",
                binary.display()
            ));
        }
    }
    Ok(Some(parsed))
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = parse_args(std::env::args().skip(1));
    let args = match warden_local::args_or_exit("warden-local", USAGE, parsed) {
        Ok(args) => args,
        Err(code) => return code,
    };
    // The emulator lives until `run` returns, whichever way it returns.
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => warden_local::failed("warden-local", &message),
    }
}

/// Prints each of a part's problems, then its verdict line, `held` or
/// `failed`; whether it held.
fn verdict(part: &str, problems: &[String], held: &str, failed: &str) -> bool {
    for problem in problems {
        println!("  FAIL {problem}");
    }
    let ok = problems.is_empty();
    println!("{part}: {}", if ok { held } else { failed });
    ok
}

async fn run(args: &Args) -> Result<bool, String> {
    println!("warden-local: Warden end to end against a local emulator");
    let moto = warden_tests::start_private().map_err(|e| format!("starting moto: {e}"))?;
    println!("moto: {} (private; stopped on exit)", moto.endpoint());
    let endpoint = moto.endpoint().to_string();
    let mut results = Vec::new();
    for guard in GUARDS
        .iter()
        .filter(|g| args.only.as_deref().is_none_or(|only| only == **g))
    {
        println!("\n======== {guard} ========");
        let binary = args.bin_dir.join(guard);
        let held = match *guard {
            "bucket-guard" => drive::run::<bucket::Buckets>(&binary, &endpoint).await,
            "tag-guard" => drive::run::<tag::Tags>(&binary, &endpoint).await,
            "mfa-guard" => drive::run::<mfa::Users>(&binary, &endpoint).await,
            "trail-guard" => drive::run::<trail::Trails>(&binary, &endpoint).await,
            "sweeper" => sweep::run(&binary).await,
            _ => memory::run(&args.bin_dir, &endpoint).await,
        };
        results.push((*guard, held));
    }
    println!("\n======== summary ========");
    let mut all = true;
    for (guard, held) in &results {
        match held {
            Ok(true) => println!("  {guard:<13} PASS"),
            Ok(false) => {
                all = false;
                println!("  {guard:<13} FAIL (see above)");
            }
            Err(message) => {
                all = false;
                println!("  {guard:<13} FAIL: {message}");
            }
        }
    }
    println!("warden-local: {}", if all { "PASS" } else { "FAIL" });
    Ok(all)
}
