//! The harness's error type: every failure names what was being done and how
//! to fix it, so a failing test explains itself.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The moto emulator is not installed where the harness looks for it.
    #[error(
        "moto_server not found at {}: run tests/run-all (it creates .venv) \
         or set WARDEN_MOTO_ENDPOINT to a running moto server",
        path.display()
    )]
    MotoMissing { path: PathBuf },

    /// A moto server was expected at `endpoint` but does not answer properly.
    #[error("moto at {endpoint}: {detail}")]
    Moto { endpoint: String, detail: String },

    /// An operating-system call failed; `context` says which one.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// `tests/seed_moto.py` could not make an event's resources real in moto.
    #[error("seeding {file} into moto at {endpoint}: {detail}; its stderr:\n{stderr}")]
    Seed {
        file: String,
        endpoint: String,
        detail: String,
        stderr: String,
    },

    /// A `sam local` step, or the Docker engine it needs, failed: `step` says
    /// which (the image, the build folder, the invocation), `detail` what
    /// happened, `output` what the command printed.
    #[error("sam local: {step}: {detail}{}", section(output))]
    SamLocal {
        step: String,
        detail: String,
        output: String,
    },

    /// A function run did not finish in time.
    #[error(
        "function {} did not answer all events within {after:?}; its stderr:\n{stderr}",
        binary.display()
    )]
    Timeout {
        binary: PathBuf,
        after: Duration,
        stderr: String,
    },
}

/// Command output under its own heading, or nothing when there is none.
fn section(output: &str) -> String {
    if output.trim().is_empty() {
        String::new()
    } else {
        format!("; its output:\n{}", output.trim_end())
    }
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        HarnessError::Io {
            context: context.into(),
            source,
        }
    }
}
