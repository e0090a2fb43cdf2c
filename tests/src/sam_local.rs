//! Warden's built functions under `sam local`, in a container on the base
//! image `tests/sam-local-image` builds without a registry, against a moto on
//! the host.
//!
//! [`SamLocal::prepare`] lays out one folder per function holding its binary
//! as `bootstrap` (under `target/sam-local/code-<arch>/`), so no second
//! `sam build` is needed: the binaries cargo already built are reused. Each
//! [`SamLocal::invoke`] then writes a small template naming those folders
//! (`CodeUri`), the function's settings from `template.yaml` (runtime,
//! handler, memory, timeout, log format) and an `Architectures` matching the
//! binaries, plus an `--env-vars` file and the event, and runs
//!
//! ```text
//! sam local invoke <Function> -t template.json -e event.json --env-vars env.json \
//!     --invoke-image warden-lambda-base:bookworm --skip-pull-image \
//!     --add-host host.docker.internal:<bridge gateway>
//! ```
//!
//! [`SamLocal::start_lambda`] runs `sam local start-lambda --warm-containers
//! EAGER` instead and invokes over its Lambda API, which saves SAM's start-up
//! and a container per event.
//!
//! The network: SAM 1.170 accepts `--docker-network host` but creates the
//! container on the default bridge anyway, so the container cannot reach the
//! host's loopback. moto listens on the bridge's gateway address instead
//! ([`SamLocal::host_address`], with [`crate::moto::start_private_on`]), which
//! the host and the container both reach under the same URL.
//!
//! Everything here is blocking std code (child processes, `std::net`), so it
//! works from plain `#[test]`s and from inside a `#[tokio::test]`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::HarnessError;
use crate::fixtures::unique_id;
use crate::moto::{free_port, spawn_tied_to_process};
use crate::paths::{venv_bin, venv_dir, workspace_root};
use crate::runtime_api::{InvocationResult, parse_log_lines};

/// The script that builds (or reuses) the base image.
pub const IMAGE_SCRIPT: &str = "tests/sam-local-image";

/// Set to use an image of your own as `--invoke-image` (for example AWS's
/// `public.ecr.aws/lambda/provided:al2023` where a registry is reachable);
/// then the script is not run and the image must exist.
pub const IMAGE_ENV: &str = "WARDEN_SAM_LOCAL_IMAGE";

/// Set to the address moto should listen on and the container should reach
/// the host by, instead of the Docker bridge's gateway.
pub const HOST_ADDRESS_ENV: &str = "WARDEN_SAM_LOCAL_HOST_ADDRESS";

/// The host name the container knows the host by (`--add-host`), as in
/// `events/sam-local-env.json`.
pub const HOST_ALIAS: &str = "host.docker.internal";

/// How long one `sam local invoke` may take. The first one on a new base
/// image also builds SAM's derived image (about 10 s); arm64 under emulation
/// is slower again.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(300);

/// What SAM logs when it could not hand an event to the container.
const NO_RESPONSE: &str = "No response from invoke container";

/// How many times [`SamLocal::run`] runs `sam local invoke` when SAM could
/// not hand the event to the container at all (never once it did).
pub const DELIVERY_ATTEMPTS: u32 = 3;

/// How long `sam local start-lambda` may take to start its warm containers.
pub const START_TIMEOUT: Duration = Duration::from_secs(300);

/// Each guard's logical id in `template.yaml` and its cargo binary.
pub const GUARD_FUNCTIONS: [(&str, &str); 4] = [
    ("BucketGuardFunction", "bucket-guard"),
    ("TagGuardFunction", "tag-guard"),
    ("MfaGuardFunction", "mfa-guard"),
    ("TrailGuardFunction", "trail-guard"),
];

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
    fn elf_machine(self) -> u16 {
        match self {
            Architecture::X86_64 => 0x3e,
            Architecture::Arm64 => 0xb7,
        }
    }

    /// glibc's dynamic loader in the (Debian) image.
    fn loader(self) -> &'static str {
        match self {
            Architecture::X86_64 => "/lib64/ld-linux-x86-64.so.2",
            Architecture::Arm64 => "/lib/ld-linux-aarch64.so.1",
        }
    }
}

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

