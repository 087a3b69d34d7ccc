//! Every file listed in the shared `expected.tsv` tables gives the stated verdict. The
//! tables are read here; no verdict is copied into code.

mod common;

use splitbrain_checkers::{check_history, read_history_file, CheckOptions, ModelKind};

fn check_table(folder: &str) {
    let Some(dir) = common::histories_dir() else {
        return;
    };
    let rows = common::table(&dir, folder);
    assert!(!rows.is_empty(), "{folder}/expected.tsv lists no files");
    let mut wrong = Vec::new();
    for row in &rows {
        let model: ModelKind = row.get("model").parse().expect("model name in table");
        let path = dir.join(folder).join(row.get("file"));
        let h = read_history_file(&path, None, model).unwrap_or_else(|e| panic!("{e}"));
        let report = check_history(&h, model, &CheckOptions::default());
        if report.verdict.word() != row.get("expected") {
            wrong.push(format!(
                "{}: got {:?}, expected {}",
                row.get("file"),
                report.verdict,
                row.get("expected")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} verdicts differ:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_porcupine_file_gives_the_stated_verdict() {
    check_table("porcupine");
}

#[test]
fn every_knossos_file_gives_the_stated_verdict() {
    check_table("knossos");
}

#[test]
fn knossos_culprits_are_the_operations_knossos_names() {
    let Some(dir) = common::histories_dir() else {
        return;
    };
    for row in common::table(&dir, "knossos") {
        let Ok(index) = row.get("culprit_index").parse::<u32>() else {
            continue;
        };
        let model: ModelKind = row.get("model").parse().expect("model");
        let h = read_history_file(&dir.join("knossos").join(row.get("file")), None, model)
            .expect("read");
        let ev = check_history(&h, model, &CheckOptions::default())
            .evidence
            .expect("evidence");
        assert_eq!(ev.culprit.ret_event, Some(index), "{}", row.get("file"));
    }
}

#[test]
fn knossos_files_read_with_the_tables_operation_counts() {
    let Some(dir) = common::histories_dir() else {
        return;
    };
    for row in common::table(&dir, "knossos") {
        let model: ModelKind = row.get("model").parse().expect("model");
        let h = read_history_file(&dir.join("knossos").join(row.get("file")), None, model)
            .expect("read");
        let n = |c: &str| row.get(c).parse::<usize>().expect("count");
        let file = row.get("file");
        assert_eq!(
            h.ops.len(),
            n("ops") - n("failed"),
            "{file}: kept operations"
        );
        let open = h.ops.iter().filter(|o| o.is_indeterminate()).count();
        assert_eq!(open, n("indeterminate"), "{file}: indeterminate operations");
    }
}

#[test]
fn a_missing_shared_folder_skips_and_a_wrong_variable_fails() {
    let root = std::env::temp_dir().join(format!("sb-no-shared-{}", std::process::id()));
    let workspace = root.join("splitbrain");
    std::fs::create_dir_all(&workspace).expect("scratch workspace");
    assert_eq!(common::locate_histories(None, &workspace), Ok(None));
    let wrong = root.join("nowhere");
    let err = common::locate_histories(Some(&wrong), &workspace).unwrap_err();
    assert!(err.contains("nowhere"), "{err}");
    let shared = root.join("shared/histories");
    std::fs::create_dir_all(&shared).expect("scratch shared folder");
    let found = common::locate_histories(None, &workspace).expect("found");
    assert_eq!(
        found.map(|p| p.canonicalize().unwrap()),
        Some(shared.canonicalize().unwrap())
    );
}
