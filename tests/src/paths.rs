//! Where the workspace and its tools live.
//!
//! Tests run from varying working directories (cargo sets it to the package
//! dir, scripts may not), so every path is derived from this crate's own
//! location instead of the current directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable naming an alternative virtualenv directory, for
/// machines where the tools are installed outside `<root>/.venv`.
pub const VENV_ENV: &str = "WARDEN_VENV";

/// The workspace root: this crate lives at `<root>/tests`.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The virtualenv holding moto and the other Python tools: `$WARDEN_VENV` if
/// set and non-empty, else `<root>/.venv` (which `tests/run-all` creates).
pub fn venv_dir() -> PathBuf {
    venv_dir_from(std::env::var_os(VENV_ENV))
}

/// The path of the executable `name` in the virtualenv's `bin` directory.
pub fn venv_bin(name: &str) -> PathBuf {
    venv_dir().join("bin").join(name)
}

fn venv_dir_from(override_dir: Option<OsString>) -> PathBuf {
    match override_dir {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".venv"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_workspace() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml"))
            .expect("the workspace root has a Cargo.toml");
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn venv_defaults_to_root_dot_venv() {
        assert_eq!(venv_dir_from(None), workspace_root().join(".venv"));
        assert_eq!(
            venv_dir_from(Some("".into())),
            workspace_root().join(".venv")
        );
    }

    #[test]
    fn venv_override_is_honoured() {
        assert_eq!(
            venv_dir_from(Some("/opt/venv".into())),
            PathBuf::from("/opt/venv")
        );
    }
}