/// Where the binaries of [`GUARD_FUNCTIONS`] are: `$WARDEN_SAM_LOCAL_BIN_DIR`
/// (relative to the workspace root), else `target/debug`; see
/// [`SamLocal::prepare`] for the layouts it understands.
pub fn bin_dir_from_env() -> PathBuf {
    let dir = std::env::var("WARDEN_SAM_LOCAL_BIN_DIR")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "target/debug".into());
    workspace_root().join(dir)
}

/// Functions ready for `sam local`: their code folders, the image, the
/// address moto must listen on.
#[derive(Debug, Clone)]
pub struct SamLocal {
    architecture: Architecture,
    image: String,
    host_address: String,
    /// Logical id -> the folder mounted at /var/task (holding `bootstrap`).
    code: BTreeMap<String, PathBuf>,
}

impl SamLocal {
    /// The four guards from `bin_dir`, built for `architecture`: cargo's
    /// layout (`target/debug/bucket-guard`), `sam build`'s
    /// (`.aws-sam/build/BucketGuardFunction/bootstrap`) or cargo lambda's
    /// (`target/lambda/bucket-guard/bootstrap`).
    pub fn prepare(bin_dir: &Path, architecture: Architecture) -> Result<Self, HarnessError> {
        let all: Vec<&str> = GUARD_FUNCTIONS.iter().map(|(id, _)| *id).collect();
        Self::prepare_only(bin_dir, &all, architecture)
    }

    /// [`SamLocal::prepare`] for some of the guards (logical ids).
    pub fn prepare_only(
        bin_dir: &Path,
        guards: &[&str],
        architecture: Architecture,
    ) -> Result<Self, HarnessError> {
        let mut functions = Vec::new();
        for guard in guards {
            let (logical_id, binary) = GUARD_FUNCTIONS
                .iter()
                .find(|(id, _)| id == guard)
                .ok_or_else(|| {
                    sam_error(
                        "the function binaries",
                        format!("{guard} is not one of the guards {GUARD_FUNCTIONS:?}"),
                        "",
                    )
                })?;
            // sam build's layout, cargo lambda's, then cargo's.
            let candidates = [
                bin_dir.join(logical_id).join("bootstrap"),
                bin_dir.join(binary).join("bootstrap"),
                bin_dir.join(binary),
            ];
            let path = candidates
                .iter()
                .find(|path| path.is_file())
                .unwrap_or(&candidates[2])
                .clone();
            functions.push((logical_id.to_string(), path));
        }
        Self::prepare_functions(&functions, architecture)
    }

    /// Any functions of `template.yaml`: (logical id, path of its binary).
    /// Makes sure the image exists, links each binary as
    /// `target/sam-local/code-<arch>/<LogicalId>/bootstrap`, and checks that
    /// the image's glibc can load every binary.
    pub fn prepare_functions(
        functions: &[(String, PathBuf)],
        architecture: Architecture,
    ) -> Result<Self, HarnessError> {
        let image = ensure_image(architecture)?;
        let host_address = docker_host_address()?;
        let code_root = workspace_root()
            .join("target/sam-local")
            .join(format!("code-{}", architecture.name()));
        let mut code = BTreeMap::new();
        for (logical_id, binary) in functions {
            function_properties(logical_id)?;
            check_binary(binary, architecture)?;
            let dir = code_root.join(logical_id);
            fs::create_dir_all(&dir)
                .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
            let bootstrap = dir.join("bootstrap");
            // cargo replaces a rebuilt binary with a new file: link afresh.
            let _ = fs::remove_file(&bootstrap);
            if fs::hard_link(binary, &bootstrap).is_err() {
                fs::copy(binary, &bootstrap).map_err(|e| {
                    HarnessError::io(
                        format!("copying {} to {}", binary.display(), bootstrap.display()),
                        e,
                    )
                })?;
            }
            code.insert(logical_id.clone(), dir);
        }
        let sam = SamLocal {
            architecture,
            image,
            host_address,
            code,
        };
        sam.check_loads_on_image()?;
        sam.write_user_template()?;
        Ok(sam)
    }

