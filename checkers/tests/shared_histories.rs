//! Every file listed in the shared `expected.tsv` tables gives the stated verdict. The
//! tables are read here; no verdict is copied into code.

mod common;

use std::path::Path;

use splitbrain_checkers::{check_history, read_history_file, CheckOptions, ModelKind, Verdict};

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
fn the_empty_etcd_log_reads_as_an_empty_linearizable_history() {
    let Some(dir) = common::histories_dir() else {
        return;
    };
    let model = ModelKind::PorcupineEtcdCasRegister;
    let h =
        read_history_file(&dir.join("porcupine/jepsen/etcd_095.log"), None, model).expect("read");
    assert!(h.ops.is_empty());
    assert_eq!(
        check_history(&h, model, &CheckOptions::default()).verdict,
        Verdict::Linearizable
    );
}

#[test]
fn parallel_and_sequential_checks_give_identical_reports() {
    let Some(dir) = common::histories_dir() else {
        return;
    };
    for (file, model) in [
        ("porcupine/kv/c10-bad.txt", ModelKind::PorcupineKv),
        ("porcupine/kv/c01-ok.txt", ModelKind::PorcupineKv),
        ("knossos/mutex/bad/etcd.edn", ModelKind::KnossosMutex),
    ] {
        let h = read_history_file(&dir.join(file), None, model).expect("read");
        let seq = check_history(&h, model, &CheckOptions::default());
        let par = check_history(
            &h,
            model,
            &CheckOptions {
                parallel: true,
                ..CheckOptions::default()
            },
        );
        assert_eq!(format!("{seq:?}"), format!("{par:?}"), "{file}");
    }
}

#[test]
fn a_tiny_step_budget_gives_unknown_never_a_pass() {
    let Some(dir) = common::histories_dir() else {
        return;
    };
    let model = ModelKind::PorcupineEtcdCasRegister;
    let h = read_history_file(
        &dir.join(Path::new("porcupine/jepsen/etcd_002.log")),
        None,
        model,
    )
    .expect("read");
    let r = check_history(
        &h,
        model,
        &CheckOptions {
            max_steps: 100,
            ..CheckOptions::default()
        },
    );
    assert!(matches!(r.verdict, Verdict::Unknown(_)), "{:?}", r.verdict);
}
