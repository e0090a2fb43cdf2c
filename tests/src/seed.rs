//! Makes a sample event's resources real in the emulator.
//!
//! [`seed_event`] runs `tests/seed_moto.py` (boto3, from the virtualenv) on an
//! `events/` file: it creates every resource the event names in moto, applies
//! the event's tags with that service's own tagging call (unless the recorded
//! call failed), and returns the event rewritten to name those resources:
//! `warden-demo` becomes `warden-demo-<suffix>`, and generated identifiers
//! (instance id, load balancer ARN, KMS key id) are moto's. A guard run on the
//! returned event then sees real emulator state.
//!
//! This is blocking std code (a child process); it takes about a second per
//! event, more on the first EC2 or RDS call of a fresh moto.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::error::HarnessError;
use crate::paths::{venv_bin, workspace_root};

/// The seeding script, relative to the workspace root.
pub const SEED_SCRIPT: &str = "tests/seed_moto.py";

/// How long one seeding run may take before it is killed.
pub const SEED_TIMEOUT: Duration = Duration::from_secs(120);

/// Seeds the event in `file` (relative to the workspace root, e.g.
/// `"events/tag-guard/iam-tag-user.json"`) into the moto at `endpoint` and
/// returns the rewritten event.
///
/// `suffix` makes names unique (1-16 lowercase letters and digits, optionally
/// joined by single hyphens; see [`unique_suffix`]). Seeding the same file
/// twice with the same suffix reuses the resources.
///
/// # Errors
/// [`HarnessError::Seed`] with the script's stderr when it fails, times out or
/// prints something that is not a JSON event; [`HarnessError::Io`] when the
/// virtualenv's python cannot be started.
pub fn seed_event(endpoint: &str, file: &str, suffix: &str) -> Result<Value, HarnessError> {
    let python = venv_bin("python");
    let root = workspace_root();
    let failure = |detail: String, stderr: String| HarnessError::Seed {
        file: file.to_string(),
        endpoint: endpoint.to_string(),
        detail,
        stderr,
    };

    let mut child = Command::new(&python)
        .current_dir(&root)
        .arg(root.join(SEED_SCRIPT))
        .args(["--endpoint", endpoint, "--event"])
        .arg(root.join(file))
        .args(["--suffix", suffix])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            HarnessError::io(
                format!(
                    "starting {} (run tests/run-all, it creates .venv, or set WARDEN_VENV)",
                    python.display()
                ),
                e,
            )
        })?;

    // Drain both pipes while waiting, so a chatty script cannot block on a
    // full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + SEED_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(HarnessError::io(format!("waiting for {SEED_SCRIPT}"), e)),
        }
    };
    let stdout = stdout.map(join_reader).unwrap_or_default();
    let stderr = stderr.map(join_reader).unwrap_or_default();

    let Some(status) = status else {
        return Err(failure(
            format!("{SEED_SCRIPT} did not finish within {SEED_TIMEOUT:?}"),
            stderr,
        ));
    };
    if !status.success() {
        return Err(failure(
            format!("{SEED_SCRIPT} exited with {status}"),
            stderr,
        ));
    }
    let event: Value = serde_json::from_str(&stdout).map_err(|e| {
        failure(
            format!("{SEED_SCRIPT} printed something that is not JSON ({e}): {stdout:.200}"),
            stderr.clone(),
        )
    })?;
    if event.get("detail").is_none_or(|detail| !detail.is_object()) {
        return Err(failure(
            format!("{SEED_SCRIPT} printed JSON without a `detail` object"),
            stderr,
        ));
    }
    Ok(event)
}

/// A suffix for [`seed_event`] that no other call in any test process is
/// likely to use: 12 lowercase base-36 characters from the time, the process
/// id and a per-process counter.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mixed = nanos
        ^ (u128::from(std::process::id()) << 64)
        ^ (u128::from(COUNTER.fetch_add(1, Ordering::Relaxed)) << 96);
    // Fold to 64 bits, then take 12 base-36 digits (36^12 > 4.7e18).
    let mut n = (mixed as u64) ^ ((mixed >> 64) as u64);
    let mut out = String::with_capacity(12);
    for _ in 0..12 {
        let digit = (n % 36) as u32;
        out.push(char::from_digit(digit, 36).unwrap_or('0'));
        n /= 36;
    }
    out
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn join_reader(handle: thread::JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_suffixes_are_valid_and_distinct() {
        let a = unique_suffix();
        let b = unique_suffix();
        assert_ne!(a, b);
        for s in [&a, &b] {
            assert_eq!(s.len(), 12, "{s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{s}"
            );
        }
    }

    #[test]
    fn the_script_is_where_the_harness_looks() {
        assert!(workspace_root().join(SEED_SCRIPT).is_file());
    }
}
