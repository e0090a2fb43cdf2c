//! Running SAM and Docker: SAM's own environment, command output, errors that
//! carry it, and the temporary folder of one run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;

use serde_json::Value;

use crate::error::HarnessError;
use crate::fixtures::unique_id;
use crate::moto::spawn_tied_to_process;
use crate::paths::{venv_bin, venv_dir, workspace_root};

/// A temporary folder for one run's template, env-vars file and event (and
/// SAM's output); removed on drop, unless kept after a failure so the
/// command in the error can be rerun by hand.
#[derive(Debug)]
pub(super) struct RunDir {
    pub(super) path: PathBuf,
    keep: std::cell::Cell<bool>,
}

impl RunDir {
    pub(super) fn new(kind: &str) -> Result<Self, HarnessError> {
        let path = std::env::temp_dir().join(format!("warden-sam-local-{kind}-{}", unique_id()));
        fs::create_dir_all(&path)
            .map_err(|e| HarnessError::io(format!("creating {}", path.display()), e))?;
        Ok(RunDir {
            path,
            keep: std::cell::Cell::new(false),
        })
    }

    pub(super) fn write_json(&self, name: &str, value: &Value) -> Result<PathBuf, HarnessError> {
        let path = self.path.join(name);
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        fs::write(&path, text)
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    pub(super) fn keep(&self) {
        self.keep.set(true);
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.keep.get() && !thread::panicking() {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

pub(super) fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

/// `sam` from the virtualenv, in [`clean_command`]'s environment, with no
/// telemetry.
pub(super) fn sam_command(args: &[String]) -> Command {
    let mut command = clean_command(&venv_bin("sam").display().to_string());
    command
        .args(args)
        .env("SAM_CLI_TELEMETRY", "0")
        // The emulated arm64 runtime needs longer than SAM's 20 s to listen.
        .env("SAM_CLI_CONTAINER_CONNECTION_TIMEOUT", "120");
    command
}

/// `program` (a path, or a name looked up on `PATH`) with an environment of
/// its own, run from the workspace root: test credentials (SAM hands the
/// caller's AWS credentials to the container, and a developer's must never
/// reach a test), no profile or config file, and none of the caller's
/// other variables (SAM lets the shell's values override the template's),
/// only what finds programs and the Docker engine.
pub(super) fn clean_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(workspace_root()).env_clear();
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    command.env(
        "PATH",
        format!("{}:{path}", venv_dir().join("bin").display()),
    );
    for name in [
        "HOME",
        "TMPDIR",
        "PYENV_ROOT",
        "PYENV_VERSION",
        "DOCKER_HOST",
        "DOCKER_CONFIG",
        "DOCKER_CERT_PATH",
        "DOCKER_TLS_VERIFY",
        "SAM_CLI_RIE_DEV",
    ] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
        .env("LANG", "C.UTF-8")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", crate::aws::REGION)
        .env("AWS_DEFAULT_REGION", crate::aws::REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

pub(super) fn spawn_sam(
    args: &[String],
    stdout: &Path,
    stderr: &Path,
    step: &str,
) -> Result<Child, HarnessError> {
    let open = |path: &Path| {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| HarnessError::io(format!("creating {}", path.display()), e))
    };
    let mut command = sam_command(args);
    command
        .stdin(Stdio::null())
        .stdout(open(stdout)?)
        .stderr(open(stderr)?);
    spawn_tied_to_process(command).map_err(|e| {
        sam_error(
            step,
            format!(
                "cannot start {} ({e}): tests/setup creates the virtualenv with the SAM CLI",
                venv_bin("sam").display()
            ),
            "",
        )
    })
}

pub(super) struct Output {
    pub(super) status: ExitStatus,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

impl Output {
    pub(super) fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub(super) fn run_output(command: &mut Command, what: &str) -> Result<Output, HarnessError> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::io(format!("running {what}"), e))?;
    Ok(Output {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

pub(super) fn sam_error(step: &str, detail: String, output: &str) -> HarnessError {
    HarnessError::SamLocal {
        step: step.to_string(),
        detail,
        output: tail(output, 60),
    }
}

/// The last `lines` lines of `text`.
pub(super) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
