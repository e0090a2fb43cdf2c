//! The `Architecture` parameter, as the SAM CLI resolves it for `sam build`.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;
use warden_tests::template::{resource, template};
use warden_tests::{venv_bin, workspace_root};

use super::functions;

/// What the SAM CLI resolves for each function (its function provider, as
/// `sam build` does), with the given parameter overrides: (architecture,
/// build method, binary).
fn resolved_functions(overrides: &Value) -> Value {
    const SCRIPT: &str = "\
import json, sys
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1], parameter_overrides=json.loads(sys.argv[2]))
provider = SamFunctionProvider(stacks, ignore_code_extraction_warnings=True)
print(json.dumps({f.name: [f.architecture, (f.metadata or {}).get('BuildMethod'),
    (f.metadata or {}).get('BuildProperties', {}).get('Binary')] for f in provider.get_all()}))
";
    let output = Command::new(venv_bin("python"))
        .args(["-c", SCRIPT])
        .arg(workspace_root().join("template.yaml"))
        .arg(overrides.to_string())
        .env("SAM_CLI_TELEMETRY", "0")
        .output()
        .expect("the virtualenv's python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `Architecture` reaches every function through `Globals`, and the SAM
/// CLI resolves it for each (the architecture `sam build` hands
/// cargo-lambda: `--arm64` or `--x86-64`).
#[test]
fn the_architecture_parameter_reaches_every_function() {
    assert_eq!(
        template()["Globals"]["Function"]["Architectures"],
        json!([{"Ref": "Architecture"}])
    );
    for function in functions() {
        assert!(
            resource(function)["Properties"]["Architectures"].is_null(),
            "{function} keeps the global architecture"
        );
    }
    for (overrides, architecture) in [
        (json!({}), "arm64"),
        (json!({"Architecture": "x86_64"}), "x86_64"),
        (json!({"Architecture": "arm64"}), "arm64"),
    ] {
        let resolved = resolved_functions(&overrides);
        let names: BTreeSet<&str> = resolved
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, functions().into_iter().collect(), "{overrides}");
        for function in functions() {
            let binary = &resource(function)["Metadata"]["BuildProperties"]["Binary"];
            assert_eq!(
                resolved[function],
                json!([architecture, "rust-cargolambda", binary]),
                "{function} with {overrides}"
            );
        }
    }
}
