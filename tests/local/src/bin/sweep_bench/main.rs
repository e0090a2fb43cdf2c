//! `warden-sweep-bench`: the sweeper against Cloud Custodian, on emulators
//! seeded the same way, in one run. Figures only: it prints, it never
//! fails on a number.
//!
//! For each bucket count (200, 2,000, 10,000 by default) a private moto is
//! seeded with that many buckets, three quarters of them breaking the
//! encryption rule (and the TLS and Block Public Access rules), then swept by
//! the release sweeper binary through the local Runtime API in observe mode
//! (`{"sweep": {"inline": true, "resource_types": ["s3-bucket"]}}`; a sweep
//! that runs out of its invocation's time goes on from its continuation, as
//! the queue would have it). At the Custodian size, `custodian run` (c7n from
//! its own virtualenv) runs the equivalent bucket-encryption policy against
//! the same emulator. Both go through a counting proxy; wall time is
//! measured around each process, client CPU and peak RSS from the kernel's
//! accounting of the finished child. At the Custodian size the rest of an
//! account (2,000 tagged resources, 200 IAM users, 20 trails) is then
//! seeded and swept whole, for the per-type figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../../../functions/sweeper/tests/world/mod.rs"]
mod world;

mod measure;
mod seed;

use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use measure::{Measured, row, run_custodian, run_sweeper};
use seed::{seed_buckets, seed_rest};

const USAGE: &str = "\
usage: warden-sweep-bench --sweeper PATH [--custodian PATH] [--sizes 200,2000,10000] [--custodian-size 2000]

Seeds moto with N buckets (three quarters violating) for each size, sweeps them
with the sweeper binary and, at --custodian-size, with Cloud Custodian's
bucket-encryption policy, and prints wall time, client CPU, peak RSS and AWS
calls per bucket for each.";

struct Args {
    sweeper: PathBuf,
    custodian: Option<PathBuf>,
    sizes: Vec<usize>,
    custodian_size: usize,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        sweeper: PathBuf::new(),
        custodian: None,
        sizes: vec![200, 2000, 10_000],
        custodian_size: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--sweeper" => args.sweeper = PathBuf::from(value()?),
            "--custodian" => args.custodian = Some(PathBuf::from(value()?)),
            "--sizes" => {
                args.sizes = value()?
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .parse()
                            .map_err(|_| format!("--sizes: {n:?} is not a number"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--custodian-size" => {
                args.custodian_size = value()?
                    .parse()
                    .map_err(|_| "--custodian-size needs a number".to_string())?
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if !args.sweeper.is_file() {
        return Err(format!(
            "--sweeper {} is not a file",
            args.sweeper.display()
        ));
    }
    Ok(Some(args))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match warden_local::args_or_exit("warden-sweep-bench", USAGE, parse_args()) {
        Ok(args) => args,
        Err(code) => return code,
    };
    println!(
        "  {:<28} {:>6}  {:>11}  {:>10}  {:>12}  {:>7}  {:>11}",
        "run", "N", "wall", "client CPU", "peak RSS", "calls/N", "wall/N"
    );
    let mut warden_at: Vec<(usize, Measured)> = Vec::new();
    let mut custodian: Option<Measured> = None;
    for &n in &args.sizes {
        let world = world::World::start().await;
        let seeding = Instant::now();
        seed_buckets(&world, "bench", n).await;
        eprintln!(
            "seeded {n} buckets in {:.1} s",
            seeding.elapsed().as_secs_f64()
        );
        if n == args.custodian_size
            && let Some(path) = &args.custodian
        {
            let out =
                std::env::temp_dir().join(format!("warden-sweep-bench-c7n-{}", std::process::id()));
            match run_custodian(&world, path, &out).await {
                Ok(m) => {
                    println!("{}", row("cloud-custodian (c7n)", n, &m));
                    custodian = Some(m);
                }
                Err(e) => println!("  cloud-custodian (c7n)        {n:>6}  FAILED: {e}"),
            }
            let _ = std::fs::remove_dir_all(&out);
        }
        let request = json!({"sweep": {"inline": true, "resource_types": ["s3-bucket"], "regions": [world::REGION]}});
        let (m, total) = run_sweeper(&world, &args.sweeper, request).await;
        println!("{}", row("warden sweeper (buckets)", n, &m));
        eprintln!("  {}", total);
        warden_at.push((n, m));
        if n == args.custodian_size {
            seed_rest(&world, "bench").await;
            let request = json!({"sweep": {"inline": true, "regions": [world::REGION]}});
            let (m, total) = run_sweeper(&world, &args.sweeper, request).await;
            let all = m.resources as usize;
            println!("{}", row("warden sweeper (every type)", all, &m));
            println!("      checked {}", total["checked"]);
            println!("      findings {}", total["by_rule"]);
        }
    }

    println!("\n  goals, as ratios in this run:");
    let at = warden_at
        .iter()
        .find(|(n, _)| *n == args.custodian_size)
        .map(|(_, m)| m.clone());
    if let (Some(c), Some(w)) = (&custodian, &at) {
        let wall = c.wall.as_secs_f64() / w.wall.as_secs_f64().max(1e-9);
        let cpu = c.cpu.as_secs_f64() / w.cpu.as_secs_f64().max(1e-9);
        let n = args.custodian_size as f64;
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        println!(
            "    wall: c7n / warden = {wall:.1}x (goal >= 5x: {})",
            verdict(wall >= 5.0)
        );
        println!(
            "    client CPU: c7n / warden = {cpu:.1}x (goal >= 20x: {})",
            verdict(cpu >= 20.0)
        );
        println!(
            "    AWS calls per bucket: warden {:.2}, c7n {:.2} (goal: no more than c7n: {})",
            w.calls as f64 / n,
            c.calls as f64 / n,
            verdict(w.calls <= c.calls)
        );
    } else {
        println!("    (no Custodian run: pass --custodian PATH)");
    }
    if let Some(w) = &at {
        println!(
            "    peak RSS: warden {:.1} MiB (goal <= 64 MB: {})",
            w.peak_rss_mib,
            if w.peak_rss_mib * 1.048_576 <= 64.0 {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    let per: Vec<String> = warden_at
        .iter()
        .map(|(n, m)| format!("{n}: {:.2} ms", m.wall.as_secs_f64() * 1000.0 / *n as f64))
        .collect();
    println!("    wall per bucket (flat is the goal): {}", per.join(", "));
    ExitCode::SUCCESS
}
