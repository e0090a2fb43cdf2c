//! One tool's run over one emulator, measured: the sweeper through the local
//! Runtime API, Cloud Custodian as a process, and the row each prints.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::world;

/// What one tool's run over one emulator came to.
#[derive(Debug, Clone, Default)]
pub(super) struct Measured {
    pub(super) wall: Duration,
    pub(super) cpu: Duration,
    pub(super) peak_rss_mib: f64,
    pub(super) calls: usize,
    /// Resources it reported (checked, or matched by the policy).
    pub(super) resources: u64,
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

/// Sweeps with the sweeper until the sweep is complete (continuations
/// included); wall time covers every process, cold starts included.
pub(super) async fn run_sweeper(
    world: &world::World,
    binary: &Path,
    request: Value,
) -> (Measured, Value) {
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
pub(super) async fn run_custodian(
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

pub(super) fn row(name: &str, n: usize, m: &Measured) -> String {
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
