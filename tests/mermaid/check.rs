//! Mermaid's own parser (`mermaid.parse`, what mermaid-cli renders with) on the dumps, run
//! by node under jsdom. Install its packages once, outside the repository:
//!
//! ```sh
//! dir=target/tmp/mermaid   # or $BINDERY_MERMAID_DIR
//! mkdir -p $dir && cp tests/mermaid/package.json tests/mermaid/package-lock.json $dir
//! npm ci --prefix $dir
//! ```
//!
//! Without node or the packages each test says so and passes, unless
//! `BINDERY_REQUIRE_MERMAID=1`, when it fails.
//!
//! mermaid-cli itself (`mmdc`, with a headless Chromium) renders the example dump too,
//! when both are present: see [`mmdc_renders_the_example_dump`].

use std::path::PathBuf;
use std::process::Command;

use bindery::{BindKey, Model as _, Registry};

/// Where `npm ci` put the packages: `$BINDERY_MERMAID_DIR`, else `target/tmp/mermaid`.
fn install_dir() -> PathBuf {
    std::env::var_os("BINDERY_MERMAID_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mermaid"),
        PathBuf::from,
    )
}

/// Mermaid's verdict on each `(name, diagram)`: `ok` or the parser's message. `None`
/// when node or the packages are missing and not required.
fn mermaid_verdicts(diagrams: &[(&str, String)]) -> Option<Vec<(String, String)>> {
    let dir = install_dir();
    let node = Command::new("node").arg("--version").output();
    let missing = if node.is_err() {
        Some("node is not on PATH".to_owned())
    } else if !dir.join("node_modules/mermaid/package.json").exists() {
        Some(format!("no mermaid package under {}", dir.display()))
    } else {
        None
    };
    if let Some(why) = missing {
        let message = format!("Mermaid's parser cannot run: {why}; see tests/mermaid/check.rs");
        let required = std::env::var("BINDERY_REQUIRE_MERMAID").is_ok_and(|v| v == "1");
        assert!(!required, "{message} (BINDERY_REQUIRE_MERMAID=1)");
        eprintln!("skipping: {message}; set BINDERY_REQUIRE_MERMAID=1 to fail instead");
        return None;
    }
    // The script resolves `mermaid` and `jsdom` from where it lies: beside node_modules.
    // One copy per call, since the tests run at once.
    let script = dir.join(format!("parse_{}.mjs", diagrams[0].0));
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mermaid/parse.mjs"),
        &script,
    )
    .unwrap();
    let files: Vec<PathBuf> = diagrams
        .iter()
        .map(|(name, text)| {
            let file = dir.join(format!("{name}.mmd"));
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect();
    let output = Command::new("node")
        .arg(&script)
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.lines().count() == files.len(),
        "node failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts = diagrams
        .iter()
        .zip(stdout.lines())
        .map(|((name, _), line)| {
            let verdict = line.split_once(": ").map_or("ok", |(_, message)| message);
            ((*name).to_owned(), verdict.to_owned())
        });
    Some(verdicts.collect())
}

fn assert_all_parse(diagrams: &[(&str, String)]) {
    let Some(verdicts) = mermaid_verdicts(diagrams) else {
        return;
    };
    for ((name, verdict), (_, text)) in verdicts.iter().zip(diagrams) {
        assert_eq!(verdict, "ok", "Mermaid refuses {name}:\n{text}");
    }
}

/// The example crates' tables only (this test's own models share their names).
fn examples(bind: Option<&str>) -> Registry {
    let crates = ["accounts::", "shop::", "audit::"];
    Registry::from_tables(bindery::registry().tables().filter(|t| {
        crates.iter().any(|c| t.rust_type.starts_with(c))
            && bind.is_none_or(|b| BindKey::from(t.bind_key) == b)
    }))
}

#[test]
fn mermaid_parses_the_example_dump_whole_and_per_bind() {
    assert_all_parse(&[
        ("examples", examples(None).dump_mermaid()),
        ("examples_auth", examples(Some("auth")).dump_mermaid()),
        ("examples_shop", examples(Some("shop")).dump_mermaid()),
    ]);
}

#[test]
fn mermaid_parses_shared_and_odd_names() {
    assert_all_parse(&[
        ("shop", super::shop().dump_mermaid()),
        ("twins", super::twins().dump_mermaid()),
        (
            "odd",
            Registry::from_tables([super::Odd::TABLE]).dump_mermaid(),
        ),
    ]);
}

/// The check can fail: the dump before issue 13.8, an `erDiagram` per bind in one text.
#[test]
fn mermaid_refuses_two_diagrams_in_one_text() {
    let two = "erDiagram\n    a {\n        BIGINT id PK\n    }\n\nerDiagram\n    b {\n        BIGINT id PK\n    }\n";
    let Some(verdicts) = mermaid_verdicts(&[("two_diagrams", two.to_owned())]) else {
        return;
    };
    assert!(verdicts[0].1.contains("Parse error"), "{verdicts:?}");
}

/// The first of `names` that is an executable on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|file| file.is_file())
}

/// mermaid-cli itself renders the example dump to SVG in a headless Chromium, when
/// `mmdc` (`$BINDERY_MMDC`, else on PATH) and a Chromium (`$PUPPETEER_EXECUTABLE_PATH`,
/// else `chromium` on PATH) are present; otherwise it says so and passes, unless
/// `BINDERY_REQUIRE_MMDC=1`.
#[test]
fn mmdc_renders_the_example_dump() {
    let mmdc = std::env::var_os("BINDERY_MMDC")
        .map(PathBuf::from)
        .or_else(|| on_path(&["mmdc"]));
    let chromium = std::env::var_os("PUPPETEER_EXECUTABLE_PATH")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromium", "chromium-browser", "google-chrome"]));
    let (Some(mmdc), Some(chromium)) = (mmdc, chromium) else {
        let message = "mmdc or Chromium missing (set BINDERY_MMDC and PUPPETEER_EXECUTABLE_PATH, or put mmdc and chromium on PATH)";
        let required = std::env::var("BINDERY_REQUIRE_MMDC").is_ok_and(|v| v == "1");
        assert!(!required, "{message} (BINDERY_REQUIRE_MMDC=1)");
        eprintln!("skipping: {message}; set BINDERY_REQUIRE_MMDC=1 to fail instead");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mmdc");
    std::fs::create_dir_all(&dir).unwrap();
    // Tests may run as root (in CI containers), where Chromium needs --no-sandbox.
    let config = format!(
        "{{\"executablePath\": {:?}, \"args\": [\"--no-sandbox\"]}}",
        chromium.display().to_string()
    );
    std::fs::write(dir.join("puppeteer.json"), config).unwrap();
    std::fs::write(dir.join("examples.mmd"), examples(None).dump_mermaid()).unwrap();
    let _ = std::fs::remove_file(dir.join("examples.svg"));
    let output = Command::new(&mmdc)
        .current_dir(&dir)
        .args([
            "-p",
            "puppeteer.json",
            "-i",
            "examples.mmd",
            "-o",
            "examples.svg",
        ])
        .output()
        .unwrap();
    let svg = std::fs::read_to_string(dir.join("examples.svg")).unwrap_or_default();
    assert!(
        output.status.success() && svg.contains("placed_by (link)"),
        "mmdc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
