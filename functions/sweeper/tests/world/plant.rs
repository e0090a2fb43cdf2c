//! The account the sweeper's tests plant, and what it looks like, for
//! "nothing changed" checks.

use super::{ACCOUNT, OTHER_REGION, REGION, World, bucket};
use aws_sdk_s3::Client as S3;
use serde_json::{Value, json};

/// The account the tests plant, with the names it used.
pub struct Planted {
    pub compliant: Vec<String>,
    pub violating: Vec<String>,
    /// Exempt from the TLS rules, violating the other two.
    pub exempt: String,
    /// A bucket in the other region (the shadow trail's logs).
    pub elsewhere: String,
    pub user_ok: String,
    pub user_without_mfa: String,
    pub user_without_console: String,
    pub trail: String,
    /// A multi-region trail whose home is the other region.
    pub shadow_trail: String,
    /// A topic tagged with a customer's e-mail address.
    pub pii_topic: String,
    pub clean_queue: String,
}

pub async fn compliant_bucket(s3: &S3, name: &str) {
    bucket::create(s3, name).await;
    bucket::set_encryption(s3, name, "AES256", None).await;
    bucket::set_policy(s3, name, &bucket::tls_policy(name)).await;
    bucket::set_public_access_block(s3, name, true).await;
}

/// Plants the account: 2 compliant buckets, 3 bare ones, 1 bare one exempt
/// from the TLS rules, 1 in another region; 3 users (one compliant, one
/// with a console password and no MFA, one without a console password); a
/// trail without a KMS key and a multi-region trail homed elsewhere; a
/// topic tagged with an e-mail address and a queue with a clean tag.
pub async fn plant(world: &World, tag: &str) -> Planted {
    let name = |what: &str| format!("sw-{tag}-{what}");
    let planted = Planted {
        compliant: vec![name("ok-1"), name("ok-2")],
        violating: vec![name("bad-1"), name("bad-2"), name("bad-3")],
        exempt: name("exempt"),
        elsewhere: name("eu"),
        user_ok: name("alice"),
        user_without_mfa: name("bob"),
        user_without_console: name("carol"),
        trail: name("trail"),
        shadow_trail: name("org-trail"),
        pii_topic: name("pii"),
        clean_queue: name("clean"),
    };
    for b in &planted.compliant {
        compliant_bucket(&world.s3, b).await;
    }
    for b in &planted.violating {
        bucket::create(&world.s3, b).await;
    }
    bucket::create(&world.s3, &planted.exempt).await;
    bucket::set_tags(
        &world.s3,
        &planted.exempt,
        &[("warden:exempt", "tls-required+tls-version")],
    )
    .await;
    let eu = world.s3_in(OTHER_REGION);
    eu.create_bucket()
        .bucket(&planted.elsewhere)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("CreateBucket in eu-west-1");

    for user in [
        &planted.user_ok,
        &planted.user_without_mfa,
        &planted.user_without_console,
    ] {
        world
            .iam
            .create_user()
            .user_name(user)
            .send()
            .await
            .expect("CreateUser");
    }
    for user in [&planted.user_ok, &planted.user_without_mfa] {
        world
            .iam
            .create_login_profile()
            .user_name(user)
            .password("A-long-password-1!")
            .send()
            .await
            .expect("CreateLoginProfile");
    }
    warden_tests::iam::enable_virtual_mfa(&world.iam, &planted.user_ok, &planted.user_ok).await;

    world
        .cloudtrail
        .create_trail()
        .name(&planted.trail)
        .s3_bucket_name(&planted.compliant[0])
        .send()
        .await
        .expect("CreateTrail");
    world
        .cloudtrail_in(OTHER_REGION)
        .create_trail()
        .name(&planted.shadow_trail)
        .s3_bucket_name(&planted.elsewhere)
        .is_multi_region_trail(true)
        .send()
        .await
        .expect("CreateTrail in eu-west-1");

    world
        .sns
        .create_topic()
        .name(&planted.pii_topic)
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("owner")
                .value("alice.customer@example.org")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateTopic");
    world
        .sqs
        .create_queue()
        .queue_name(&planted.clean_queue)
        .tags("team", "platform")
        .send()
        .await
        .expect("CreateQueue");
    planted
}

/// What the planted resources look like, for "nothing changed" checks.
pub async fn snapshot(world: &World, planted: &Planted) -> Value {
    let mut buckets = serde_json::Map::new();
    for b in planted
        .compliant
        .iter()
        .chain(&planted.violating)
        .chain([&planted.exempt])
    {
        let view = bucket::view(&world.s3, b).await;
        buckets.insert(
            b.clone(),
            json!({"encryption": view.encryption, "policy": view.policy, "pab": view.public_access_block}),
        );
    }
    let attached = world
        .iam
        .list_attached_user_policies()
        .user_name(&planted.user_without_mfa)
        .send()
        .await
        .unwrap();
    let attached: Vec<String> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{}", planted.pii_topic);
    let tags = world
        .sns
        .list_tags_for_resource()
        .resource_arn(topic)
        .send()
        .await
        .unwrap();
    let tags: serde_json::Map<String, Value> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), json!(t.value())))
        .collect();
    json!({"buckets": buckets, "quarantined": attached, "pii_tags": tags})
}
