//! The emulator's account: buckets by the thousand, then the rest of an
//! account (queues, users, trails) for the every-type sweep.

use std::future::Future;

use futures::StreamExt;

use crate::world::{self, bucket};

/// Runs `seed(i)` for every `i` below `n`, `at_once` of them at a time.
async fn each_of<F: Future<Output = ()>>(n: usize, at_once: usize, seed: impl FnMut(usize) -> F) {
    futures::stream::iter(0..n)
        .map(seed)
        .buffer_unordered(at_once)
        .collect::<Vec<()>>()
        .await;
}

/// Seeds `n` buckets named `prefix-N`: every fourth compliant (SSE-S3, the
/// TLS denies, Block Public Access), the others bare.
pub(super) async fn seed_buckets(world: &world::World, prefix: &str, n: usize) {
    each_of(n, 32, |i| {
        let name = format!("{prefix}-{i:05}");
        let s3 = world.s3.clone();
        async move {
            if i % 4 == 0 {
                world::compliant_bucket(&s3, &name).await;
            } else {
                bucket::create(&s3, &name).await;
            }
        }
    })
    .await;
}

/// The rest of an account: 2,000 queues tagged (one in ten with an e-mail
/// address), 200 users (half with a console password, a quarter of those
/// with MFA), 20 trails.
pub(super) async fn seed_rest(world: &world::World, prefix: &str) {
    each_of(2000, 32, |i| {
        let sqs = world.sqs.clone();
        async move {
            let value = if i % 10 == 0 {
                format!("owner{i}@example.org")
            } else {
                "platform".into()
            };
            sqs.create_queue()
                .queue_name(format!("{prefix}-q-{i:05}"))
                .tags("team", value)
                .send()
                .await
                .expect("CreateQueue");
        }
    })
    .await;
    each_of(200, 16, |i| {
        let iam = world.iam.clone();
        async move {
            let name = format!("{prefix}-u-{i:03}");
            iam.create_user()
                .user_name(&name)
                .send()
                .await
                .expect("CreateUser");
            if i % 2 == 0 {
                iam.create_login_profile()
                    .user_name(&name)
                    .password("A-long-password-1!")
                    .send()
                    .await
                    .expect("CreateLoginProfile");
            }
        }
    })
    .await;
    let logs = format!("{prefix}-trail-logs");
    world::compliant_bucket(&world.s3, &logs).await;
    for i in 0..20 {
        world
            .cloudtrail
            .create_trail()
            .name(format!("{prefix}-trail-{i:02}"))
            .s3_bucket_name(&logs)
            .send()
            .await
            .expect("CreateTrail");
    }
}
