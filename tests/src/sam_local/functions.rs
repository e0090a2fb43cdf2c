//! The functions `sam local` runs: each binary linked into a code folder, and
//! the template and `--env-vars` file that declare them with
//! `template.yaml`'s settings.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::arch::{Architecture, check_binary};
use super::engine::{docker_host_address, ensure_image};
use super::process::{run_output, sam_error};
use super::{HOST_ALIAS, template_functions};
use crate::error::HarnessError;
use crate::paths::workspace_root;

/// Where the binaries of [`template_functions`] are: `$WARDEN_SAM_LOCAL_BIN_DIR`
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
    pub(super) architecture: Architecture,
    pub(super) image: String,
    pub(super) host_address: String,
    /// Logical id -> the folder mounted at /var/task (holding `bootstrap`).
    pub(super) code: BTreeMap<String, PathBuf>,
}

impl SamLocal {
    /// Every function of `template.yaml` ([`template_functions`]) from
    /// `bin_dir`, built for `architecture`: cargo's
    /// layout (`target/debug/bucket-guard`), `sam build`'s
    /// (`.aws-sam/build/BucketGuardFunction/bootstrap`) or cargo lambda's
    /// (`target/lambda/bucket-guard/bootstrap`).
    pub fn prepare(bin_dir: &Path, architecture: Architecture) -> Result<Self, HarnessError> {
        let all = template_functions();
        let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
        Self::prepare_only(bin_dir, &ids, architecture)
    }

    /// [`SamLocal::prepare`] for some of the functions (logical ids).
    pub fn prepare_only(
        bin_dir: &Path,
        ids: &[&str],
        architecture: Architecture,
    ) -> Result<Self, HarnessError> {
        let known = template_functions();
        let mut functions = Vec::new();
        for id in ids {
            let (logical_id, binary) =
                known.iter().find(|(known, _)| known == id).ok_or_else(|| {
                    sam_error(
                        "the function binaries",
                        format!(
                            "template.yaml has no function {id} built from a binary ({known:?})"
                        ),
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
            functions.push((logical_id.clone(), path));
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
        let declared: Vec<(String, Vec<(String, String)>)> = self
            .code
            .keys()
            .map(|function| {
                let names = declared_variables(function)
                    .into_iter()
                    .map(|name| (name, String::new()))
                    .collect();
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
}

impl SamLocal {
    /// The flags both commands share: the image, no pull, the host alias.
    pub(super) fn container_args(&self) -> Vec<String> {
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

/// The `--env-vars` file: `{"<LogicalId>": {"NAME": "value", ...}}`.
pub(super) fn env_vars_file(env: &[(&str, &[(String, String)])]) -> Value {
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

/// The variables `template.yaml` gives `function`: its own and every
/// function's from `Globals` (`AWS_ENDPOINT_URL` among them). SAM passes an
/// `--env-vars` value only for a declared variable, so the template written
/// for running `sam local` by hand declares all of them.
fn declared_variables(function: &str) -> Vec<String> {
    let template = crate::template::template();
    let own = template["Resources"][function]["Properties"]["Environment"]["Variables"].as_object();
    let global = template["Globals"]["Function"]["Environment"]["Variables"].as_object();
    let mut names: Vec<String> = own
        .into_iter()
        .chain(global)
        .flat_map(|vars| vars.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value `events/sam-local-env.json` gives a function reaches it
    /// through the template written for running `sam local` by hand.
    #[test]
    fn the_hand_template_declares_every_variable_of_sam_local_env() {
        let path = workspace_root().join("events/sam-local-env.json");
        let text = fs::read_to_string(&path).expect("events/sam-local-env.json");
        let file: Value = serde_json::from_str(&text).expect("JSON");
        let functions = file.as_object().expect("keyed by function");
        assert_eq!(
            functions.len(),
            template_functions().len(),
            "one entry per function"
        );
        for (function, vars) in functions {
            let declared = declared_variables(function);
            let missing: Vec<&String> = vars
                .as_object()
                .expect("variables")
                .keys()
                .filter(|name| !declared.contains(name))
                .collect();
            assert!(missing.is_empty(), "{function}: {missing:?} not declared");
        }
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
