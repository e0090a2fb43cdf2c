//! `sam local` for real: every file in `events/<guard>/` through every
//! guard's built function, in a container on the local base image
//! (`tests/sam-local-image`), against a private moto on the host, through
//! `sam local start-lambda` (with `aws lambda invoke`) and
//! `sam local invoke`. Each guard's own test fixture seeds and judges every
//! case, exactly as its runtime-loop suites do
//! (`warden_tests::sam_local::suite`).
//!
//! These need a usable Docker engine and the image (built as root the first
//! time), so `cargo test --workspace` leaves them out; `tests/run-sam-local`
//! builds what they need and runs them with `--ignored`. When anything is
//! missing they fail and say what, they never skip.
//!
//! `WARDEN_SAM_LOCAL_BIN_DIR` (default `target/debug`) names the binaries;
//! `WARDEN_SAM_LOCAL_ARCH` (default the host's) their architecture.

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Each guard's test fixture (case table, seeding, read-back), shared with its
// own suites and `warden-local`, so SAM runs exactly the cases they run
// (bucket-guard's comes with the sweeper's world, below).
#[path = "../../functions/mfa-guard/tests/fixture/mod.rs"]
mod mfa;
#[path = "../../functions/tag-guard/tests/fixture/mod.rs"]
mod tag;
#[path = "../../functions/trail-guard/tests/fixture/mod.rs"]
mod trail;
// The functions that are not guards, with the worlds their own tests use.
#[path = "sam_local/rollback.rs"]
mod rollback_through_sam;
#[path = "../../functions/rollback/tests/world/mod.rs"]
mod rollback_world;
// It holds bucket-guard's fixture (loaded once: a file is one module).
#[path = "../../functions/sweeper/tests/world/mod.rs"]
mod sweep_world;
use sweep_world::bucket;
#[path = "sam_local/sweeper.rs"]
mod sweeper_through_sam;

use std::sync::OnceLock;

use warden_shared::Guard;
use warden_tests::kit::Fixture;
use warden_tests::sam_local::suite::{every_event_file, function_of};
use warden_tests::sam_local::{Architecture, SamLocal, bin_dir_from_env, docker_host_address};
use warden_tests::{Moto, start_private_on};

/// One moto for the whole test binary, where the containers reach the host
/// (the Docker bridge's gateway); every case uses names of its own.
fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let address = docker_host_address().unwrap_or_else(|e| panic!("{e}"));
        start_private_on(&address).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// `function` of `template.yaml` ready for `sam local`.
fn prepared(function: &str) -> SamLocal {
    let architecture = Architecture::from_env().unwrap_or_else(|e| panic!("{e}"));
    SamLocal::prepare_only(&bin_dir_from_env(), &[function], architecture)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every event file of `F` through its function under SAM; fails with
/// every check that did not hold.
async fn through_sam<F: Fixture>() {
    let function = function_of(F::Guard::NAME).expect("a guard of template.yaml");
    let sam = prepared(&function);
    let report = every_event_file::<F>(&sam, moto().endpoint()).await;
    println!(
        "sam-local: {}: {} of {} checks held ({}, image {}); by hand: sam local invoke {function} \
         -t {} -e events/{}/<file> --env-vars events/sam-local-env.json --invoke-image {} \
         --skip-pull-image --add-host host.docker.internal:{}",
        F::Guard::NAME,
        report.passed(),
        report.checks.len(),
        sam.architecture().name(),
        sam.image(),
        sam.user_template_path().display(),
        F::Guard::NAME,
        sam.image(),
        sam.host_address()
    );
    report.assert_held();
}

/// One test per guard: [`through_sam`] with the guard's fixture.
macro_rules! through_sam_tests {
    ($($test:ident => $fixture:ty),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "needs Docker and the sam local base image: run tests/run-sam-local"]
        async fn $test() {
            through_sam::<$fixture>().await;
        }
    )*};
}

through_sam_tests! {
    bucket_guard_every_event_file_through_sam_local => bucket::Buckets,
    tag_guard_every_event_file_through_sam_local => tag::Tags,
    mfa_guard_every_event_file_through_sam_local => mfa::Users,
    trail_guard_every_event_file_through_sam_local => trail::Trails,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the sam local base image: run tests/run-sam-local"]
async fn rollback_every_event_file_through_sam_local() {
    let sam = prepared(rollback_through_sam::FUNCTION);
    let report = rollback_through_sam::every_event_file(&sam, moto().endpoint()).await;
    println!(
        "sam-local: rollback: {} of {} checks held",
        report.passed(),
        report.checks.len()
    );
    report.assert_held();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the sam local base image: run tests/run-sam-local"]
async fn sweeper_every_event_file_through_sam_local() {
    let sam = prepared(sweeper_through_sam::FUNCTION);
    // An emulator of its own: a sweep lists everything there is.
    let report = sweeper_through_sam::every_event_file(&sam, sam.host_address()).await;
    println!(
        "sam-local: sweeper: {} of {} checks held",
        report.passed(),
        report.checks.len()
    );
    report.assert_held();
}
