//! Detector tables (positive and negative samples per detector), the
//! allow-list, configuration parsing and property tests for masking, all
//! through the public API tag-guard uses.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use warden_shared::detect::{
    AccountIdsInIdentifiers, AllowList, Confidence, Detection, DetectorId, Detectors, TagAction,
    describe, detector_ids, parse_detector_list,
};
use warden_shared::mask::{mask, mask_spans};

use DetectorId::*;

const SECRET_1: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SECRET_2: &str = "PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA/";
const SECRET_3: &str = "2O76UMFxFkM/R5Kjp1vRt+1fjORS/6ilI8ihN5KX";
const SECRET_4: &str = "Sc7Tvo/hBKqFYY/kv5ZJr3J1TWDtkwtDDb+xHKas";
const SECRET_5: &str = "1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po+7";
const SECRET_6: &str = "99NksnRH9ucAUsdMlHUvTCQCyEZDz/TddJ8HyS5S";
const SECRET_7: &str = "UkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbn";
const SECRET_8: &str = "r3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJfm5d";

// ---------------------------------------------------------------------------
// Tables

const EMAIL_POS: &[(&str, &str)] = &[
    ("Owner", "jane.doe@example.com"),
    ("Author", "John.Smith@Example.COM"),
    ("contact", "ops+alerts@mail.example.co.uk"),
    ("Description", "Contact jane@example.org for access"),
    ("Name", "backup-owner:bob_99@corp.example.net"),
    (
        "CreatedBy",
        "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com",
    ),
    ("mail", "mailto:someone@example.io"),
    ("Owner", "<jane@example.com>"),
    ("Owner", "Jane Doe <jane.doe@example.com>"),
    ("team", "first.last@sub.domain.example.travel"),
    ("owner", "x@y.de"),
    ("email", "user%tag@example.com"),
    ("requester", "o'brien@example.ie"),
    ("Owner", "a.b-c_d@example-domain.com"),
    ("notify", "alerts@example.com,oncall@example.com"),
    ("Owner", "JANE@EXAMPLE.COM"),
    ("Description", "Owned by jane@example.com."),
    ("owner", "1234@numbers.example.com"),
    ("reviewer", "dev.team@xn--bcher-kva.example"),
    ("Owner", "j@example.museum"),
    ("Name", "report for bob@example.com (weekly)"),
    ("owner", "\"jane@example.com\""),
    ("Owner", "jane@example.com1"),
    ("Owner", "jane@example.com2024"),
    ("Description", "{\\\"email\\\":\\\"jane@example.com\\\"}"),
    ("Payload", "\\\"email\\\":\\\"jane@example.com\\\""),
    ("Notes", "ssh keys are managed by jane@example.com"),
];