    /// `target/sam-local/template-<arch>.json`: the prepared functions with
    /// every variable `template.yaml` gives them declared, for running
    /// `sam local invoke -t` by hand with `events/sam-local-env.json`.
    pub fn user_template_path(&self) -> PathBuf {
        workspace_root()
            .join("target/sam-local")
            .join(format!("template-{}.json", self.architecture.name()))
    }

    fn write_user_template(&self) -> Result<(), HarnessError> {
        let declared: Vec<(String, Vec<(String, String)>)> =
            self.code
                .keys()
                .map(|function| {
                    let names = crate::template::template()["Resources"][function]["Properties"]
                    ["Environment"]["Variables"]
                    .as_object()
                    .map(|vars| vars.keys().map(|k| (k.clone(), String::new())).collect())
                    .unwrap_or_default();
                    (function.clone(), names)
                })
                .collect();
        let env: Vec<(&str, &[(String, String)])> = declared
            .iter()
            .map(|(function, vars)| (function.as_str(), vars.as_slice()))
            .collect();
        let path = self.user_template_path();
        let text = serde_json::to_string_pretty(&self.template(&env)?)
            .map_err(|e| sam_error("the template", e.to_string(), ""))?;
        fs::write(&path, text)
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
    }

    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// The `--invoke-image`.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// The host's address as containers see it: start moto there
    /// ([`crate::moto::start_private_on`]).
    pub fn host_address(&self) -> &str {
        &self.host_address
    }

    /// The folder mounted at `/var/task` for `function`.
    pub fn code_dir(&self, function: &str) -> Option<&Path> {
        self.code.get(function).map(PathBuf::as_path)
    }

