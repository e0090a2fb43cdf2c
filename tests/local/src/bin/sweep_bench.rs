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

#[path = "../../../../functions/sweeper/tests/world/mod.rs"]
mod world;

use futures::StreamExt;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use world::bucket;

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

/// What one tool's run over one emulator came to.
#[derive(Debug, Clone, Default)]
struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_rss_mib: f64,
    calls: usize,
    /// Resources it reported (checked, or matched by the policy).
    resources: u64,
    detail: String,
}

/// CPU time and peak RSS of the children this process has waited for.
#[allow(unsafe_code)]
fn children() -> (Duration, f64) {
    // SAFETY: rusage is plain integers, so all-zero is a valid value, and
    // getrusage only writes into the struct it is handed.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) != 0 {
            return (Duration::ZERO, 0.0);
        }
        usage
    };
    let tv =
        |t: libc::timeval| Duration::from_micros(t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64);
    (
        tv(usage.ru_utime) + tv(usage.ru_stime),
        usage.ru_maxrss as f64 / 1024.0,
    )
}

/// Seeds `n` buckets named `prefix-N`: every fourth compliant (SSE-S3, the
/// TLS denies, Block Public Access), the others bare.
async fn seed_buckets(world: &world::World, prefix: &str, n: usize) {
    futures::stream::iter(0..n)
        .map(|i| {
            let name = format!("{prefix}-{i:05}");
            let s3 = world.s3.clone();
            async move {
                if i % 4 == 0 {
                    world::compliant_bucket(&s3, &name).await;
                } else {
                    bucket::create(&s3, &name).await;
                }
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
}

/// The rest of an account: 2,000 queues tagged (one in ten with an e-mail
/// address), 200 users (half with a console password, a quarter of those
/// with MFA), 20 trails.
async fn seed_rest(world: &world::World, prefix: &str) {
    futures::stream::iter(0..2000)
        .map(|i| {
            let sqs = world.sqs.clone();
            async move {
                let value = if i % 10 == 0 {
                    format!("owner{i}@example.org")
                } else {
                    "platform".into()
                };
                sqs.create_queue()
                    .queue_name(format!("{prefix}-q-{i:05}"))
                    .tags("team", value)
                    .send()
                    .await
                    .expect("CreateQueue");
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    futures::stream::iter(0..200)
        .map(|i| {
            let iam = world.iam.clone();
            async move {
                let name = format!("{prefix}-u-{i:03}");
                iam.create_user()
                    .user_name(&name)
                    .send()
                    .await
                    .expect("CreateUser");
                if i % 2 == 0 {
                    iam.create_login_profile()
                        .user_name(&name)
                        .password("A-long-password-1!")
                        .send()
                        .await
                        .expect("CreateLoginProfile");
                }
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let logs = format!("{prefix}-trail-logs");
    world::compliant_bucket(&world.s3, &logs).await;
    for i in 0..20 {
        world
            .cloudtrail
            .create_trail()
            .name(format!("{prefix}-trail-{i:02}"))
            .s3_bucket_name(&logs)
            .send()
            .await
            .expect("CreateTrail");
    }
}

/// Sweeps with the sweeper until the sweep is complete (continuations
/// included); wall time covers every process, cold starts included.
async fn run_sweeper(world: &world::World, binary: &Path, request: Value) -> (Measured, Value) {
    world.proxy.clear();
    let env = world.env(
        "observe",
        &[
            ("WARDEN_SWEEP_RESERVE_MS", "2000"),
            ("AWS_LAMBDA_LOG_LEVEL", "warn"),
        ],
    );
    let (cpu_before, _) = children();
    let started = Instant::now();
    let mut request = request;
    let mut summaries = Vec::new();
    let mut peak: f64 = 0.0;
    loop {
        let (answers, run) = world::sweep_with(binary, &env, &[request.clone()]).await;
        peak = peak.max(run.peak_rss_kib.unwrap_or(0) as f64 / 1024.0);
        let summary = answers.into_iter().next().unwrap_or(Value::Null);
        let done = summary["status"] != "continued";
        if !done {
            request = json!({"sweep": {"inline": true, "continuation": summary["continuation"]}});
        }
        summaries.push(summary);
        if done {
            break;
        }
    }
    let wall = started.elapsed();
    let (cpu_after, _) = children();
    let mut total =
        json!({"checked": {}, "by_rule": {}, "errors": 0, "invocations": summaries.len()});
    for s in &summaries {
        for (g, n) in s["checked"].as_object().into_iter().flatten() {
            let was = total["checked"][g].as_u64().unwrap_or(0);
            total["checked"][g] = json!(was + n.as_u64().unwrap_or(0));
        }
        for (r, statuses) in s["by_rule"].as_object().into_iter().flatten() {
            for (st, n) in statuses.as_object().into_iter().flatten() {
                let was = total["by_rule"][r][st].as_u64().unwrap_or(0);
                total["by_rule"][r][st] = json!(was + n.as_u64().unwrap_or(0));
            }
        }
        total["errors"] = json!(
            total["errors"].as_u64().unwrap_or(0)
                + s["errors"].as_array().map_or(0, |e| e.len() as u64)
        );
    }
    let resources = total["checked"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum();
    let measured = Measured {
        wall,
        cpu: cpu_after.saturating_sub(cpu_before),
        peak_rss_mib: peak,
        calls: world.proxy.seen().len(),
        resources,
        detail: format!("{} invocation(s)", summaries.len()),
    };
    (measured, total)
}

/// `custodian run` of the bucket-encryption policy against the emulator.
async fn run_custodian(
    world: &world::World,
    custodian: &Path,
    out: &Path,
) -> Result<Measured, String> {
    world.proxy.clear();
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let policy = out.join("bucket-encryption.yml");
    std::fs::write(
        &policy,
        "policies:\n  - name: bucket-encryption\n    resource: aws.s3\n    filters:\n      - type: bucket-encryption\n        state: false\n",
    )
    .map_err(|e| e.to_string())?;
    let (cpu_before, _) = children();
    let started = Instant::now();
    let output = tokio::process::Command::new(custodian)
        .arg("run")
        .arg("--region")
        .arg(world::REGION)
        .arg("-s")
        .arg(out.join("output"))
        .arg(&policy)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", out)
        .env("AWS_ENDPOINT_URL", world.proxy.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", world::REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .map_err(|e| format!("starting {}: {e}", custodian.display()))?;
    let wall = started.elapsed();
    let (cpu_after, peak) = children();
    if !output.status.success() {
        return Err(format!(
            "custodian exited with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let resources_file = out.join("output/bucket-encryption/resources.json");
    let matched = std::fs::read_to_string(&resources_file)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_array().map(|a| a.len() as u64))
        .unwrap_or(0);
    Ok(Measured {
        wall,
        cpu: cpu_after.saturating_sub(cpu_before),
        peak_rss_mib: peak,
        calls: world.proxy.seen().len(),
        resources: matched,
        detail: format!("{matched} buckets matched"),
    })
}

fn row(name: &str, n: usize, m: &Measured) -> String {
    format!(
        "  {name:<28} {n:>6}  {:>9.1} s  {:>8.1} s  {:>8.1} MiB  {:>7.2}  {:>8.2} ms  {}",
        m.wall.as_secs_f64(),
        m.cpu.as_secs_f64(),
        m.peak_rss_mib,
        m.calls as f64 / n.max(1) as f64,
        m.wall.as_secs_f64() * 1000.0 / n.max(1) as f64,
        m.detail
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("warden-sweep-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
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