const EMAIL_NEG: &[(&str, &str)] = &[
    ("Repository", "git@github"),
    ("Repository", "git@github.com:example-org/orders-api.git"),
    ("Login", "ssh deploy@bastion"),
    ("Login", "ssh admin@bastion.internal.example.com"),
    ("Clone", "ssh://git@github.com/org/repo.git"),
    ("Url", "https://jane@example.com/dashboard"),
    ("Package", "lodash@4.17.21"),
    ("Package", "@types/node@20.11.5"),
    (
        "Image",
        "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
    ),
    ("Icon", "logo@2x.png"),
    ("Handle", "@jane"),
    ("Note", "jane@"),
    ("Host", "root@localhost"),
    ("Addr", "admin@192.168.1.10"),
    ("Owner", "user@host"),
    ("BuildId", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19"),
    ("Role", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ("Created", "2024-05-17T09:42:13Z"),
    ("Version", "1.2.3-beta.1+build.5"),
    ("Commit", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("Path", "/home/user/.ssh/id_rsa"),
    ("Proxy", "https://proxy.example.com:8080"),
    ("Mention", "ping @oncall.team"),
    ("Owner", "jane.doe[at]example.com"),
    ("Login", "ssh -i key.pem user@host.example.com"),
    (
        "Login",
        "ssh -i ~/.ssh/prod.pem ec2-user@ec2-3-91-12-4.compute-1.amazonaws.com",
    ),
    (
        "Login",
        "ssh -p 2222 -o StrictHostKeyChecking=no deploy@bastion.example.com",
    ),
    (
        "Login",
        "/usr/bin/ssh -A -J jump admin@db.internal.example.com",
    ),
    ("Copy", "scp -P 2222 ops@files.example.com"),
    (
        "Key",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl jane@laptop.example.com",
    ),
];

const ACCOUNT_POS: &[(&str, &str)] = &[
    ("AccountId", "123456789012"),
    ("aws_account", "210987654321"),
    ("owner-account", "111122223333"),
    ("AWSAccountId", "444455556666"),
    ("account", "1234-5678-9012"),
    ("Description", "Account ID: 123456789012"),
    ("Notes", "lives in acct 098765432109"),
    ("TargetAccount", "prod (123456789012)"),
    ("payer_account_id", "999988887777"),
    ("AccountNumber", "000123456789"),
    ("Accounts", "123456789012, 210987654321"),
    ("Desc", "aws_account_id=123456789012"),
    ("Note", "see account 1234 5678 9012"),
    ("OwnerId", "123456789012"),
    ("owner", "123456789012"),
    ("RequesterId", "123456789012"),
    ("registryId", "123456789012"),
    ("payer", "123456789012"),
    ("InstanceOwnerId", "123456789012"),
    ("ExpectedBucketOwner", "123456789012"),
    ("Principal", "123456789012"),
    ("Description", "{\\\"awsAccountId\\\":\\\"123456789012\\\"}"),
    ("Payload", "{\"OwnerId\": \"123456789012\"}"),
    ("Notes", "owner=123456789012"),
    ("AccountId", "arn 123456789012"),
];

const ACCOUNT_NEG: &[(&str, &str)] = &[
    ("OrderNumber", "123456789012"),
    ("order", "100234567890"),
    ("InvoiceId", "INV-123456789012"),
    ("Bucket", "arn:aws:s3:::logs-123456789012"),
    ("LogBucket", "arn:aws:s3:::logs-123456789012/AWSLogs"),
    ("Policy", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ("AccountId", "12345678901"),
    ("AccountId", "1234567890123"),
    ("AccountId", "b7c1e9a2-4f3d-4c8e-9a61-123456789012"),
    ("Created", "2024-05-17T09:42:13Z"),
    ("Timestamp", "1715938933123"),
    ("AccountName", "production"),
    ("InstanceId", "i-0123456789abcdef0"),
    ("Tracking", "1Z999AA10123456784"),
    ("Batch", "batch-202405171234"),
    ("account", "ACC123456789012"),
    ("Commit", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("Version", "v1.2.3"),
    ("Sku", "SKU 123456789012"),
    ("Image", "arn:aws:ec2:us-east-1::image/ami-123456789012"),
    ("account", "12345678901234567890"),
    ("OrderNumber", "Order 123456789012 shipped"),
    ("Ticket", "notarn:aws:iam::123456789012:role/x"),
    ("account", "card 4111 1111 1111 1111"),
    ("OwnerPhone", "447700900123"),
];

/// Account ids inside AWS identifiers: not findings by default, whatever the
/// key; reported with `AccountIdsInIdentifiers::Report`, low and flagged.
const IDENTIFIERS: &[(&str, &str)] = &[
    ("Role", "arn:aws:iam::123456789012:role/Admin"),
    ("AccountId", "arn:aws:iam::123456789012:root"),
    ("OwnerId", "arn:aws:iam::123456789012:user/jane"),
    (
        "KmsKey",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    (
        "Topic",
        "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts",
    ),
    (
        "Table",
        "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/orders",
    ),
    ("Queue", "arn:aws-iso:sqs:us-iso-east-1:123456789012:q"),
    ("Queue", "arn:aws-iso-b:sqs:us-isob-east-1:123456789012:q"),
    (
        "Function",
        "arn:aws:lambda:us-east-1:123456789012:function:my-fn",
    ),
    (
        "Principal",
        "arn:aws:sts::123456789012:assumed-role/deployer/session",
    ),
    (
        "Log",
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*",
    ),
    (
        "AccessPoint",
        "arn:aws:s3:us-east-1:123456789012:accesspoint/ap",
    ),
    (
        "aws:cloudformation:stack-id",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/web/466df9e0-0dff-08e3-8e2f-5088487c4896",
    ),
    (
        "Image",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0",
    ),
    (
        "Queue",
        "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
    ),
    (
        "QueueUrl",
        "https://queue.amazonaws.com/123456789012/legacy",
    ),
    (
        "Console",
        "https://123456789012.signin.aws.amazon.com/console",
    ),
    (
        "Host",
        "reports-123456789012.s3-accesspoint.us-west-2.amazonaws.com",
    ),
    ("Bucket", "cdk-hnb659fds-assets-123456789012-us-east-1"),
    ("owner", "cdk-hnb659fds-deploy-role-123456789012-us-east-1"),
    ("Bucket", "sagemaker-us-east-1-123456789012"),
    ("account", "aws-cloudtrail-logs-123456789012-abcd1234"),
    ("Bucket", "aws-controltower-logs-123456789012-us-east-1"),
    ("Bucket", "elasticbeanstalk-eu-west-1-123456789012"),
    (
        "account",
        "StackSet-AWSControlTowerBP-BASELINE-CONFIG-123456789012",
    ),
    (
        "Prefix",
        "s3://logs/AWSLogs/123456789012/CloudTrail/us-east-1/",
    ),
    (
        "Description",
        "UpdateTrail on arn:aws:cloudtrail:us-east-1:123456789012:trail/main by the deployer role",
    ),
    (
        "Name",
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/management",
    ),
    (
        "Payload",
        "{\\\"Arn\\\":\\\"arn:aws:iam::123456789012:root\\\"}",
    ),
    ("CardNumber", "arn:aws:iam::501812345673:role/x"),
];

const ACCESS_KEY_POS: &[(&str, &str)] = &[
    ("LegacyKey", "AKIAIOSFODNN7EXAMPLE"),
    ("Description", "key AKIAIOSFODNN7EXAMPLE rotated"),
    (
        "creds",
        "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("sts", "ASIAY34FZKBOKMUTVV7A"),
    ("x", "AKIAZ2X3C4V5B6N7M2QW"),
    ("Name", "id=AKIAABCDEFGHIJKLMNOP"),
    ("note", "\"AKIAQWERTYUIOPASDFGH\""),
    ("env", "AWS_ACCESS_KEY_ID=AKIA4VBSHTAKEXAMPLE2"),
    ("a", "AKIA2345672345672345"),
    ("b", "ASIA7777777777777777"),
    ("c", "(AKIAJJJJKKKKLLLLMMMM)"),
    ("d", "keys: AKIAAAAABBBBCCCCDDDD, AKIAEEEEFFFFGGGGHHHH"),
    ("e", "AKIA1234567890123456"),
    ("f", "ASIAXYZXYZXYZXYZXYZ2"),
    ("g", "user/AKIAIOSFODNN7EXAMPLE"),
    ("h", "AKIAIOSFODNN7EXAMPLE\n"),
    ("i", "access_key_id: ASIAIOSFODNN7EXAMPLE"),
    ("j", "AKIAWWWWWWWWWWWWWWWW"),
    ("k", "ASIA2B3C4D5E6F7G2H3I"),
    ("l", "[AKIAPPPPQQQQRRRRSSSS]"),
    ("m", "token AKIA6ODU5DHT7VD7TNE5 ok"),
];

const ACCESS_KEY_NEG: &[(&str, &str)] = &[
    ("k", "AKIAIOSFODNN7EXAMPL"),
    ("k", "AKIAIOSFODNN7EXAMPLEX"),
    ("k", "akiaiosfodnn7example"),
    ("k", "XAKIAIOSFODNN7EXAMPLE"),
    ("k", "9AKIAIOSFODNN7EXAMPLE"),
    ("UserId", "AIDAJQABLZS4A3QDU576"),
    ("RoleId", "AROAEXAMPLEID1234567"),
    ("k", "AKIAiosfodnn7example"),
    ("k", "AKIA-IOSFODNN7EXAMPL"),
    ("k", "AKIA_IOSFODNN7EXAMPLE"),
    ("k", "AKIB1234567890ABCDEF"),
    ("BuildId", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19"),
    ("Role", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ("Created", "2024-05-17T09:42:13Z"),
    ("Version", "1.2.3"),
    ("Commit", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("Region", "ASIA/PACIFIC region"),
    ("k", "AKIA"),
    ("PolicyId", "ANPAJ2UCCR6DPCEXAMPLE"),
    ("CloudFrontKey", "APKAEIBAERJR2EXAMPLE"),
    ("Path", "/usr/local/bin/aws"),
];

fn secret_pos() -> Vec<(&'static str, String)> {
    vec![
        ("aws_secret_access_key", SECRET_1.into()),
        ("SecretAccessKey", SECRET_2.into()),
        ("Secret", SECRET_3.into()),
        ("Description", format!("aws_secret_access_key = {SECRET_1}")),
        ("Notes", format!("export AWS_SECRET_ACCESS_KEY={SECRET_4}")),
        ("creds", format!("AKIAIOSFODNN7EXAMPLE:{SECRET_1}")),
        ("ApiKey", SECRET_5.into()),
        ("token", SECRET_6.into()),
        ("password", SECRET_7.into()),
        ("secret-key", SECRET_8.into()),
        ("aws_access_key", SECRET_2.into()),
        ("Description", format!("secret: {SECRET_3}")),
        ("Note", format!("key={SECRET_4}")),
        ("AccessKeySecret", SECRET_5.into()),
        ("SECRET", SECRET_6.into()),
        ("deploy_secret", format!("\"{SECRET_7}\"")),
        ("credentials", SECRET_8.into()),
        ("SigningKey", SECRET_1.into()),
        ("aws-secret", format!("  {SECRET_2}  ")),
        (
            "Description",
            format!("rotate AKIAIOSFODNN7EXAMPLE / {SECRET_3}"),
        ),
        ("secret", format!("abc {SECRET_4} xyz")),
    ]
}

fn secret_neg() -> Vec<(&'static str, String)> {
    vec![
        (
            "GitCommit",
            "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90".into(),
        ),
        ("secret", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90".into()),
        ("secret", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709".into()),
        ("Description", SECRET_1.into()),
        ("Name", SECRET_2.into()),
        ("secret", SECRET_1[..39].into()),
        ("secret", format!("{SECRET_1}X")),
        ("secret", format!("{SECRET_1}=")),
        ("secret", "/Users/Jane/Documents/Projects/Warden2024".into()),
        ("secret", "A".repeat(40)),
        ("secret", "abcdefghijABCDEFGHIJabcdefghijABCDEFGHIJ".into()),
        ("secret", "Ab1".repeat(13) + "A"),
        ("public-key", SECRET_3.into()),
        (
            "ssh-key",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA2kR9Xq5p3Lz8Ym user@host".into(),
        ),
        ("secret", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19".into()),
        (
            "secret",
            "arn:aws:secretsmanager:eu-west-1::secret:prod/db-AbCdEf".into(),
        ),
        ("secret", "2024-05-17T09:42:13Z".into()),
        ("secret", "1.0.0-rc.1+build.20240517".into()),
        (
            "token",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        ),
        ("password", "correct-horse-battery-staple".into()),
        ("secret", format!("xx{SECRET_4}")),
        ("KeyName", "my-ec2-keypair-2024".into()),
    ]
}

const URL_POS: &[(&str, &str)] = &[
    (
        "Database",
        "postgres://orders:Wq8zP2vLx@orders-db.internal.example.com:5432/orders",
    ),
    ("Url", "https://user:pass123@example.com"),
    ("redis", "redis://:hunter2@cache.internal:6379/0"),
    (
        "mongo",
        "mongodb+srv://admin:S3cr3t!@cluster0.abcde.mongodb.net/test?retryWrites=true",
    ),
    ("ftp", "ftp://anonymous:guest@ftp.example.org"),
    ("amqp", "amqp://guest:guest@localhost:5672/"),
    (
        "Description",
        "connect via mysql://root:toor@10.0.0.5:3306/db today",
    ),
    (
        "git",
        "https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/repo.git",
    ),
    ("proxy", "http://proxyuser:pr0xy@proxy.example.com:3128"),
    (
        "webhook",
        "https://api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0@api.mailgun.net/v3",
    ),
    ("dsn", "https://public:secret123@sentry.example.com/1"),
    ("jdbc", "jdbc:postgresql://user:pw@db:5432/x"),
    ("url", "sftp://deploy:d3pl0y@files.example.com:22"),
    ("url", "s3://AKIA:secretkey@bucket"),
    ("url", "https://user:p@ss@host.example.com"),
    ("url", "(see https://u:v3ry-s3cret@h.example.com)."),
    ("url", "ldap://cn=admin:adminpw@ldap.example.com"),
    ("url", "https://user:password@example.com"),
    ("url", "postgresql://app:Zx9%21pass@[::1]:5432/app"),
    ("url", "smtp://mailer:M41l3r@smtp.example.com:587"),
    ("url", "HTTPS://Admin:Secret99@EXAMPLE.COM"),
    ("url", "https://user:p%40ss%21word@db.example.com"),
    ("url", "postgres://app:%21Secr3t%23@db.example.com:5432/app"),
    ("url", "redis://:%25abc123@cache.example.com:6379"),
];

const URL_NEG: &[(&str, &str)] = &[
    ("url", "https://example.com/path"),
    ("url", "https://user@example.com"),
    ("url", "postgres://user:${DB_PASSWORD}@db:5432/app"),
    ("url", "https://user:***@example.com"),
    ("url", "https://:@example.com"),
    ("url", "mysql://user:{{ password }}@db"),
    ("url", "https://user:<password>@host"),
    ("url", "redis://:xxxx@cache:6379"),
    ("url", "https://example.com/@jane"),
    ("url", "https://example.com/login?user=a:b@c"),
    ("url", "git@github.com:org/repo.git"),
    ("url", "ssh://git@github.com/org/repo"),
    ("url", "user:pass@host"),
    ("url", "https://host:8080/path"),
    ("url", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19"),
    ("url", "arn:aws:s3:::orders-api-logs-prod"),
    ("url", "2024-05-17T09:42:13Z"),
    ("url", "v2.14.3"),
    ("url", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("url", "s3://bucket/key@2x.png"),
    ("url", "file:///etc/passwd"),
    ("url", "https://user:pass@/path"),
    ("url", "redis://:%REDIS_PASSWORD%@cache:6379"),
];

const PK_BODY: &str = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7lxcuc3bZ9uSCSzsEeVdEQ1PZ";

fn private_key_pos() -> Vec<(&'static str, String)> {
    let block = |kind: &str, sep: &str| {
        format!("-----BEGIN {kind}-----{sep}{PK_BODY}{sep}-----END {kind}-----")
    };
    vec![
        ("key", block("RSA PRIVATE KEY", "\n")),
        ("key", block("PRIVATE KEY", "\n")),
        ("key", block("EC PRIVATE KEY", "\n")),
        ("key", block("OPENSSH PRIVATE KEY", "\n")),
        ("key", block("DSA PRIVATE KEY", "\n")),
        ("key", block("ENCRYPTED PRIVATE KEY", "\n")),
        ("key", block("PGP PRIVATE KEY BLOCK", "\n\n")),
        ("key", block("RSA PRIVATE KEY", "\r\n")),
        ("key", block("RSA PRIVATE KEY", " ")),
        ("key", block("RSA PRIVATE KEY", "")),
        ("Description", format!("key: {}", block("PRIVATE KEY", " "))),
        (
            "Notes",
            format!("-----BEGIN RSA PRIVATE KEY-----\n{PK_BODY}"),
        ),
        (
            "Notes",
            format!("-----BEGIN PRIVATE KEY----- {}", &PK_BODY[..40]),
        ),
        ("Notes", "-----BEGIN RSA PRIVATE KEY-----MIIEpA".into()),
        (
            "Notes",
            "-----BEGIN OPENSSH PRIVATE KEY-----   b3BlbnNzaC1rZXktdjE".into(),
        ),
        (
            "Notes",
            format!("{} trailing", block("EC PRIVATE KEY", "\n")),
        ),
        (
            "Notes",
            format!(
                "a {} b {}",
                block("EC PRIVATE KEY", " "),
                block("RSA PRIVATE KEY", " ")
            ),
        ),
        ("k", format!("\"{}\"", block("PRIVATE KEY", "\\n"))),
        ("k", block("SSH2 ENCRYPTED PRIVATE KEY", "\n")),
        (
            "k",
            format!("Proc-Type: 4,ENCRYPTED {}", block("RSA PRIVATE KEY", "\n")),
        ),
        ("k", block("ANY PRIVATE KEY", "\n")),
    ]
}

const PRIVATE_KEY_NEG: &[(&str, &str)] = &[
    (
        "k",
        "-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
    ),
    ("k", "-----BEGIN CERTIFICATE-----MIIC2jCCAcKgAwIBAgIJAKZ"),
    ("k", "-----BEGIN RSA PUBLIC KEY-----"),
    ("k", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host"),
    ("k", "BEGIN RSA PRIVATE KEY"),
    ("k", "private key stored in Secrets Manager"),
    ("k", "-----BEGIN CERTIFICATE REQUEST-----"),
    ("k", "-----BEGIN rsa private key-----"),
    ("k", "/home/user/.ssh/id_rsa"),
    ("k", "-----END RSA PRIVATE KEY-----"),
    ("k", "-----BEGIN PRIVATE KEY"),
    ("k", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19"),
    ("k", "arn:aws:kms:eu-west-1::alias/private-key"),
    ("k", "2024-05-17T09:42:13Z"),
    ("k", "1.2.3"),
    ("k", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("k", "PRIVATE KEY"),
    ("k", "-----BEGIN SSH2 PUBLIC KEY-----"),
    ("k", "-----BEGIN X509 CRL-----"),
    ("k", "kms key alias/private-key"),
    ("k", "----BEGIN RSA PRIVATE KEY----"),
    ("k", "-----BEGIN RSA PRIVATE KEY-----"),
    (
        "k",
        "-----BEGIN OPENSSH PRIVATE KEY-----  \n-----END OPENSSH PRIVATE KEY-----",
    ),
];

const CARD_POS: &[(&str, &str)] = &[
    ("CardNumber", "4111111111111111"),
    ("card", "4012888888881881"),
    ("card", "4222222222222"),
    ("card", "5555555555554444"),
    ("card", "5105105105105100"),
    ("card", "2223003122003222"),
    ("card", "378282246310005"),
    ("card", "371449635398431"),
    ("card", "6011111111111117"),
    ("card", "6011000990139424"),
    ("card", "3530111333300000"),
    ("card", "3566002020360505"),
    ("card", "30569309025904"),
    ("card", "38520000023237"),
    ("card", "6200000000000005"),
    ("card", "6759649826438453"),
    ("card", "4111 1111 1111 1111"),
    ("card", "4111-1111-1111-1111"),
    ("card", "3782 822463 10005"),
    ("Description", "paid with 4000056655665556 yesterday"),
    ("card", "5200828282828210"),
    ("Notes", "4242424242424242"),
    ("card", "6205500000000000004"),
    ("Notes", "card: 4111111111111111 exp 12/26"),
    ("card", "213112345678904"),
    ("card", "180012345678905"),
    ("card", "3528000700000000"),
    ("card", "501812345673"),
    ("card", "6759649826438453"),
    ("card", "6304000000000000"),
    ("card", "5018 1234 5673"),
    ("Notes", "maestro 6761234567890123455"),
    ("Notes", "paid with 3509337514229976"),
];

const CARD_NEG: &[(&str, &str)] = &[
    ("card", "4111111111111112"),
    ("card", "1234567812345678"),
    ("card", "1715938933123"),
    ("card", "0000000000000000"),
    ("card", "411111111111"),
    ("card", "41111111111111111111"),
    ("card", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19"),
    ("card", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ("card", "20240517094213"),
    ("card", "4.111.111.111.111"),
    ("card", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("card", "+1 212 555 0199"),
    ("card", "4111.1111.1111.1111"),
    ("card", "v4111111111111111"),
    ("card", "4111111111111111abc"),
    ("card", "3.14159265358979323"),
    ("card", "order 100234567890"),
    ("card", "DE89370400440532013000"),
    ("card", "4111 1111 1111 111"),
    ("card", "ISBN 978-3-16-148410-0"),
    ("card", "5555555555554443"),
    ("card", "4111 11 11 1111 1111"),
    ("card", "4111111111111111.5"),
    ("Barcode", "571174296921"),
    ("Notes", "501812345673"),
];

const PHONE_POS: &[(&str, &str)] = &[
    ("Phone", "+1 212 555 0199"),
    ("phone_number", "(212) 555-0199"),
    ("Mobile", "+44 7700 900123"),
    ("tel", "+33 1 23 45 67 89"),
    ("ContactPhone", "212-555-0199"),
    ("Fax", "+49 30 1234567"),
    ("cell", "555.867.5309"),
    ("OnCallPhone", "+61 2 9876 5432"),
    ("whatsapp", "+5511987654321"),
    ("Description", "call +1 415 555 0132 after hours"),
    ("Notes", "tel:+1-800-555-0100"),
    ("Notes", "Phone: 020 7946 0958"),
    ("msisdn", "447700900123"),
    ("PhoneNumber", "5550100"),
    ("mobile", "+91 98765 43210"),
    ("emergency_contact", "+1 (555) 010-4477"),
    ("phone", "+81-3-1234-5678"),
    ("Contact", "+44 20 7946 0958"),
    ("PagerPhone", "1-800-555-0199"),
    ("phones", "+1 212 555 0199, +1 212 555 0188"),
    ("sms", "07700 900456"),
    ("Phone", "+1 212 555 0199 x123"),
    ("Phone", "212-555-0199 ext. 123"),
    ("Phone", "001-715-244-0916x50263"),
    ("Phone", "+1 (212) 555-0199;ext=42"),
    ("Phone", "+61.3.1234.5678"),
    ("Mobile", "+61.453.988.694"),
    ("Phone", "+49(0)7828 686603"),
];

const PHONE_NEG: &[(&str, &str)] = &[
    ("Phone", "2024-05-17"),
    ("Phone", "192.168.10.200"),
    ("Phone", "10.0.19041.1"),
    ("Phone", "ext. 123"),
    ("Version", "+1 212 555 0199"),
    ("OrderNumber", "212-555-0199"),
    ("Phone", "b7c1e9a2-4f3d-4c8e-9a61-446655440000"),
    ("Phone", "2024-05-17T09:42:13Z"),
    ("Phone", "N/A"),
    ("Phone", "1234567890123456789"),
    ("Description", "build 20240517 for 5 regions"),
    ("Phone", "v1.2.3"),
    ("Phone", "15.01.2024"),
    ("Phone", "12:30:45"),
    ("Phone", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("Phone", "ID-5551234567"),
    ("Phone", "123456"),
    ("Phone", "1.2.3.4.5.6.7"),
    ("Phone", "jane@example.com"),
    ("Phone", "(555 123-4567"),
    ("Phone", "x5551234567"),
    ("Phone", "/var/log/5551234567"),
];

const SIG: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6m8d2ZQ4YSJTjd4mIj2uAGBp6x0lzpBHWfwqqkIXyDAIgPqLTBMcS2T6KCu2V8nBaHFP0jAuf2MJ1Xt9UrqW3Ur4qmwIIo";

fn session_pos() -> Vec<(&'static str, String)> {
    let presigned = |q: &str| format!("https://reports.s3.us-east-1.amazonaws.com/q3.pdf?{q}");
    let cred = "X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20240517%2Fus-east-1%2Fs3%2Faws4_request";
    vec![
        ("Url", presigned(&format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&{cred}&X-Amz-Date=20240517T093512Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD6m8d2ZQ4YSJTjd4mIj2uAGBp6&X-Amz-Signature={SIG}"))),
        ("Url", presigned(&format!("X-Amz-Algorithm=AWS4-HMAC-SHA256&{cred}&X-Amz-Signature={SIG}"))),
        ("Description", format!("download: {}", presigned(&format!("X-Amz-Signature={SIG}")))),
        ("Link", presigned(&format!("x-amz-signature={SIG}"))),
        ("Link", presigned(cred)),
        ("Link", "https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=I5QhzCQsL4W5UDD2vRTj%2B0qBo2A%3D&Expires=1610366992".into()),
        ("env", format!("AWS_SESSION_TOKEN={TOKEN}")),
        ("Notes", format!("aws_session_token = {TOKEN}")),
        ("Notes", format!("{{\"SessionToken\": \"{TOKEN}\"}}")),
        ("Notes", format!("{{\\\"SessionToken\\\":\\\"{TOKEN}\\\"}}")),
        ("Header", format!("X-Amz-Security-Token: {TOKEN}")),
        ("Description", TOKEN.into()),
        ("SessionToken", TOKEN.into()),
        ("aws_session_token", "FwoGZXIvYXdzEBYaDHhBTXx2example0KjAbCdEfGhIjKlMnOpQrStUvWxYz".into()),
        ("Notes", format!("token {TOKEN} expires at noon")),
        ("Notes", "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==".into()),
        ("creds", format!("AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A AWS_SECRET_ACCESS_KEY={SECRET_1} AWS_SESSION_TOKEN={TOKEN}")),
        ("Url", format!("https://example.com/api?X-Amz-Security-Token={TOKEN}")),
        ("SecurityToken", format!("\"{TOKEN}\"")),
        ("Notes", format!("X-Amz-Signature={SIG}")),
    ]
}

fn session_neg() -> Vec<(&'static str, String)> {
    vec![
        ("Url", "https://reports.s3.us-east-1.amazonaws.com/q3.pdf".into()),
        ("Url", "https://reports.s3.amazonaws.com/q3.pdf?versionId=3HL4kqtJlcpXroDTDmJ".into()),
        ("Notes", "X-Amz-Signature=".into()),
        ("Notes", "X-Amz-Signature=${SIGNATURE}".into()),
        ("Notes", "set X-Amz-Security-Token to the session token".into()),
        ("Notes", "X-Amz-Credential=abc".into()),
        ("Notes", "X-Amz-Date=20240517T093512Z&X-Amz-Expires=3600".into()),
        ("Notes", format!("Signature={SIG}")),
        ("Commit", SIG.into()),
        ("Checksum", format!("sha256:{SIG}")),
        ("Notes", "AWS_SESSION_TOKEN=".into()),
        ("Notes", "session_token = <token>".into()),
        ("SessionToken", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19".into()),
        ("SessionToken", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90".into()),
        ("Description", "IQoJ".into()),
        ("Key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA2kR9Xq5p3Lz8YmC7vbqajDhA2kR9Xq5p3Lz8YmC7vbqajDhA2kR9Xq5p3Lz8Ym user@host".into()),
        ("Image", format!("nginx@sha256:{SIG}")),
        ("Notes", "MySignature=abcdefabcdefabcdefabcdef".into()),
        ("Token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789".into()),
        ("Notes", "Token=IQoJb3JpZ2lu".into()),
    ]
}

/// Values no detector may flag under any of these keys, including keys that
/// make detectors eager.
const GENERIC_NEG: &[&str] = &[
    "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19",
    "550e8400-e29b-41d4-a716-446655440000",
    "arn:aws:s3:::orders-api-logs-prod",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "2024-05-17T09:42:13Z",
    "2024-05-17T09:42:13.123+02:00",
    "1715938933",
    "1.2.3",
    "v2.14.3",
    "1.0.0-rc.1+build.20240517",
    "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "/var/log/app/orders-api.log",
    "C:\\Program Files\\Warden\\warden.exe",
    "git@github",
    "deploy@bastion",
    "git@github.com:example-org/orders-api.git",
    "production",
    "",
    "sg-0123456789abcdef0",
    "eu-west-1",
    "cron(0 3 * * ? *)",
    "99.95",
    "https://wiki.example.com/display/OPS/Orders+API+Runbook",
    "lodash@4.17.21",
];

const EAGER_KEYS: &[&str] = &[
    "Name",
    "Owner",
    "AccountId",
    "Secret",
    "aws_secret_access_key",
    "CardNumber",
    "Description",
    "Email",
];

// ---------------------------------------------------------------------------
// Helpers

fn only(d: DetectorId) -> Detectors {
    Detectors::new(vec![d], AllowList::empty())
}

fn of(d: DetectorId, key: &str, value: &str) -> Vec<Detection> {
    Detectors::all()
        .scan(key, value)
        .into_iter()
        .filter(|x| x.detector == d)
        .collect()
}

/// Every detection's masked sample and `Debug` / JSON form hide the text it
/// matched.
fn assert_hidden(value: &str, found: &[Detection]) {
    let debug = format!("{found:?}");
    let json = serde_json::to_string(found).unwrap();
    for f in found {
        let raw = &value[f.span.clone()];
        assert_ne!(f.masked, raw);
        assert!(!f.masked.contains(raw), "{raw:?} in {:?}", f.masked);
        assert!(!debug.contains(raw), "{raw:?} in {debug}");
        assert!(!json.contains(raw), "{raw:?} in {json}");
        assert!(!f.to_string().contains(raw));
        assert_eq!(f.masked, mask(f.detector, raw));
    }
}

fn check_positive(d: DetectorId, key: &str, value: &str) {
    let all = Detectors::all().scan(key, value);
    assert!(
        all.iter().any(|x| x.detector == d),
        "{d} missed {key}={value:?}: {all:?}"
    );
    assert_hidden(value, &all);
    let alone = only(d).scan(key, value);
    assert!(!alone.is_empty(), "{d} alone missed {key}={value:?}");
    assert!(alone.iter().all(|x| x.detector == d));
    assert_hidden(value, &alone);
    // Ordered and non-overlapping.
    for w in all.windows(2) {
        assert!(w[0].span.end <= w[1].span.start, "{all:?}");
    }
}

fn check_negative(d: DetectorId, key: &str, value: &str) {
    let found = of(d, key, value);
    assert!(found.is_empty(), "{d} flagged {key}={value:?}: {found:?}");
    assert!(
        only(d).scan(key, value).is_empty(),
        "{d} alone flagged {key}={value:?}"
    );
}

fn run_table(d: DetectorId, pos: &[(&str, &str)], neg: &[(&str, &str)]) {
    assert!(
        pos.len() >= 20 && neg.len() >= 20,
        "{d}: {} / {}",
        pos.len(),
        neg.len()
    );
    for (k, v) in pos {
        check_positive(d, k, v);
    }
    for (k, v) in neg {
        check_negative(d, k, v);
    }
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

// ---------------------------------------------------------------------------
// Table tests

#[test]
fn email_table() {
    run_table(Email, EMAIL_POS, EMAIL_NEG);
}

#[test]
fn account_id_table() {
    run_table(AwsAccountId, ACCOUNT_POS, ACCOUNT_NEG);
}

#[test]
fn access_key_id_table() {
    run_table(AwsAccessKeyId, ACCESS_KEY_POS, ACCESS_KEY_NEG);
}

#[test]
fn secret_access_key_table() {
    run_table(
        AwsSecretAccessKey,
        &refs(&secret_pos()),
        &refs(&secret_neg()),
    );
}

#[test]
fn url_credentials_table() {
    run_table(UrlCredentials, URL_POS, URL_NEG);
}

#[test]
fn private_key_table() {
    run_table(PrivateKey, &refs(&private_key_pos()), PRIVATE_KEY_NEG);
}

#[test]
fn payment_card_table() {
    run_table(PaymentCard, CARD_POS, CARD_NEG);
}

#[test]
fn phone_number_table() {
    run_table(PhoneNumber, PHONE_POS, PHONE_NEG);
}

#[test]
fn session_credentials_table() {
    run_table(
        AwsSessionCredentials,
        &refs(&session_pos()),
        &refs(&session_neg()),
    );
}

#[test]
fn account_ids_inside_identifiers_are_not_findings() {
    assert!(IDENTIFIERS.len() >= 20);
    let report = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
    assert_eq!(
        Detectors::all().account_ids_in_identifiers(),
        AccountIdsInIdentifiers::Ignore
    );
    for (key, value) in IDENTIFIERS {
        let found = Detectors::all().scan(key, value);
        assert!(found.is_empty(), "{key}={value:?}: {found:?}");
        let found = report.scan(key, value);
        assert!(!found.is_empty(), "report {key}={value:?}");
        for f in &found {
            assert_eq!(f.detector, AwsAccountId, "{key}={value:?}: {found:?}");
            assert!(f.in_identifier && f.confidence == Confidence::Low, "{f:?}");
            assert_eq!(f.masked.len(), 12, "{value:?}");
            assert!(f.masked.starts_with("********"), "{value:?}");
        }
        assert_hidden(value, &found);
    }
    let found = report.scan("Role", "arn:aws:iam::123456789012:role/x");
    assert_eq!(
        serde_json::to_value(&found).unwrap(),
        serde_json::json!([{"detector": "aws-account-id", "confidence": "low", "masked": "********9012", "span": {"start": 13, "end": 25}, "in_identifier": true}])
    );
    assert_eq!(
        found[0].to_string(),
        "aws-account-id (low, in an identifier): ********9012"
    );
    assert_eq!(
        AccountIdsInIdentifiers::parse(" REPORT "),
        Some(AccountIdsInIdentifiers::Report)
    );
    assert_eq!(
        AccountIdsInIdentifiers::parse("ignore"),
        Some(AccountIdsInIdentifiers::Ignore)
    );
    assert_eq!(AccountIdsInIdentifiers::parse("yes"), None);
    assert_eq!(AccountIdsInIdentifiers::Report.to_string(), "report");
}

/// S3 and the Tagging API accept only letters, digits, spaces and
/// `+ - = . _ : / @` in tag values: every marker must be made of them.
#[test]
fn redaction_markers_are_legal_tag_values() {
    let legal = |c: char| c.is_ascii_alphanumeric() || " +-=._:/@".contains(c);
    for d in DetectorId::ALL {
        let marker = d.redaction_marker();
        assert!(marker.chars().all(legal), "{d}: {marker:?}");
        assert!(marker.len() <= 256);
        assert_eq!(marker, format!("redacted:{}", d.as_str()));
        // A marker is not itself a finding, so a redacted tag stays quiet.
        assert!(
            Detectors::all().scan("Owner", marker).is_empty(),
            "{marker}"
        );
    }
}

/// Evidence built with `describe` or `Detectors::evidence` shows only
/// masked samples: nothing of the raw value, detected or not, beyond what
/// the masks keep.
#[test]
fn evidence_never_holds_the_raw_value() {
    let value = format!(
        "download https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20240517%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={TOKEN}&X-Amz-Signature={SIG} or ask jane@example.com; second copy 9f86d081884c7d65"
    );
    let d = Detectors::all();
    let found = d.scan("Description", &value);
    assert_eq!(detector_ids(&found), [Email, AwsSessionCredentials]);
    let evidence = d.evidence("field", "Description", &found);
    assert_eq!(
        evidence,
        "field `Description` holds aws-session-credentials X-Amz-Credential=*** (high), aws-session-credentials X-Amz-Security-Token=*** (high), aws-session-credentials X-Amz-Signature=*** (high), email j***@e***.com (high)"
    );
    for secret in [
        TOKEN,
        SIG,
        "ASIAY34FZKBOKMUTVV7A",
        "20240517",
        "jane@example",
    ] {
        for w in secret.as_bytes().windows(4) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!evidence.contains(w), "{w:?} in {evidence}");
        }
    }
    // A tag key holding an address is masked in the evidence too.
    let e = d.evidence(
        "tag",
        "jane@example.com",
        &d.scan("jane@example.com", "x@example.org"),
    );
    assert_eq!(e, "tag `j***@e***.com` holds email x***@e***.org (high)");
    assert_eq!(describe(&[]), "");
}

#[test]
fn generic_negatives_are_never_flagged() {
    for key in EAGER_KEYS {
        for value in GENERIC_NEG {
            let found = Detectors::all().scan(key, value);
            assert!(found.is_empty(), "{key}={value:?}: {found:?}");
        }
    }
}

#[test]
fn exact_samples_and_confidence() {
    let cases: &[(DetectorId, &str, &str, &str, Confidence)] = &[
        (
            Email,
            "Owner",
            "jane.doe@example.com",
            "j***@e***.com",
            Confidence::High,
        ),
        (
            Email,
            "contact",
            "ops+alerts@mail.example.co.uk",
            "o***@m***.uk",
            Confidence::High,
        ),
        (
            AwsAccountId,
            "AccountId",
            "123456789012",
            "********9012",
            Confidence::High,
        ),
        (
            AwsAccountId,
            "account",
            "1234-5678-9012",
            "********9012",
            Confidence::High,
        ),
        (
            AwsAccountId,
            "OwnerId",
            "123456789012",
            "********9012",
            Confidence::High,
        ),
        (
            AwsAccessKeyId,
            "k",
            "AKIAIOSFODNN7EXAMPLE",
            "AKIA************MPLE",
            Confidence::High,
        ),
        (
            AwsAccessKeyId,
            "k",
            "AKIA1234567890123456",
            "AKIA************3456",
            Confidence::Medium,
        ),
        (
            AwsSecretAccessKey,
            "aws_secret_access_key",
            SECRET_1,
            "****************************************",
            Confidence::High,
        ),
        (
            AwsSecretAccessKey,
            "token",
            SECRET_6,
            "****************************************",
            Confidence::Medium,
        ),
        (
            UrlCredentials,
            "Database",
            "postgres://orders:Wq8zP2vLx@orders-db.internal.example.com:5432/orders",
            "postgres://***:***@orders-db.internal.example.com:5432",
            Confidence::High,
        ),
        (
            UrlCredentials,
            "url",
            "https://user:p@ss@host.example.com",
            "https://***:***@host.example.com",
            Confidence::High,
        ),
        (
            UrlCredentials,
            "url",
            "https://user:password@example.com",
            "https://***:***@example.com",
            Confidence::Low,
        ),
        (
            PrivateKey,
            "key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7lxcuc3bZ\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY----- [redacted]",
            Confidence::High,
        ),
        (
            PrivateKey,
            "key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAK",
            "-----BEGIN RSA PRIVATE KEY----- [redacted]",
            Confidence::Medium,
        ),
        (
            PaymentCard,
            "CardNumber",
            "1234567890129012",
            "",
            Confidence::High,
        ),
        (
            PaymentCard,
            "CardNumber",
            "4111 1111 1111 1111",
            "4111********1111",
            Confidence::High,
        ),
        (
            PaymentCard,
            "Notes",
            "5555555555554444",
            "5555********4444",
            Confidence::Medium,
        ),
        (
            PhoneNumber,
            "Phone",
            "+44 20 7946 0958",
            "+**********58",
            Confidence::Medium,
        ),
        (
            PhoneNumber,
            "phone_number",
            "(212) 555-0199",
            "********99",
            Confidence::Medium,
        ),
    ];
    for (d, key, value, want, confidence) in cases {
        let found = of(*d, key, value);
        if want.is_empty() {
            // 1234567890129012 is not Luhn-valid: the mask rule still applies.
            assert!(found.is_empty());
            assert_eq!(mask(*d, value), "1234********9012");
            continue;
        }
        assert_eq!(found.len(), 1, "{d} {value:?}: {found:?}");
        assert_eq!(found[0].masked, *want, "{d} {value:?}");
        assert_eq!(found[0].confidence, *confidence, "{d} {value:?}");
    }
}

#[test]
fn several_findings_in_one_value() {
    let value = "owner jane@example.com, key AKIAIOSFODNN7EXAMPLE, db postgres://u:Wq8zP2vLx@db.example.com, acct 123456789012 (arn:aws:iam::210987654321:root)";
    let found = Detectors::all().scan("Description", value);
    let ids: Vec<DetectorId> = found.iter().map(|d| d.detector).collect();
    assert_eq!(ids, [Email, AwsAccessKeyId, UrlCredentials, AwsAccountId]);
    assert_hidden(value, &found);
    assert_eq!(
        mask_spans(value, &found),
        "owner j***@e***.com, key AKIA************MPLE, db postgres://***:***@db.example.com, acct ********9012 (arn:aws:iam::210987654321:root)"
    );
    assert_eq!(
        describe(&found),
        "email j***@e***.com (high), aws-access-key-id AKIA************MPLE (high), url-credentials postgres://***:***@db.example.com (high), aws-account-id ********9012 (high)"
    );
    assert_eq!(
        detector_ids(&found),
        [Email, AwsAccountId, AwsAccessKeyId, UrlCredentials]
    );
    // Asked for, the ARN's account id is a fifth, low and flagged detection.
    let report = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
    let found = report.scan("Description", value);
    assert_eq!(found.len(), 5);
    assert!(found[4].in_identifier && found[4].confidence == Confidence::Low);
    assert!(describe(&found).ends_with("aws-account-id ********4321 (low, in an identifier)"));
}

#[test]
fn the_more_specific_detector_wins_overlaps() {
    // An email inside URL credentials is reported once, as the URL.
    let v = "ftp://jane.doe@example.com:Secr3tPw@ftp.example.com";
    let found = Detectors::all().scan("url", v);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].detector, UrlCredentials);
    assert_eq!(found[0].masked, "ftp://***:***@ftp.example.com");
    // A 40-character secret after an access key id stays a separate finding.
    let v = format!("AKIAIOSFODNN7EXAMPLE:{SECRET_1}");
    let found = Detectors::all().scan("creds", &v);
    let ids: Vec<DetectorId> = found.iter().map(|d| d.detector).collect();
    assert_eq!(ids, [AwsAccessKeyId, AwsSecretAccessKey]);
    // A 12-digit phone number under an account-and-phone key is an account id.
    let found = Detectors::all().scan("AccountPhone", "123456789012");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].detector, AwsAccountId);
    // With URL credentials disabled, the user-info is not taken for an email.
    let found = only(Email).scan("url", "https://user:pass@host.example.com");
    assert!(found.is_empty(), "{found:?}");
}

// ---------------------------------------------------------------------------
// Allow-list and configuration

#[test]
fn allow_list_parses_and_matches() {
    let allow =
        AllowList::parse(" noreply@example.com , @example.org,*@corp.example, 123456789012,, ")
            .unwrap();
    assert!(allow.allows("noreply@example.com"));
    assert!(allow.allows("NoReply@Example.COM"));
    assert!(!allow.allows("reply@example.com"));
    assert!(allow.allows("jane@example.org"));
    assert!(
        allow.allows("jane@mail.example.org"),
        "subdomains are allowed"
    );
    assert!(!allow.allows("jane@notexample.org"));
    assert!(!allow.allows("jane@example.org.evil.com"));
    assert!(allow.allows("ops@corp.example"));
    assert!(allow.allows("123456789012"));
    assert!(allow.allows("1234-5678-9012"));
    assert!(!allow.allows("123456789013"));
    assert!(
        !allow.allows("https://u:p@example.org"),
        "domains cover emails only"
    );

    assert!(AllowList::parse("").unwrap().is_empty());
    assert!(AllowList::parse(" , ").unwrap().is_empty());
    assert!(!AllowList::empty().allows("jane@example.com"));
    assert_eq!(AllowList::parse("@"), Err("@".into()));
    assert_eq!(
        AllowList::parse("ok@example.com,@localhost"),
        Err("@localhost".into())
    );
    assert_eq!(
        AllowList::parse("@exa mple.com"),
        Err("@exa mple.com".into())
    );
    assert_eq!(
        AllowList::parse("@bad_domain.com"),
        Err("@bad_domain.com".into())
    );
    assert_eq!(AllowList::parse("a\u{7}b"), Err("a\u{7}b".into()));
}

#[test]
fn allowed_values_are_not_reported() {
    let allow = AllowList::parse("noreply@example.com,@example.org,123456789012").unwrap();
    let d = Detectors::new(DetectorId::ALL.to_vec(), allow);
    assert!(d.scan("Owner", "noreply@example.com").is_empty());
    assert!(d.scan("Owner", "ops@team.example.org").is_empty());
    assert_eq!(d.scan("Owner", "ops@example.com").len(), 1);
    assert!(d.scan("AccountId", "123456789012").is_empty());
    assert_eq!(d.scan("AccountId", "210987654321").len(), 1);
    let d = d.with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
    assert!(
        d.scan("Role", "arn:aws:iam::123456789012:role/x")
            .is_empty()
    );
    assert_eq!(d.scan("Role", "arn:aws:iam::210987654321:role/x").len(), 1);
    let found = d.scan("Notes", "noreply@example.com and jane@example.net");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].masked, "j***@e***.net");
    assert_eq!(
        d.allow_list(),
        &AllowList::parse("noreply@example.com,@example.org,123456789012").unwrap()
    );
}

#[test]
fn detector_list_parsing() {
    assert_eq!(parse_detector_list(""), Ok(DetectorId::ALL.to_vec()));
    assert_eq!(parse_detector_list("  "), Ok(DetectorId::ALL.to_vec()));
    assert_eq!(parse_detector_list("all"), Ok(DetectorId::ALL.to_vec()));
    assert_eq!(
        parse_detector_list("email, payment-card,email,"),
        Ok(vec![Email, PaymentCard])
    );
    assert_eq!(parse_detector_list("EMAIL"), Ok(vec![Email]));
    assert_eq!(parse_detector_list("email,bogus"), Err("bogus".into()));
    assert_eq!(
        parse_detector_list("aws_account_id"),
        Err("aws_account_id".into())
    );
    assert_eq!(parse_detector_list(" , "), Err(",".into()));
    let d = Detectors::new(
        parse_detector_list("phone-number").unwrap(),
        AllowList::empty(),
    );
    assert!(d.scan("Owner", "jane@example.com").is_empty());
    assert_eq!(d.enabled(), [PhoneNumber]);
}

#[test]
fn ids_names_and_serde() {
    let names = [
        "email",
        "aws-account-id",
        "aws-access-key-id",
        "aws-secret-access-key",
        "url-credentials",
        "private-key",
        "payment-card",
        "phone-number",
        "aws-session-credentials",
    ];
    for (d, name) in DetectorId::ALL.into_iter().zip(names) {
        assert_eq!(d.as_str(), name);
        assert_eq!(d.to_string(), name);
        assert_eq!(DetectorId::parse(name), Some(d));
        assert_eq!(name.parse::<DetectorId>(), Ok(d));
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{name}\""));
        assert_eq!(d.redaction_marker(), format!("redacted:{name}"));
    }
    assert_eq!(DetectorId::parse("nope"), None);
    assert_eq!(Confidence::High.to_string(), "high");
    assert_eq!(
        serde_json::to_string(&Confidence::Medium).unwrap(),
        "\"medium\""
    );
    assert!(Confidence::Low < Confidence::Medium && Confidence::Medium < Confidence::High);
    assert_eq!(TagAction::default(), TagAction::Redact);
    assert_eq!(TagAction::parse(" Remove "), Some(TagAction::Remove));
    assert_eq!(TagAction::parse("delete"), None);
    assert_eq!(TagAction::Redact.to_string(), "redact");
    let found = Detectors::all().scan("Owner", "jane@example.com");
    assert_eq!(
        serde_json::to_value(&found).unwrap(),
        serde_json::json!([{"detector": "email", "confidence": "high", "masked": "j***@e***.com", "span": {"start": 0, "end": 16}}])
    );
    assert_eq!(found[0].to_string(), "email (high): j***@e***.com");
}

// ---------------------------------------------------------------------------
// Property tests

/// `s` with the characters in `hidden` changed (letters and digits rotated,
/// other characters kept), so masks of `s` and of the result must agree.
fn rotate(s: &str, hidden: &[(usize, usize)]) -> String {
    s.char_indices()
        .map(|(i, c)| {
            if !hidden.iter().any(|&(a, b)| (a..b).contains(&i)) {
                return c;
            }
            match c {
                'a'..='y' | 'A'..='Y' | '0'..='8' => (c as u8 + 1) as char,
                'z' => 'a',
                'Z' => 'A',
                '9' => '0',
                c => c,
            }
        })
        .collect()
}

/// The masking property: `mask(d, s) != s`, the mask does not depend on the
/// hidden characters, and no 4-character window of `s` that reaches into the
/// hidden part appears in the mask unless the same text is also part of
/// what the rule may show (the kept prefix/suffix, or the rule's own fixed
/// text such as `[redacted]`).
fn check_mask(
    d: DetectorId,
    s: &str,
    hidden: &[(usize, usize)],
    fixed: &str,
) -> Result<(), TestCaseError> {
    let m = mask(d, s);
    prop_assert_ne!(&m, s);
    prop_assert_eq!(
        &m,
        &mask(d, &rotate(s, hidden)),
        "the mask depends on hidden characters"
    );
    // The visible parts: maximal ranges of `s` outside `hidden`.
    let mut visible = Vec::new();
    let mut start = 0;
    let mut sorted: Vec<_> = hidden.to_vec();
    sorted.sort_unstable();
    for (a, b) in sorted {
        if a > start {
            visible.push(&s[start..a]);
        }
        start = start.max(b);
    }
    if start < s.len() {
        visible.push(&s[start..]);
    }
    for i in 0..s.len().saturating_sub(3) {
        if !hidden.iter().any(|&(a, b)| a < i + 4 && i < b) {
            continue;
        }
        let Some(w) = s.get(i..i + 4) else { continue };
        if m.contains(w) {
            let explained = visible.iter().any(|v| v.contains(w)) || fixed.contains(w);
            prop_assert!(explained, "{d}: {w:?} of {s:?} leaks into {m:?}");
        }
    }
    Ok(())
}

fn card_number() -> impl Strategy<Value = String> {
    let prefixes: &[(&str, usize)] = &[
        ("4", 16),
        ("4", 13),
        ("4", 19),
        ("51", 16),
        ("55", 16),
        ("2221", 16),
        ("2720", 16),
        ("34", 15),
        ("37", 15),
        ("6011", 16),
        ("65", 19),
        ("3528", 16),
        ("36", 14),
        ("62", 17),
        ("1800", 15),
        ("2131", 15),
        ("3589", 19),
        ("5018", 12),
        ("6304", 12),
        ("6759", 19),
        ("5893", 16),
    ];
    (
        prop::sample::select(prefixes),
        prop::collection::vec(0u8..10, 19),
    )
        .prop_map(|((p, len), rest)| {
            let mut digits: Vec<u8> = p.bytes().map(|b| b - b'0').collect();
            digits.extend(&rest[..len - p.len() - 1]);
            // The Luhn check digit, by a table rather than the detector's
            // arithmetic, so the two are independent: every second digit
            // from the right (the check digit's neighbour first) doubled,
            // its digits summed.
            const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
            let sum: u32 = digits
                .iter()
                .rev()
                .zip([true, false].into_iter().cycle())
                .map(|(&d, doubled)| {
                    if doubled {
                        DOUBLED[usize::from(d)]
                    } else {
                        u32::from(d)
                    }
                })
                .sum();
            digits.push(((10 - sum % 10) % 10) as u8);
            digits.iter().map(|d| (b'0' + d) as char).collect()
        })
}

fn secret_key() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/]{40}".prop_filter("shaped like a real key", |s| {
        let distinct: std::collections::HashSet<char> = s.chars().collect();
        !s.starts_with('/')
            && s.chars().any(|c| c.is_ascii_uppercase())
            && s.chars().any(|c| c.is_ascii_lowercase())
            && s.chars()
                .any(|c| c.is_ascii_digit() || c == '+' || c == '/')
            && distinct.len() >= 20
    })
}

fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!%_~-]{4,16}".prop_filter("not a placeholder", |p| {
        !p.starts_with('%')
            && !["password", "pass", "passwd", "secret"].contains(&p.to_ascii_lowercase().as_str())
            && !p.chars().all(|c| matches!(c, 'x' | 'X'))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn email_masks(local in "[a-zA-Z0-9][a-zA-Z0-9._+-]{0,15}[a-zA-Z0-9]", host in "[a-z0-9]{1,12}(\\.[a-z0-9]{1,10})?", tld in prop::sample::select(vec!["com", "org", "net", "io", "de", "co", "example", "travel", "museum"])) {
        let s = format!("{local}@{host}.{tld}");
        let at = local.len();
        let dot = s.rfind('.').unwrap();
        check_mask(Email, &s, &[(1, at), (at + 2, dot)], "***@***")?;
        let found = Detectors::all().scan("Owner", &s);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].detector, Email);
        prop_assert_eq!(found[0].span.clone(), 0..s.len());
        assert_hidden(&s, &found);
    }

    #[test]
    fn card_masks(card in card_number(), spaced in any::<bool>()) {
        let n = card.len();
        check_mask(PaymentCard, &card, &[(4, n - 4)], "")?;
        let value = if spaced && n == 16 {
            format!("{} {} {} {}", &card[..4], &card[4..8], &card[8..12], &card[12..])
        } else {
            card.clone()
        };
        let found = Detectors::all().scan("CardNumber", &value);
        prop_assert_eq!(found.len(), 1, "{} {:?}", value, found);
        prop_assert_eq!(found[0].detector, PaymentCard);
        prop_assert_eq!(found[0].confidence, Confidence::High);
        prop_assert_eq!(&found[0].masked, &mask(PaymentCard, &card));
        assert_hidden(&value, &found);
        prop_assert!(!found[0].masked.contains(&card[4..n - 4]));
    }

    #[test]
    fn access_key_masks(prefix in prop::sample::select(vec!["AKIA", "ASIA"]), rest in "[A-Z2-7]{16}") {
        let s = format!("{prefix}{rest}");
        check_mask(AwsAccessKeyId, &s, &[(4, 16)], "")?;
        let value = format!("legacy key {s} in use");
        let found = Detectors::all().scan("Notes", &value);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].detector, AwsAccessKeyId);
        prop_assert_eq!(found[0].confidence, Confidence::High);
        assert_hidden(&value, &found);
    }

    #[test]
    fn secret_key_masks(s in secret_key(), labelled in any::<bool>()) {
        check_mask(AwsSecretAccessKey, &s, &[(0, 40)], "")?;
        let (key, value) = if labelled {
            ("Description", format!("aws_secret_access_key={s}"))
        } else {
            ("SecretAccessKey", s.clone())
        };
        let found = Detectors::all().scan(key, &value);
        prop_assert!(found.iter().any(|f| f.detector == AwsSecretAccessKey && f.confidence == Confidence::High), "{:?}", found);
        assert_hidden(&value, &found);
    }

    #[test]
    fn url_credentials_mask(scheme in prop::sample::select(vec!["https", "postgres", "redis", "mongodb+srv", "ftp"]), user in "[a-z]{0,8}", pass in password(), host in "[a-z]{2,10}(\\.[a-z]{2,8}){1,2}", port in prop::option::of(1u16..65535), path in "(/[a-z0-9]{1,8}){0,2}") {
        let authority = match port { Some(p) => format!("{host}:{p}"), None => host.clone() };
        let s = format!("{scheme}://{user}:{pass}@{authority}{path}");
        let a = scheme.len() + 3;
        let at = a + user.len() + 1 + pass.len();
        check_mask(UrlCredentials, &s, &[(a, at), (at + 1 + authority.len(), s.len())], "://***:***@")?;
        let found = Detectors::all().scan("ConnectionString", &s);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, UrlCredentials);
        prop_assert_eq!(&found[0].masked, &format!("{scheme}://***:***@{authority}"));
        assert_hidden(&s, &found);
        if !format!("{scheme}{authority}").contains(&pass) {
            prop_assert!(!found[0].masked.contains(&pass));
        }
    }

    #[test]
    fn account_id_masks(id in "[0-9]{12}", arn in any::<bool>(), key in prop::sample::select(vec!["AccountId", "OwnerId", "owner", "RequesterId", "registryId", "payer"])) {
        check_mask(AwsAccountId, &id, &[(0, 8)], "")?;
        let (key, value) = if arn {
            ("Role", format!("arn:aws:iam::{id}:role/deployer"))
        } else {
            (key, id.clone())
        };
        let found = Detectors::all().scan(key, &value);
        prop_assert_eq!(found.is_empty(), arn, "{:?}", found);
        let report = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
        let found = report.scan(key, &value);
        prop_assert!(found.iter().any(|f| f.detector == AwsAccountId && f.in_identifier == arn), "{:?}", found);
        prop_assert!(found.iter().all(|f| !f.masked.contains(&id[..8])));
        assert_hidden(&value, &found);
    }

    #[test]
    fn phone_masks(cc in "[1-9][0-9]?", rest in "[0-9]{7,10}", ext in prop::option::of(("[ ]?(x|ext\\. |ext )", "[0-9]{1,5}"))) {
        let s = match ext {
            Some((word, digits)) => format!("+{cc} {rest}{word}{digits}"),
            None => format!("+{cc} {rest}"),
        };
        // Everything but the `+` and the last two digits is hidden.
        let kept = s.rmatch_indices(|c: char| c.is_ascii_digit()).nth(1).unwrap().0;
        check_mask(PhoneNumber, &s, &[(1, kept)], "")?;
        let found = Detectors::all().scan("MobilePhone", &s);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, PhoneNumber);
        assert_hidden(&s, &found);
    }

    #[test]
    fn private_key_masks(kind in prop::sample::select(vec!["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]), body in "[A-Za-z0-9+/]{16,200}") {
        let header = format!("-----BEGIN {kind}-----");
        let s = format!("{header}\n{body}\n-----END {kind}-----");
        check_mask(PrivateKey, &s, &[(header.len(), header.len() + 1 + body.len())], " [redacted]")?;
        let found = Detectors::all().scan("Notes", &s);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, PrivateKey);
        prop_assert_eq!(&found[0].masked, &format!("{header} [redacted]"));
        assert_hidden(&s, &found);
    }

    #[test]
    fn session_credentials_mask(name in prop::sample::select(vec!["X-Amz-Signature", "X-Amz-Security-Token", "AWS_SESSION_TOKEN", "x-amz-signature"]), token in "[A-Za-z0-9%]{40,300}", bare in any::<bool>()) {
        let token = format!("Ab1{token}");
        let s = format!("{name}={token}");
        let n = name.len();
        check_mask(AwsSessionCredentials, &s, &[(n + 1, s.len())], "=***")?;
        let value = format!("https://b.s3.amazonaws.com/k?X-Amz-Date=20240517T093512Z&{s}&x=1");
        let found = Detectors::all().scan("Url", &value);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, AwsSessionCredentials);
        prop_assert_eq!(&found[0].masked, &format!("{name}=***"));
        assert_hidden(&value, &found);
        prop_assert!(!describe(&found).contains(&token[3..20]));
        if bare && !token.contains('%') {
            let t = format!("IQoJb3JpZ2lu{token}{token}");
            check_mask(AwsSessionCredentials, &t, &[(4, t.len())], "***")?;
            let found = Detectors::all().scan("Notes", &t);
            prop_assert_eq!(found.len(), 1, "{:?}", found);
            prop_assert_eq!(&found[0].masked, "IQoJ***");
            assert_hidden(&t, &found);
        }
    }

    #[test]
    fn evidence_holds_only_masks(key in "\\PC{0,20}", value in "\\PC{0,120}") {
        let d = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
        let found = d.scan(&key, &value);
        let text = describe(&found);
        for f in &found {
            let raw = &value[f.span.clone()];
            prop_assert!(!text.contains(raw), "{:?} in {:?}", raw, text);
        }
        assert_hidden(&value, &found);
    }

    #[test]
    fn scanning_never_panics_and_hides_what_it_finds(key in "\\PC{0,20}", value in "\\PC{0,120}") {
        let found = Detectors::all().scan(&key, &value);
        for f in &found {
            prop_assert!(value.get(f.span.clone()).is_some());
        }
        assert_hidden(&value, &found);
    }

    #[test]
    fn masks_are_never_the_input(d in prop::sample::select(DetectorId::ALL.to_vec()), s in "\\PC{0,60}") {
        prop_assert_ne!(mask(d, &s), s);
    }
}