    /// The template `sam local` runs: `functions` with their settings from
    /// `template.yaml`, the prepared code folders and this architecture, and
    /// exactly the environment variables named in `env` declared (SAM only
    /// passes `--env-vars` values for declared variables; their values come
    /// from that file).
    pub fn template(&self, env: &[(&str, &[(String, String)])]) -> Result<Value, HarnessError> {
        let mut resources = serde_json::Map::new();
        for (function, vars) in env {
            let code = self.code.get(*function).ok_or_else(|| {
                sam_error(
                    "the template",
                    format!(
                        "{function} was not prepared (prepared: {})",
                        self.code.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    "",
                )
            })?;
            let mut properties = function_properties(function)?;
            let declared: serde_json::Map<String, Value> =
                vars.iter().map(|(k, _)| (k.clone(), json!(""))).collect();
            properties.insert("CodeUri".into(), json!(code));
            properties.insert("Architectures".into(), json!([self.architecture.name()]));
            properties.insert("Environment".into(), json!({ "Variables": declared }));
            resources.insert(
                function.to_string(),
                json!({"Type": "AWS::Serverless::Function", "Properties": properties}),
            );
        }
        Ok(json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Description": "Generated by warden-tests (sam_local.rs) for sam local; not deployable.",
            "Resources": resources,
        }))
    }

    /// Runs `event` through `function` with `sam local invoke` and returns
    /// the function's response (Warden's outcome JSON). An error the
    /// function reports, or any failure of SAM or Docker, is an error that
    /// carries SAM's output (and so the function's logs).
    pub fn invoke(
        &self,
        function: &str,
        event: &Value,
        env: &[(String, String)],
    ) -> Result<Value, HarnessError> {
        let run = self.run(function, event, env)?;
        match run.result {
            InvocationResult::Response(value) => Ok(value),
            InvocationResult::Error {
                error_type,
                error_message,
            } => Err(sam_error(
                &format!("sam local invoke {function}"),
                format!("the function answered with an error: {error_type}: {error_message}"),
                &run.stderr,
            )),
        }
    }

    /// [`SamLocal::invoke`], keeping everything: the response or the
    /// function's error, SAM's stdout and stderr (where the function's log
    /// lines are), the time it took and the command line.
    pub fn run(
        &self,
        function: &str,
        event: &Value,
        env: &[(String, String)],
    ) -> Result<SamRun, HarnessError> {
        let dir = RunDir::new("invoke")?;
        let run = self.run_in(&dir, function, event, env);
        if run.is_err() {
            dir.keep();
        }
        run
    }

    fn run_in(
        &self,
        dir: &RunDir,
        function: &str,
        event: &Value,
        env: &[(String, String)],
    ) -> Result<SamRun, HarnessError> {
        let step = format!("sam local invoke {function}");
        let template = dir.write_json("template.json", &self.template(&[(function, env)])?)?;
        let env_file = dir.write_json("env.json", &env_vars_file(&[(function, env)]))?;
        let event_file = dir.write_json("event.json", event)?;

        let mut args: Vec<String> = vec!["local".into(), "invoke".into(), function.into()];
        args.extend(["-t".into(), path_arg(&template)]);
        args.extend(["-e".into(), path_arg(&event_file)]);
        args.extend(["--env-vars".into(), path_arg(&env_file)]);
        args.extend(self.container_args());

        let command = format!("sam {}", args.join(" "));
        let started = Instant::now();
        let mut attempts = 0;
        let (stdout, stderr) = loop {
            attempts += 1;
            let stdout_path = dir.path.join(format!("stdout.{attempts}"));
            let stderr_path = dir.path.join(format!("stderr.{attempts}"));
            let exit = run_sam(&args, &stdout_path, &stderr_path, INVOKE_TIMEOUT, &step)?;
            let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
            let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
            match exit {
                SamExit::Exited(status) if status.success() => break (stdout, stderr),
                SamExit::Exited(status) => {
                    return Err(sam_error(
                        &step,
                        format!("`{command}` failed ({status})"),
                        &format!("{stdout}\n{stderr}"),
                    ));
                }
                SamExit::TimedOut => {
                    return Err(sam_error(
                        &step,
                        format!("no answer within {INVOKE_TIMEOUT:?}; killed `{command}`"),
                        &stderr,
                    ));
                }
                SamExit::NotDelivered if attempts < DELIVERY_ATTEMPTS => continue,
                SamExit::NotDelivered => {
                    return Err(sam_error(
                        &step,
                        format!(
                            "SAM could not hand the event to the container's runtime emulator \
                             in {attempts} attempts (`{command}`)"
                        ),
                        &stderr,
                    ));
                }
            }
        };
        let elapsed = started.elapsed();
        let result = parse_response(&stdout).ok_or_else(|| {
            sam_error(
                &step,
                format!("SAM printed no JSON response on stdout: {stdout:?} (`{command}`)"),
                &stderr,
            )
        })?;
        Ok(SamRun {
            result,
            stdout,
            stderr,
            elapsed,
            attempts,
            command,
        })
    }

    /// Starts `sam local start-lambda` for `functions` (each with its
    /// environment), with warm containers started at once, on a free
    /// loopback port; returns when it accepts invocations.
    pub fn start_lambda(
        &self,
        functions: &[(&str, Vec<(String, String)>)],
    ) -> Result<StartLambda, HarnessError> {
        let step = "sam local start-lambda".to_string();
        let env: Vec<(&str, &[(String, String)])> = functions
            .iter()
            .map(|(f, vars)| (*f, vars.as_slice()))
            .collect();
        let dir = RunDir::new("start-lambda")?;
        let template = dir.write_json("template.json", &self.template(&env)?)?;
        let env_file = dir.write_json("env.json", &env_vars_file(&env))?;
        let port = free_port("127.0.0.1")?;

        let mut args: Vec<String> = vec!["local".into(), "start-lambda".into()];
        args.extend(["-t".into(), path_arg(&template)]);
        args.extend(["--env-vars".into(), path_arg(&env_file)]);
        args.extend(["--host".into(), "127.0.0.1".into()]);
        args.extend(["-p".into(), port.to_string()]);
        args.extend(["--warm-containers".into(), "EAGER".into()]);
        args.extend(self.container_args());

        let log_path = dir.path.join("start-lambda.log");
        let started = Instant::now();
        let child = spawn_sam(&args, &log_path, &log_path, &step)?;
        let mut server = StartLambda {
            child: Some(child),
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            log_path,
            command: format!("sam {}", args.join(" ")),
            started_in: Duration::ZERO,
            _dir: dir,
        };
        server.wait_until_ready()?;
        server.started_in = started.elapsed();
        Ok(server)
    }

    /// The flags both commands share: the image, no pull, the host alias.
    fn container_args(&self) -> Vec<String> {
        vec![
            "--invoke-image".into(),
            self.image.clone(),
            "--skip-pull-image".into(),
            "--add-host".into(),
            format!("{HOST_ALIAS}:{}", self.host_address),
            "--region".into(),
            crate::aws::REGION.into(),
        ]
    }

    /// Every prepared binary's libraries resolve in the image (the binaries
    /// are built on this host; the image must carry a glibc at least as new).
    fn check_loads_on_image(&self) -> Result<(), HarnessError> {
        let mut command = Command::new("docker");
        command.args(["run", "--rm", "--network", "none"]);
        let mut script = String::from("status=0; ");
        for (function, dir) in &self.code {
            command.args(["-v", &format!("{}:/check/{function}:ro", dir.display())]);
            script.push_str(&format!(
                "{loader} --list /check/{function}/bootstrap >/dev/null || \
                 {{ echo \"{function}: its bootstrap does not load on this image\"; status=1; }}; ",
                loader = self.architecture.loader()
            ));
        }
        script.push_str("exit $status");
        command.args(["--entrypoint", "/bin/sh", &self.image, "-c", &script]);
        let out = run_output(&mut command, "docker run (library check)")?;
        if out.status.success() {
            Ok(())
        } else {
            Err(sam_error(
                "the library check",
                format!(
                    "the binaries do not load on {} (a glibc older than the build host's, or the wrong architecture)",
                    self.image
                ),
                &out.text(),
            ))
        }
    }
}

