//! `sam package` against the emulator's S3, as the README's publish section
//! runs it against AWS: the template's `LicenseUrl`, `ReadmeUrl` and every
//! function's `CodeUri` are rewritten to `s3://` URIs, and the objects they
//! name are in the bucket, byte for byte. The SAM CLI honours
//! `AWS_ENDPOINT_URL` (boto3 does), so it talks to moto only; its
//! credentials are the emulator's and no profile is read.
//!
//! `sam build` takes many minutes, so each function's `CodeUri` points at a
//! small directory holding a `bootstrap` of its own; everything else is
//! template.yaml as it is.

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use warden_tests::template::template;
use warden_tests::{moto, s3, sdk_config, venv_bin, workspace_root};

/// An `s3://bucket/key` URI's key, checking the bucket.
fn key_of<'a>(uri: &'a Value, bucket: &str) -> &'a str {
    let uri = uri
        .as_str()
        .unwrap_or_else(|| panic!("an s3:// URI: {uri}"));
    uri.strip_prefix(&format!("s3://{bucket}/"))
        .unwrap_or_else(|| panic!("{uri} is in s3://{bucket}/"))
}

/// The whole of `s3://bucket/key`, which `sam package` uploaded for `what`.
async fn object_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, what: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what} s3://{bucket}/{key}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

/// The name of a zip archive's first entry (its first local file header).
fn first_zip_entry(zip: &[u8]) -> String {
    assert_eq!(&zip[..4], b"PK\x03\x04", "a zip archive");
    let name_len = u16::from_le_bytes([zip[26], zip[27]]) as usize;
    String::from_utf8(zip[30..30 + name_len].to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sam_package_uploads_the_license_the_readme_and_every_function_to_s3() {
    let moto = moto();
    let config = sdk_config(moto.endpoint()).await;
    let s3 = s3(&config);
    let bucket = format!("warden-publish-{}", std::process::id());
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // The template, with each function's code a directory of its own.
    let dir = std::env::temp_dir().join(format!("warden-publish-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let mut prepared = template().clone();
    let mut binaries = BTreeMap::new();
    for (name, r) in prepared["Resources"].as_object_mut().unwrap() {
        if r["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = r["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_string();
        let code = dir.join("code").join(&binary);
        fs::create_dir_all(&code).unwrap();
        fs::write(code.join("bootstrap"), format!("#!/bin/sh\n# {binary}\n")).unwrap();
        r["Properties"]["CodeUri"] = json!(format!("code/{binary}"));
        binaries.insert(name.clone(), binary);
    }
    assert!(binaries.len() >= 5, "{binaries:?}");
    let sar = &template()["Metadata"]["AWS::ServerlessRepo::Application"];
    for key in ["LicenseUrl", "ReadmeUrl"] {
        let file = sar[key].as_str().unwrap();
        fs::copy(workspace_root().join(file), dir.join(file)).unwrap();
    }
    fs::write(
        dir.join("template.json"),
        serde_json::to_vec_pretty(&prepared).unwrap(),
    )
    .unwrap();

    let started = Instant::now();
    let output = Command::new(venv_bin("sam"))
        .current_dir(&dir)
        .args([
            "package",
            "--template-file",
            "template.json",
            "--s3-bucket",
            &bucket,
            "--output-template-file",
            "packaged.json",
            "--use-json",
            "--region",
            "us-east-1",
        ])
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("SAM_CLI_TELEMETRY", "0")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("the virtualenv's sam");
    assert!(
        output.status.success(),
        "sam package:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    let packaged: Value =
        serde_json::from_slice(&fs::read(dir.join("packaged.json")).unwrap()).unwrap();

    // LICENSE and README.md: rewritten to S3, and there byte for byte.
    let mut referenced = Vec::new();
    let packaged_sar = &packaged["Metadata"]["AWS::ServerlessRepo::Application"];
    for key in ["LicenseUrl", "ReadmeUrl"] {
        let object = key_of(&packaged_sar[key], &bucket);
        let body = object_bytes(&s3, &bucket, object, key).await;
        let file = sar[key].as_str().unwrap();
        assert_eq!(
            body.as_ref(),
            fs::read(workspace_root().join(file)).unwrap(),
            "{key}: the object is {file}"
        );
        referenced.push(object.to_string());
    }
    // The rest of the metadata is published as written.
    let mut rest = packaged_sar.clone();
    let mut written = sar.clone();
    for key in ["LicenseUrl", "ReadmeUrl"] {
        rest.as_object_mut().unwrap().remove(key);
        written.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(rest, written);

    // Every function's code: a zip of its own directory.
    let mut code_keys = Vec::new();
    for (function, binary) in &binaries {
        let uri = &packaged["Resources"][function]["Properties"]["CodeUri"];
        let object = key_of(uri, &bucket);
        let zip = object_bytes(&s3, &bucket, object, function).await;
        assert_eq!(first_zip_entry(&zip), "bootstrap", "{function} ({binary})");
        code_keys.push(object.to_string());
    }
    let mut distinct = code_keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), binaries.len(), "one archive per function");
    referenced.extend(code_keys);

    // Nothing else changed, and the bucket holds exactly what is referenced.
    let mut unpackaged = packaged.clone();
    for function in binaries.keys() {
        unpackaged["Resources"][function]["Properties"]["CodeUri"] =
            prepared["Resources"][function]["Properties"]["CodeUri"].clone();
    }
    for key in ["LicenseUrl", "ReadmeUrl"] {
        unpackaged["Metadata"]["AWS::ServerlessRepo::Application"][key] = sar[key].clone();
    }
    // sam package marks each resource with its logical id
    // (`Metadata.SamResourceId`); nothing else may differ.
    let resources = unpackaged["Resources"].as_object_mut().unwrap();
    for (name, r) in resources.iter_mut() {
        let metadata = r["Metadata"].as_object_mut().unwrap();
        assert_eq!(
            metadata.remove("SamResourceId"),
            Some(json!(name)),
            "{name}"
        );
        if metadata.is_empty() {
            r.as_object_mut().unwrap().remove("Metadata");
        }
    }
    let expected = prepared["Resources"].as_object().unwrap();
    assert_eq!(
        resources.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (name, r) in resources.iter() {
        assert!(&expected[name] == r, "sam package changed {name}:\n{r:#}");
    }
    assert_eq!(unpackaged["Metadata"], prepared["Metadata"]);
    assert_eq!(unpackaged["Parameters"], prepared["Parameters"]);
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    let mut stored: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    stored.sort();
    referenced.sort();
    referenced.dedup();
    assert_eq!(stored, referenced);

    let _ = fs::remove_dir_all(Path::new(&dir));
}
