//! The architecture of the binaries, and so of the image and the container.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::process::sam_error;
use crate::error::HarnessError;

/// The architecture of the binaries, and so of the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    X86_64,
    Arm64,
}

impl Architecture {
    /// The architecture of this machine (and of what cargo builds here).
    pub fn host() -> Self {
        if cfg!(target_arch = "aarch64") {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        }
    }

    /// `$WARDEN_SAM_LOCAL_ARCH` (`x86_64` or `arm64`), else [`Architecture::host`].
    pub fn from_env() -> Result<Self, HarnessError> {
        match std::env::var("WARDEN_SAM_LOCAL_ARCH").as_deref() {
            Err(_) | Ok("") => Ok(Architecture::host()),
            Ok(name) => Architecture::parse(name).ok_or_else(|| HarnessError::SamLocal {
                step: "WARDEN_SAM_LOCAL_ARCH".into(),
                detail: format!("{name:?} is not an architecture: use x86_64 or arm64"),
                output: String::new(),
            }),
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "x86_64" | "amd64" => Some(Architecture::X86_64),
            "arm64" | "aarch64" => Some(Architecture::Arm64),
            _ => None,
        }
    }

    /// The name SAM and Lambda use (`Architectures: [x86_64]`).
    pub fn name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The ELF `e_machine` of a binary for this architecture.
    pub(super) fn elf_machine(self) -> u16 {
        match self {
            Architecture::X86_64 => 0x3e,
            Architecture::Arm64 => 0xb7,
        }
    }

    /// glibc's dynamic loader in the (Debian) image.
    pub(super) fn loader(self) -> &'static str {
        match self {
            Architecture::X86_64 => "/lib64/ld-linux-x86-64.so.2",
            Architecture::Arm64 => "/lib/ld-linux-aarch64.so.1",
        }
    }
}

/// The binary exists and is an ELF executable for `architecture`.
pub(super) fn check_binary(binary: &Path, architecture: Architecture) -> Result<(), HarnessError> {
    let mut header = [0u8; 20];
    let read = fs::File::open(binary).and_then(|mut f| f.read_exact(&mut header));
    if let Err(e) = read {
        return Err(sam_error(
            "the function binaries",
            format!(
                "cannot read {} ({e}): build it first (tests/run-sam-local does)",
                binary.display()
            ),
            "",
        ));
    }
    let machine = u16::from_le_bytes([header[18], header[19]]);
    if &header[..4] != b"\x7fELF" || machine != architecture.elf_machine() {
        return Err(sam_error(
            "the function binaries",
            format!(
                "{} is not a Linux {} executable (ELF machine {machine:#x})",
                binary.display(),
                architecture.name()
            ),
            "",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_parse_both_spellings() {
        assert_eq!(Architecture::parse("amd64"), Some(Architecture::X86_64));
        assert_eq!(Architecture::parse("arm64"), Some(Architecture::Arm64));
        assert_eq!(Architecture::parse("aarch64"), Some(Architecture::Arm64));
        assert_eq!(Architecture::parse("riscv64"), None);
    }

    #[test]
    fn a_missing_binary_is_named() {
        let err = check_binary(Path::new("/nonexistent/bootstrap"), Architecture::X86_64)
            .expect_err("no such file");
        assert!(err.to_string().contains("/nonexistent/bootstrap"), "{err}");
    }

    #[test]
    fn a_binary_of_another_architecture_is_refused() {
        // The test binary itself is an ELF executable of the host.
        let me = std::env::current_exe().expect("the test binary");
        check_binary(&me, Architecture::host()).expect("the host's own architecture");
        let other = match Architecture::host() {
            Architecture::X86_64 => Architecture::Arm64,
            Architecture::Arm64 => Architecture::X86_64,
        };
        let err = check_binary(&me, other).expect_err("the other architecture");
        assert!(err.to_string().contains("is not a Linux"), "{err}");
    }
}