/// One `sam local invoke`.
#[derive(Debug)]
pub struct SamRun {
    pub result: InvocationResult,
    /// SAM's stdout: the response, nothing else.
    pub stdout: String,
    /// SAM's stderr: its own messages and the function's log lines
    /// (between `START RequestId` and `END RequestId`).
    pub stderr: String,
    /// The whole command, container start and stop included (every attempt).
    pub elapsed: Duration,
    /// How many times SAM was run: more than 1 when SAM could not hand the
    /// event to the container the first time (see [`DELIVERY_ATTEMPTS`]).
    pub attempts: u32,
    /// The command line, to rerun by hand (its temporary files are gone).
    pub command: String,
}

impl SamRun {
    /// The function's JSON log lines.
    pub fn log_lines(&self) -> Vec<Value> {
        parse_log_lines(&self.stderr)
    }

    /// SAM's `REPORT RequestId: ...` line (durations, memory).
    pub fn report_line(&self) -> Option<&str> {
        self.stderr
            .lines()
            .find(|l| l.starts_with("REPORT RequestId"))
    }
}

/// A running `sam local start-lambda`; stopped (its warm containers
/// removed) on drop.
#[derive(Debug)]
pub struct StartLambda {
    child: Option<Child>,
    address: SocketAddr,
    log_path: PathBuf,
    command: String,
    started_in: Duration,
    _dir: RunDir,
}

