//! What publishing needs: SAR metadata matching the Cargo version, the
//! changelog, and the capabilities README tells consumers to acknowledge.

use serde_json::json;
use std::collections::BTreeSet;
use warden_tests::template::{role_statements, statement_actions, template};
use warden_tests::workspace_root;

/// The version of the workspace (`[workspace.package] version`).
fn workspace_version() -> String {
    let cargo = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    let package = cargo
        .split("[workspace.package]")
        .nth(1)
        .expect("a [workspace.package] table");
    let line = package
        .lines()
        .find(|l| l.trim_start().starts_with("version"))
        .expect("a version");
    let version = line.split('"').nth(1).unwrap().to_string();
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "the tests' own version");
    version
}

#[test]
fn the_sar_metadata_can_go_public_and_matches_the_cargo_version() {
    let sar = &template()["Metadata"]["AWS::ServerlessRepo::Application"];
    assert_eq!(
        sar["SourceCodeUrl"],
        "https://github.com/warden-security/warden"
    );
    assert_eq!(
        sar["HomePageUrl"],
        "https://github.com/warden-security/warden"
    );
    let version = workspace_version();
    assert_eq!(sar["SemanticVersion"], json!(version));
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "{version} is MAJOR.MINOR.PATCH"
    );
    for key in ["LicenseUrl", "ReadmeUrl"] {
        let file = sar[key].as_str().unwrap();
        assert!(
            workspace_root().join(file).is_file(),
            "{key} {file} is a file sam package uploads"
        );
    }
    assert_eq!(sar["SpdxLicenseId"], "Apache-2.0");
    assert!(
        std::fs::read_to_string(workspace_root().join("LICENSE"))
            .unwrap()
            .contains("Apache License")
    );
}

/// CHANGELOG.md: Keep a Changelog, an Unreleased section, and a section for
/// the version the template publishes.
#[test]
fn the_changelog_has_the_published_version_and_what_is_unreleased() {
    let changelog = std::fs::read_to_string(workspace_root().join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains("https://keepachangelog.com/"));
    assert!(changelog.contains("https://semver.org/"));
    let version = workspace_version();
    let unreleased = changelog.find("## [Unreleased]").expect("## [Unreleased]");
    let released = changelog
        .find(&format!("## [{version}] - "))
        .unwrap_or_else(|| panic!("## [{version}] - <date>"));
    assert!(unreleased < released, "newest first");
    let unreleased_text = &changelog[unreleased..released];
    for issue in 8..=14 {
        assert!(
            unreleased_text.contains(&format!("(#{issue})")),
            "Unreleased names issue {issue}'s changes"
        );
    }
}

/// The README's publish section names every capability a consumer
/// acknowledges, derived from the resource types the template (and SAM's
/// transform: a function's EventBridge rule comes with a permission)
/// creates.
#[test]
fn the_readme_names_the_capabilities_consumers_acknowledge() {
    let types: BTreeSet<&str> = template()["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    let mut capabilities = BTreeSet::new();
    for t in &types {
        if [
            "AWS::IAM::Role",
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::Group",
            "AWS::IAM::InstanceProfile",
        ]
        .contains(t)
        {
            capabilities.insert("CAPABILITY_IAM");
        }
        if [
            "AWS::Lambda::Permission",
            "AWS::Lambda::LayerVersionPermission",
            "AWS::Events::EventBusPolicy",
            "AWS::IAM::Policy",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            "AWS::S3::BucketPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
        ]
        .contains(t)
        {
            capabilities.insert("CAPABILITY_RESOURCE_POLICY");
        }
        if *t == "AWS::Serverless::Application" || *t == "AWS::CloudFormation::Stack" {
            capabilities.insert("CAPABILITY_AUTO_EXPAND");
        }
    }
    assert!(capabilities.contains("CAPABILITY_RESOURCE_POLICY"));
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let publish = readme
        .split("## Publish to the Serverless Application Repository")
        .nth(1)
        .expect("a publish section")
        .split("\n## ")
        .next()
        .unwrap();
    for capability in &capabilities {
        assert!(
            publish.contains(&format!("`{capability}`")),
            "the publish section names {capability}"
        );
    }
    // Every IAM action a role of the stack holds is listed for consumers.
    for (name, r) in template()["Resources"].as_object().unwrap() {
        if r["Type"] != "AWS::IAM::Role" {
            continue;
        }
        for (_, statement) in role_statements(name) {
            for action in statement_actions(&statement) {
                if action.starts_with("iam:") {
                    assert!(
                        publish.contains(&format!("`{action}`")),
                        "the publish section lists {action} ({name})"
                    );
                }
            }
        }
    }
    for step in [
        "sam package",
        "sam publish",
        "aws serverlessrepo put-application-policy",
        "--statements Principals='*',Actions=Deploy",
    ] {
        assert!(publish.contains(step), "the publish section shows {step}");
    }
}
