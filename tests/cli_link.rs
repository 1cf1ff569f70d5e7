//! `bindery::link!` records the crates it names, with either collection backend, and the
//! command line refuses to run while one of them contributed no model: here
//! `serde_json`, which declares none, stands for a models crate whose models were lost.
//! `= name` records a renamed dependency under its own crate name.

#![cfg(feature = "cli")]
// In a test, a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

bindery::link!(accounts, shop, serde_json = json_models, audit);

#[test]
fn a_linked_crate_without_models_is_reported_by_name() {
    let registry = bindery::registry();
    assert_eq!(
        registry.linked_crates(),
        ["accounts", "audit", "json_models", "shop"]
    );
    let missing = registry.check_linked().unwrap_err();
    assert_eq!(missing.crates(), ["json_models"]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bindery::cli::run_with_streams(["app", "dump"], &mut out, &mut err);
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, std::process::ExitCode::from(2), "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("`bindery::link!` names crate `json_models`, yet no model of it"),
        "{err}"
    );
}

/// `Db::build` refuses it too, beside whatever else is wrong, naming the crate.
#[tokio::test]
async fn db_build_refuses_a_linked_crate_without_models() {
    let config = bindery::Config::new()
        .database_uri("sqlite::memory:")
        .bind("auth", "sqlite::memory:")
        .bind("shop", "sqlite::memory:");
    let error = bindery::Db::build(config).unwrap_err();
    let bindery::Error::Build(build) = &error else {
        panic!("expected Error::Build, got {error:?}");
    };
    let missing: Vec<_> = build
        .problems()
        .iter()
        .filter_map(|p| match p {
            bindery::BuildProblem::MissingModels(missing) => Some(missing.crates().to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(missing, [["json_models"]], "{error}");
    assert!(error.to_string().contains("json_models"), "{error}");
}
