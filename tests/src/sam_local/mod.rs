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
//! [`suite`] drives a guard's test-kit fixture through both: every file in
//! `events/<guard>/`, seeded and judged by the fixture exactly as the
//! runtime-loop suites do.
//!
//! | module | what |
//! | --- | --- |
//! | `arch` | [`Architecture`]: of the binaries, the image and the container |
//! | `engine` | the base image ([`ensure_image`]) and the host's bridge address |
//! | `functions` | [`SamLocal`]: code folders, the generated template and `--env-vars` |
//! | `invoke` | `sam local invoke` ([`SamLocal::run`], [`SamRun`]) |
//! | `start_lambda` | `sam local start-lambda` ([`SamLocal::start_lambda`], [`StartLambda`]) |
//! | `suite` | every event file of a fixture through SAM, with a report per file |
//! | `process` | SAM's environment, command output, a run's temporary folder |
//!
//! Everything but `suite` is blocking std code (child processes,
//! `std::net`), so it works from plain `#[test]`s and from inside a
//! `#[tokio::test]`.

mod arch;
mod engine;
mod functions;
mod invoke;
mod process;
mod start_lambda;
pub mod suite;

pub use arch::Architecture;
pub use engine::{HOST_ADDRESS_ENV, IMAGE_ENV, IMAGE_SCRIPT, docker_host_address, ensure_image};
pub use functions::{SamLocal, bin_dir_from_env};
pub use invoke::{DELIVERY_ATTEMPTS, INVOKE_TIMEOUT, SamRun, parse_response};
pub use start_lambda::{START_TIMEOUT, StartLambda};

/// The host name the container knows the host by (`--add-host`), as in
/// `events/sam-local-env.json`.
pub const HOST_ALIAS: &str = "host.docker.internal";

/// Every function of `template.yaml` with the cargo binary it is built
/// from (`Metadata.BuildProperties.Binary`): (logical id, binary), such as
/// `("BucketGuardFunction", "bucket-guard")`. Read from the template, so a
/// new guard needs no edit here.
pub fn template_functions() -> Vec<(String, String)> {
    let resources = crate::template::template()["Resources"].as_object();
    resources
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .filter_map(|(id, resource)| {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str()?;
            Some((id.clone(), binary.to_string()))
        })
        .collect()
}
