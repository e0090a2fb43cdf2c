//! The Docker engine's side: the base image, and the address the host has
//! on the default bridge.

use std::process::Command;

use super::arch::Architecture;
use super::process::{run_output, sam_error};
use crate::error::HarnessError;
use crate::paths::workspace_root;

/// The script that builds (or reuses) the base image.
pub const IMAGE_SCRIPT: &str = "tests/sam-local-image";

/// Set to use an image of your own as `--invoke-image` (for example AWS's
/// `public.ecr.aws/lambda/provided:al2023` where a registry is reachable);
/// then the script is not run and the image must exist.
pub const IMAGE_ENV: &str = "WARDEN_SAM_LOCAL_IMAGE";

/// Set to the address moto should listen on and the container should reach
/// the host by, instead of the Docker bridge's gateway.
pub const HOST_ADDRESS_ENV: &str = "WARDEN_SAM_LOCAL_HOST_ADDRESS";

/// The base image for `architecture`: `$WARDEN_SAM_LOCAL_IMAGE` if set (it
/// must exist), else what `tests/sam-local-image` builds or reuses (a second
/// when it exists; a few minutes, as root, the first time).
pub fn ensure_image(architecture: Architecture) -> Result<String, HarnessError> {
    if let Some(image) = std::env::var(IMAGE_ENV).ok().filter(|v| !v.is_empty()) {
        let out = run_output(
            Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", &image]),
            "docker image inspect",
        )?;
        if !out.status.success() {
            return Err(sam_error(
                "the base image",
                format!("{IMAGE_ENV}={image} is not an image of this Docker engine"),
                &out.text(),
            ));
        }
        return Ok(image);
    }
    let script = workspace_root().join(IMAGE_SCRIPT);
    let arch = architecture.name();
    let built = run_output(
        Command::new(&script).args(["--arch", arch]),
        &format!("{IMAGE_SCRIPT} --arch {arch}"),
    )?;
    if !built.status.success() {
        return Err(sam_error(
            "the base image",
            format!("{IMAGE_SCRIPT} --arch {arch} failed ({})", built.status),
            &built.text(),
        ));
    }
    let tag = run_output(
        Command::new(&script).args(["--arch", arch, "--print-tag"]),
        &format!("{IMAGE_SCRIPT} --print-tag"),
    )?;
    Ok(tag.stdout.trim().to_string())
}

/// The address the host has on Docker's default bridge (its gateway, usually
/// `172.17.0.1`), or `$WARDEN_SAM_LOCAL_HOST_ADDRESS`. A container on that
/// bridge reaches the host there; the host reaches it as a local address.
pub fn docker_host_address() -> Result<String, HarnessError> {
    if let Some(address) = std::env::var(HOST_ADDRESS_ENV)
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Ok(address);
    }
    let inspect = run_output(
        Command::new("docker").args([
            "network",
            "inspect",
            "bridge",
            "--format",
            "{{range .IPAM.Config}}{{.Gateway}} {{end}}|{{index .Options \"com.docker.network.bridge.name\"}}",
        ]),
        "docker network inspect bridge",
    )?;
    if !inspect.status.success() {
        return Err(sam_error(
            "the Docker engine",
            "`docker network inspect bridge` failed: is the engine running and usable by this user?"
                .into(),
            &inspect.text(),
        ));
    }
    let (gateways, interface) = inspect.stdout.trim().split_once('|').unwrap_or(("", ""));
    if let Some(gateway) = gateways.split_whitespace().find(|g| !g.contains(':')) {
        return Ok(gateway.to_string());
    }
    // Older engines leave the gateway out of IPAM: read the bridge interface.
    let interface = if interface.is_empty() {
        "docker0"
    } else {
        interface
    };
    let addr = run_output(
        Command::new("ip").args(["-4", "-o", "addr", "show", "dev", interface]),
        "ip addr show",
    )?;
    addr.stdout
        .split_whitespace()
        .skip_while(|word| *word != "inet")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next())
        .map(str::to_string)
        .ok_or_else(|| {
            sam_error(
                "the Docker engine",
                format!(
                    "no IPv4 address on the bridge interface {interface}; set {HOST_ADDRESS_ENV}"
                ),
                &addr.text(),
            )
        })
}
