//! The sample invocations in `events/rollback/` are requests rollback reads
//! as their README says, and every file is listed there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rollback::request::Request;
use serde_json::Value;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/rollback")
}

fn load(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join(file)).unwrap()).unwrap()
}

#[test]
fn each_sample_is_the_request_its_readme_says() {
    let change = "chg-6756a1c0a3f09e2b7c41d58e".to_string();
    let rollback = |dry_run, suppress_days, reason: Option<&str>| Request::Rollback {
        change_id: change.clone(),
        dry_run,
        suppress_days,
        reason: reason.map(str::to_string),
    };
    let cases = [
        ("rollback.json", rollback(false, None, None)),
        ("dry-run.json", rollback(true, None, None)),
        (
            "rollback-for-a-day.json",
            rollback(
                false,
                Some(1),
                Some(
                    "the CDN's origin access needs the old bucket policy until the migration on Friday (CHG-4821)",
                ),
            ),
        ),
        (
            "list-bucket.json",
            Request::List {
                resource: "arn:aws:s3:::warden-demo-bucket".into(),
            },
        ),
        (
            "list-trail.json",
            Request::List {
                resource: "arn:aws:cloudtrail:us-east-1:123456789012:trail/warden-demo-trail"
                    .into(),
            },
        ),
        (
            "list-user.json",
            Request::List {
                resource: "arn:aws:iam::123456789012:user/warden-demo-user".into(),
            },
        ),
    ];
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    let mut named: Vec<String> = cases.iter().map(|(f, _)| f.to_string()).collect();
    named.sort();
    assert_eq!(files, named, "a case per file in events/rollback");
    for (file, expected) in cases {
        assert_eq!(Request::parse(&load(file)), Ok(expected), "{file}");
        assert!(
            readme.contains(&format!("`{file}`")),
            "{file} in the README"
        );
    }
}