impl StartLambda {
    /// The endpoint to give `aws lambda invoke --endpoint-url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How long it took to accept invocations (its warm containers started).
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// SAM's output so far: its messages and every function's log lines.
    pub fn logs(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The function's JSON log lines so far.
    pub fn log_lines(&self) -> Vec<Value> {
        parse_log_lines(&self.logs())
    }

    /// Invokes `function` with `event` (`POST
    /// /2015-03-31/functions/<function>/invocations`, what `aws lambda
    /// invoke` sends) and returns its response; a function error is an
    /// error carrying the logs.
    pub fn invoke(&self, function: &str, event: &Value) -> Result<Value, HarnessError> {
        match self.call(function, event)? {
            InvocationResult::Response(value) => Ok(value),
            InvocationResult::Error {
                error_type,
                error_message,
            } => Err(sam_error(
                &format!("start-lambda invoke {function}"),
                format!("the function answered with an error: {error_type}: {error_message}"),
                &self.logs(),
            )),
        }
    }

    /// [`StartLambda::invoke`], returning a function error as a result.
    pub fn call(&self, function: &str, event: &Value) -> Result<InvocationResult, HarnessError> {
        let step = format!("start-lambda invoke {function}");
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let mut attempts = 0;
        let (status, headers, body) = loop {
            attempts += 1;
            let logged_before = self.logs().len();
            let answer = http_post(self.address, &path, &event.to_string(), INVOKE_TIMEOUT)
                .map_err(|detail| sam_error(&step, detail, &self.logs()))?;
            // An empty answer and SAM's `No response from invoke container`
            // with no START since the request: the event never reached the
            // runtime emulator (see `not_delivered`), so sending it again
            // cannot run it twice.
            let logs = self.logs();
            let new_logs = logs.get(logged_before..).unwrap_or_default();
            if answer.2.is_empty() && not_delivered(new_logs) && attempts < DELIVERY_ATTEMPTS {
                continue;
            }
            break answer;
        };
        if status != 200 {
            return Err(sam_error(
                &step,
                format!("HTTP {status}: {}", String::from_utf8_lossy(&body)),
                &self.logs(),
            ));
        }
        let text = String::from_utf8_lossy(&body);
        let function_error = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("x-amz-function-error"));
        let result = parse_response(&text)
            .ok_or_else(|| sam_error(&step, format!("not a JSON response: {text:?}"), ""))?;
        match (function_error, result) {
            (true, InvocationResult::Response(value)) => Ok(InvocationResult::Error {
                error_type: value["errorType"].as_str().unwrap_or("unknown").into(),
                error_message: value["errorMessage"].as_str().unwrap_or_default().into(),
            }),
            (_, result) => Ok(result),
        }
    }

    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(500)).is_ok() {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(sam_error(
                    "sam local start-lambda",
                    format!(
                        "exited ({status}) before accepting invocations: `{}`",
                        self.command
                    ),
                    &self.logs(),
                ));
            }
            if Instant::now() >= deadline {
                return Err(sam_error(
                    "sam local start-lambda",
                    format!("not listening on {} within {START_TIMEOUT:?}", self.address),
                    &self.logs(),
                ));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for StartLambda {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SIGTERM lets SAM stop and remove its warm containers; SIGKILL after
        // a grace period would leave them behind, so it is the last resort.
        // kill(1) rather than libc: the harness keeps its one `unsafe` block.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

// ---- files -----------------------------------------------------------------

/// A temporary folder for one run's template, env-vars file and event (and
/// SAM's output); removed on drop, unless kept after a failure so the
/// command in the error can be rerun by hand.
#[derive(Debug)]
struct RunDir {
    path: PathBuf,
    keep: std::cell::Cell<bool>,
}

impl RunDir {
    fn new(kind: &str) -> Result<Self, HarnessError> {
        let path = std::env::temp_dir().join(format!("warden-sam-local-{kind}-{}", unique_id()));
        fs::create_dir_all(&path)
            .map_err(|e| HarnessError::io(format!("creating {}", path.display()), e))?;
        Ok(RunDir {
            path,
            keep: std::cell::Cell::new(false),
        })
    }

    fn write_json(&self, name: &str, value: &Value) -> Result<PathBuf, HarnessError> {
        let path = self.path.join(name);
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        fs::write(&path, text)
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    fn keep(&self) {
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

/// The `--env-vars` file: `{"<LogicalId>": {"NAME": "value", ...}}`.
fn env_vars_file(env: &[(&str, &[(String, String)])]) -> Value {
    let functions: serde_json::Map<String, Value> = env
        .iter()
        .map(|(function, vars)| {
            let vars: serde_json::Map<String, Value> =
                vars.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            (function.to_string(), Value::Object(vars))
        })
        .collect();
    Value::Object(functions)
}

/// What `template.yaml` says of a function that `sam local` uses: the
/// function's own properties over `Globals.Function`, less what only a
/// deployment has (the role, the log group, events, queues).
fn function_properties(function: &str) -> Result<serde_json::Map<String, Value>, HarnessError> {
    let template = crate::template::template();
    let resource = &template["Resources"][function];
    if resource["Type"] != "AWS::Serverless::Function" {
        return Err(sam_error(
            "the template",
            format!("template.yaml has no AWS::Serverless::Function {function}"),
            "",
        ));
    }
    // SAM merges a function's maps into the globals' key by key (its own
    // `LoggingConfig.LogGroup` beside the globals' `LogFormat`).
    let mut properties = serde_json::Map::new();
    for source in [&template["Globals"]["Function"], &resource["Properties"]] {
        for key in [
            "Runtime",
            "Handler",
            "MemorySize",
            "Timeout",
            "LoggingConfig",
        ] {
            match (properties.get_mut(key), source.get(key)) {
                (Some(Value::Object(merged)), Some(Value::Object(own))) => {
                    merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                (_, Some(value)) => {
                    properties.insert(key.into(), value.clone());
                }
                (_, None) => {}
            }
        }
    }
    if let Some(logging) = properties
        .get_mut("LoggingConfig")
        .and_then(Value::as_object_mut)
    {
        logging.remove("LogGroup");
    }
    Ok(properties)
}

/// The binary exists and is an ELF executable for `architecture`.
fn check_binary(binary: &Path, architecture: Architecture) -> Result<(), HarnessError> {
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

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

// ---- SAM's output ------------------------------------------------------------

/// The response SAM printed: the whole of stdout as JSON, else its last line
/// that is JSON. A Lambda error payload (`errorType` and `errorMessage`, no
/// outcome fields) is the function's error.
pub fn parse_response(stdout: &str) -> Option<InvocationResult> {
    let text = stdout.trim();
    let value = serde_json::from_str::<Value>(text).ok().or_else(|| {
        text.lines()
            .rev()
            .find_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
    })?;
    let is_error = value.as_object().is_some_and(|map| {
        map.get("errorType").is_some_and(Value::is_string)
            && map.contains_key("errorMessage")
            && !map.contains_key("status")
    });
    if is_error {
        Some(InvocationResult::Error {
            error_type: value["errorType"].as_str().unwrap_or_default().into(),
            error_message: value["errorMessage"]
                .as_str()
                .map_or_else(|| value["errorMessage"].to_string(), str::to_string),
        })
    } else {
        Some(InvocationResult::Response(value))
    }
}

// ---- processes ---------------------------------------------------------------

/// `sam` from the virtualenv, with an environment of its own: test
/// credentials (SAM hands the caller's AWS credentials to the container,
/// and a developer's must never reach a test), no profile, no telemetry, and
/// none of the caller's variables (SAM lets the shell's values override
/// the template's).
fn sam_command(args: &[String]) -> Command {
    let mut command = Command::new(venv_bin("sam"));
    command.args(args).current_dir(workspace_root()).env_clear();
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
    command.env(
        "PATH",
        format!("{}:{path}", venv_dir().join("bin").display()),
    );
    for name in [
        "HOME",
        "TMPDIR",
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
        .env("SAM_CLI_TELEMETRY", "0")
        // The emulated arm64 runtime needs longer than SAM's 20 s to listen.
        .env("SAM_CLI_CONTAINER_CONNECTION_TIMEOUT", "120")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", crate::aws::REGION)
        .env("AWS_DEFAULT_REGION", crate::aws::REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn spawn_sam(
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

/// How a `sam local invoke` ended.
enum SamExit {
    Exited(ExitStatus),
    /// Killed at the timeout.
    TimedOut,
    /// SAM gave up handing the event to the container (`No response from
    /// invoke container`) before the runtime emulator saw it (no `START
    /// RequestId`); killed at once rather than after SAM's function timer.
    NotDelivered,
}

/// Runs sam to completion, watching its stderr for an event it could not
/// deliver.
fn run_sam(
    args: &[String],
    stdout: &Path,
    stderr: &Path,
    timeout: Duration,
    step: &str,
) -> Result<SamExit, HarnessError> {
    let mut child = spawn_sam(args, stdout, stderr, step)?;
    let deadline = Instant::now() + timeout;
    let mut seen_len = 0;
    let mut last_look = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let text = fs::read_to_string(stderr).unwrap_or_default();
                return Ok(if status.success() && not_delivered(&text) {
                    SamExit::NotDelivered
                } else {
                    SamExit::Exited(status)
                });
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                remove_container(&fs::read_to_string(stderr).unwrap_or_default());
                return Ok(SamExit::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(HarnessError::io(format!("waiting for {step}"), e)),
        }
        if last_look.elapsed() >= Duration::from_millis(250) {
            last_look = Instant::now();
            let len = fs::metadata(stderr).map_or(0, |m| m.len());
            if len != seen_len {
                seen_len = len;
                let text = fs::read_to_string(stderr).unwrap_or_default();
                if not_delivered(&text) {
                    let _ = child.kill();
                    let _ = child.wait();
                    remove_container(&text);
                    return Ok(SamExit::NotDelivered);
                }
            }
        }
    }
}

/// Removes the container a killed SAM leaves behind (it logs
/// `SAM_CONTAINER_ID: <id>` when it creates one).
fn remove_container(sam_stderr: &str) {
    let ids = sam_stderr
        .lines()
        .filter_map(|line| line.split("SAM_CONTAINER_ID: ").nth(1))
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()));
    for id in ids {
        let _ = Command::new("docker")
            .args(["rm", "-f", id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// SAM's stderr says it could not reach the container's runtime emulator
/// and the emulator never started the invocation.
///
/// This happens under load: Docker's port proxy accepts SAM's connection
/// before the emulator in the container listens, SAM's three quick retries
/// (within a second) fail, and SAM prints this and exits 0 with no response
/// (after waiting out the function's timeout).
fn not_delivered(stderr: &str) -> bool {
    stderr.contains(NO_RESPONSE) && !stderr.contains("START RequestId")
}

struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Output {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn run_output(command: &mut Command, what: &str) -> Result<Output, HarnessError> {
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

fn sam_error(step: &str, detail: String, output: &str) -> HarnessError {
    HarnessError::SamLocal {
        step: step.to_string(),
        detail,
        output: tail(output, 60),
    }
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A blocking HTTP/1.1 POST with `Connection: close`: (status, headers, body).
type HttpAnswer = (u16, Vec<(String, String)>, Vec<u8>);

fn http_post(
    address: SocketAddr,
    path: &str,
    body: &str,
    timeout: Duration,
) -> Result<HttpAnswer, String> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("sending to {address}: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("reading the headers: {e}"))?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    reader
        .read_to_end(&mut body)
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok((status, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_the_json_sam_printed() {
        let out = "{\"guard\": \"bucket-guard\", \"status\": \"remediated\"}";
        assert_eq!(
            parse_response(out),
            Some(InvocationResult::Response(
                json!({"guard": "bucket-guard", "status": "remediated"})
            ))
        );
    }

    #[test]
    fn stray_lines_before_the_response_are_skipped() {
        let out = "SAM CLI update available\n{\"status\": \"compliant\"}\n";
        assert_eq!(
            parse_response(out),
            Some(InvocationResult::Response(json!({"status": "compliant"})))
        );
    }

    #[test]
    fn an_error_payload_is_the_functions_error() {
        let out = r#"{"errorType": "Runtime.ExitError", "errorMessage": "exit status 1"}"#;
        assert_eq!(
            parse_response(out),
            Some(InvocationResult::Error {
                error_type: "Runtime.ExitError".into(),
                error_message: "exit status 1".into(),
            })
        );
    }

    #[test]
    fn no_json_is_no_response() {
        assert_eq!(parse_response(""), None);
        assert_eq!(
            parse_response("Error: Running AWS SAM projects locally requires a container runtime."),
            None
        );
    }

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

    #[test]
    fn the_env_vars_file_is_keyed_by_function() {
        let vars = vec![("WARDEN_MODE".to_string(), "remediate".to_string())];
        assert_eq!(
            env_vars_file(&[("BucketGuardFunction", &vars)]),
            json!({"BucketGuardFunction": {"WARDEN_MODE": "remediate"}})
        );
    }
}
