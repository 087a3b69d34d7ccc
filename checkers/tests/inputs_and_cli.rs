//! Readers and the CLI: malformed input is an error naming file, line and field (exit 2),
//! never a panic; exit codes and the JSON report have the documented shape.

use std::path::PathBuf;

use proptest::prelude::*;
use splitbrain_checkers::cli::{self, CliOptions};
use splitbrain_checkers::{
    check_history, read_history_str, CheckOptions, Format, ModelKind, ReadError, Verdict,
};

const SAMPLE_JSON: &str = r#"{"schema_version": 1, "model": "kv", "ops": [
  {"client": "C1", "call_us": 10, "ret_us": 20, "status": "ok", "op": {"f": "put", "key": "k1", "value": "x"}, "out": {"r": "done"}},
  {"client": "C2", "call_us": 15, "ret_us": null, "status": "indeterminate", "op": {"f": "get", "key": "k1"}, "out": null},
  {"client": "C1", "call_us": 30, "ret_us": 40, "status": "ok", "op": {"f": "get", "key": "k1"}, "out": {"r": "value", "value": "x"}},
  {"client": "C1", "call_us": 50, "ret_us": 60, "status": "ok", "op": {"f": "cas", "key": "k1", "from": "x", "to": "y"}, "out": {"r": "bool", "value": true}},
  {"client": "C1", "call_us": 70, "ret_us": 80, "status": "fail", "op": {"f": "append", "key": "k1", "value": "z"}, "out": null}
]}"#;

const SAMPLE_EDN: &str = "[{:process 0, :type :invoke, :f :write, :value 1}\n\
 {:process 0, :type :ok, :f :write, :value 1}\n\
 {:process 1, :type :invoke, :f :cas, :value [1 2]}\n\
 {:process 1, :type :info, :f :cas, :value [1 2]}\n\
 {:process 2, :type :invoke, :f :read, :value nil}\n\
 {:process 2, :type :ok, :f :read, :value 2}]";

const SAMPLE_LOG: &str = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
INFO  jepsen.util - 0\t:ok\t:write\t1\n\
INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]\n\
INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]\n\
INFO  jepsen.util - 2\t:invoke\t:read\tnil\n\
INFO  jepsen.util - 2\t:ok\t:read\t1";

fn invalid(e: ReadError) -> (String, u32, String) {
    match e {
        ReadError::Invalid {
            file, line, field, ..
        } => (file, line, field),
        other => panic!("expected an invalid-input error, got {other}"),
    }
}

#[test]
fn the_documented_json_example_reads_and_is_linearizable() {
    let h = read_history_str(
        SAMPLE_JSON,
        "h.json",
        Some(Format::Splitbrain),
        ModelKind::Kv,
    )
    .expect("read");
    assert_eq!(h.ops.len(), 4, "the failed append is dropped");
    assert!(h.ops[1].is_indeterminate());
    let r = check_history(&h, ModelKind::Kv, &CheckOptions::default());
    assert_eq!(r.verdict, Verdict::Linearizable);
}

/// Schema 2 (ZooKeeper operations, notices) reads schema-1 histories' operations the same;
/// a version this build does not know is refused naming the file, line and field, and a
/// ZooKeeper operation in a key-value history is named as not an operation of the model.
#[test]
fn schema_two_reads_and_unknown_versions_are_refused_by_name() {
    let read =
        |text: &str| read_history_str(text, "h.json", Some(Format::Splitbrain), ModelKind::Kv);
    let v2 = SAMPLE_JSON.replace(r#""schema_version": 1"#, r#""schema_version": 2"#);
    let v2 = v2.replace(
        r#""model": "kv","#,
        r#""model": "kv", "notices": [{"client": "C1", "at_us": 5, "ops_ended": 0, "notice": {"n": "connected", "session": 1}}],"#,
    );
    assert_eq!(
        read(&v2).expect("schema 2").ops,
        read(SAMPLE_JSON).unwrap().ops
    );
    let v3 = SAMPLE_JSON.replace(r#""schema_version": 1"#, r#""schema_version": 3"#);
    let e = read(&v3).unwrap_err();
    assert!(e.to_string().contains("unknown version 3"), "{e}");
    assert_eq!(
        invalid(e),
        ("h.json".to_string(), 1, "schema_version".to_string())
    );
    let zk = SAMPLE_JSON.replace(
        r#"{"f": "get", "key": "k1"}, "out": {"r": "value", "value": "x"}"#,
        r#"{"f": "get-data", "path": "/a", "watch": false}, "out": {"r": "value", "value": "x"}"#,
    );
    let e = read(&zk).unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown operation `get-data` for model kv"),
        "{e}"
    );
}

#[test]
fn a_json_error_names_file_line_and_field() {
    let text = SAMPLE_JSON.replace(r#""call_us": 30"#, r#""call_us": "soon""#);
    let e = read_history_str(&text, "h.json", Some(Format::Splitbrain), ModelKind::Kv).unwrap_err();
    assert_eq!(invalid(e), ("h.json".into(), 4, "call_us".into()));
    let text = SAMPLE_JSON.replace(r#""status": "indeterminate""#, r#""status": "maybe""#);
    let e = read_history_str(&text, "h.json", Some(Format::Splitbrain), ModelKind::Kv).unwrap_err();
    assert_eq!(invalid(e).2, "status");
    let text = SAMPLE_JSON.replace(r#""ret_us": 40"#, r#""ret_us": 25"#);
    let e = read_history_str(&text, "h.json", Some(Format::Splitbrain), ModelKind::Kv).unwrap_err();
    assert_eq!(
        invalid(e).1,
        4,
        "return before call is caught by validation"
    );
}

#[test]
fn overlapping_operations_of_one_client_are_rejected() {
    let text = SAMPLE_JSON
        .replace(r#""call_us": 30"#, r#""call_us": 12"#)
        .replace(r#""ret_us": 20,"#, r#""ret_us": 20, "#);
    let e = read_history_str(&text, "h.json", Some(Format::Splitbrain), ModelKind::Kv).unwrap_err();
    assert_eq!(invalid(e).2, "call");
}

#[test]
fn an_edn_error_names_line_and_field() {
    let text = SAMPLE_EDN.replace("{:process 2, :type :ok", "{:process 2, :type :done");
    let e = read_history_str(
        &text,
        "h.edn",
        None.or(Some(Format::Edn)),
        ModelKind::KnossosCasRegister0,
    )
    .unwrap_err();
    assert_eq!(invalid(e), ("h.edn".into(), 6, "type".into()));
    let text = SAMPLE_EDN.replace("{:process 0, :type :ok", "{:process 5, :type :ok");
    let e = read_history_str(
        &text,
        "h.edn",
        Some(Format::Edn),
        ModelKind::KnossosCasRegister0,
    )
    .unwrap_err();
    assert_eq!(invalid(e).1, 2, "a completion without invocation");
}

#[test]
fn fail_reads_as_the_source_says() {
    let knossos = read_history_str(
        SAMPLE_LOG,
        "l",
        Some(Format::Jepsen),
        ModelKind::KnossosCasRegister0,
    )
    .expect("read");
    assert_eq!(knossos.ops.len(), 2, "Knossos: a failed cas did not happen");
    let etcd = read_history_str(
        SAMPLE_LOG,
        "l",
        Some(Format::Jepsen),
        ModelKind::PorcupineEtcdCasRegister,
    )
    .expect("read");
    assert_eq!(
        etcd.ops.len(),
        3,
        "Porcupine etcd: a failed cas is a failed compare"
    );
    let v = |h, m| check_history(h, m, &CheckOptions::default()).verdict;
    assert_eq!(
        v(&knossos, ModelKind::KnossosCasRegister0),
        Verdict::Linearizable
    );
    assert_eq!(
        v(&etcd, ModelKind::PorcupineEtcdCasRegister),
        Verdict::NotLinearizable
    );
}

#[test]
fn an_indeterminate_cas_may_or_may_not_have_happened() {
    let h = read_history_str(
        SAMPLE_EDN,
        "h",
        Some(Format::Edn),
        ModelKind::KnossosCasRegister0,
    )
    .expect("read");
    assert_eq!(
        check_history(&h, ModelKind::KnossosCasRegister0, &CheckOptions::default()).verdict,
        Verdict::Linearizable
    );
    let never = SAMPLE_EDN.replace(":value 2}]", ":value 3}]");
    let h = read_history_str(
        &never,
        "h",
        Some(Format::Edn),
        ModelKind::KnossosCasRegister0,
    )
    .expect("read");
    assert_eq!(
        check_history(&h, ModelKind::KnossosCasRegister0, &CheckOptions::default()).verdict,
        Verdict::NotLinearizable
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mangled_input_never_panics(
        which in 0..3usize,
        cuts in prop::collection::vec((any::<u16>(), any::<u8>()), 1..6),
    ) {
        let (sample, format, model) = [
            (SAMPLE_JSON, Format::Splitbrain, ModelKind::Kv),
            (SAMPLE_EDN, Format::Edn, ModelKind::KnossosCasRegister0),
            (SAMPLE_LOG, Format::Jepsen, ModelKind::PorcupineEtcdCasRegister),
        ][which];
        let mut bytes = sample.as_bytes().to_vec();
        for (at, b) in cuts {
            let i = at as usize % bytes.len().max(1);
            match b % 3 {
                0 => { bytes.truncate(i); }
                1 => { if i < bytes.len() { bytes[i] = b"[]{}\":, 0-9xn\t\\#;"[b as usize % 18]; } }
                _ => { bytes.insert(i.min(bytes.len()), b"[{\"9:"[b as usize % 5]); }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(h) = read_history_str(&text, "m", Some(format), model) {
            let _report = check_history(&h, model, &CheckOptions::default());
        }
    }
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-checkers-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write temp file");
    p
}

fn run_cli(o: &CliOptions) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(o, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[test]
fn cli_exit_codes_follow_the_verdicts() {
    let good = temp_file("good.json", SAMPLE_JSON);
    let bad = temp_file("bad.log", SAMPLE_LOG);
    let broken = temp_file("broken.json", "{\"schema_version\": 1, \"ops\": [");
    let etcd = Some("porcupine-etcd-cas-register".to_string());
    let o = |files: Vec<PathBuf>, model: Option<String>| CliOptions {
        files,
        model,
        ..CliOptions::default()
    };
    assert_eq!(
        run_cli(&o(vec![good.clone()], None)).0,
        0,
        "model taken from the file"
    );
    assert_eq!(run_cli(&o(vec![bad.clone()], etcd.clone())).0, 1);
    let (code, _, err) = run_cli(&o(vec![broken.clone()], Some("kv".into())));
    assert_eq!(code, 2);
    assert!(err.contains("broken.json:1"), "{err}");
    assert_eq!(
        run_cli(&o(vec![good.clone()], Some("no-such-model".into()))).0,
        2
    );
    assert_eq!(
        run_cli(&o(vec![bad.clone()], None)).0,
        2,
        "a log names no model"
    );
    let tiny = CliOptions {
        budget_ms: Some(0),
        ..o(vec![bad.clone()], etcd.clone())
    };
    assert_eq!(run_cli(&tiny).0, 3, "no time at all gives unknown");
}

#[test]
fn cli_json_reports_each_file_with_its_time() {
    let good = temp_file("good2.json", SAMPLE_JSON);
    let bad = temp_file("bad2.log", SAMPLE_LOG);
    let o = CliOptions {
        files: vec![good, bad],
        model: None,
        json: true,
        jobs: Some(2),
        ..CliOptions::default()
    };
    let o = CliOptions {
        model: Some("porcupine-etcd-cas-register".into()),
        ..o
    };
    let (code, out, _) = run_cli(&o);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["verdict"], "linearizable");
    assert_eq!(files[1]["verdict"], "not-linearizable");
    assert_eq!(files[1]["ops"], 3);
    assert!(files[1]["time_us"].is_u64());
    assert!(files[1]["evidence"]["culprit"]["input"].is_string());
    assert!(v["total_time_us"].is_u64());
}

#[test]
fn cli_arguments_parse_like_the_binary() {
    let args: Vec<String> = [
        "--model",
        "kv",
        "a.json",
        "--json",
        "--budget-ms",
        "5",
        "--jobs",
        "2",
        "b.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = cli::parse_args(&args).expect("parse");
    assert_eq!(o.files.len(), 2);
    assert_eq!((o.json, o.budget_ms, o.jobs), (true, Some(5), Some(2)));
    assert!(cli::parse_args(&["--jobs".to_string()]).is_err());
}

fn json_history(model: &str, ops: &[&str]) -> String {
    format!(
        "{{\"schema_version\": 1, \"model\": \"{model}\", \"ops\": [\n{}\n]}}",
        ops.join(",\n")
    )
}

fn verdict_of(model: ModelKind, text: &str) -> Verdict {
    let h = read_history_str(text, "t.json", Some(Format::Splitbrain), model).expect("read");
    check_history(&h, model, &CheckOptions::default()).verdict
}

#[test]
fn every_splitbrain_model_reads_from_json() {
    let op = |c: &str, t: u64, op: &str, out: &str| {
        format!(
            "{{\"client\":\"{c}\",\"call_us\":{t},\"ret_us\":{},\"status\":\"ok\",\"op\":{op},\"out\":{out}}}",
            t + 5
        )
    };
    let b = |v: bool| format!("{{\"r\":\"bool\",\"value\":{v}}}");
    let acq = "{\"f\":\"acquire\",\"lock\":7}";
    let mutex_ok = [op("a", 0, acq, &b(true)), op("b", 10, acq, &b(false))];
    let mutex_bad = [op("a", 0, acq, &b(true)), op("b", 10, acq, &b(true))];
    assert_eq!(
        verdict_of(
            ModelKind::Mutex,
            &json_history("mutex", &mutex_ok.each_ref().map(|s| s.as_str()))
        ),
        Verdict::Linearizable
    );
    assert_eq!(
        verdict_of(
            ModelKind::Mutex,
            &json_history("mutex", &mutex_bad.each_ref().map(|s| s.as_str()))
        ),
        Verdict::NotLinearizable
    );

    let add = "{\"f\":\"add\",\"value\":3}";
    let read = "{\"f\":\"read\"}";
    let set = [
        op("a", 0, add, "{\"r\":\"done\"}"),
        op("b", 10, read, "{\"r\":\"values\",\"value\":[3]}"),
    ];
    assert_eq!(
        verdict_of(
            ModelKind::Set,
            &json_history("set", &set.each_ref().map(|s| s.as_str()))
        ),
        Verdict::Linearizable
    );

    let enq = "{\"f\":\"enqueue\",\"value\":\"x\"}";
    let deq = "{\"f\":\"dequeue\"}";
    let q = [
        op("a", 0, enq, "{\"r\":\"done\"}"),
        op("b", 10, deq, "{\"r\":\"value\",\"value\":null}"),
    ];
    assert_eq!(
        verdict_of(
            ModelKind::Queue,
            &json_history("queue", &q.each_ref().map(|s| s.as_str()))
        ),
        Verdict::NotLinearizable
    );

    let w = "{\"f\":\"txn\",\"ops\":[{\"f\":\"write\",\"key\":\"x\",\"value\":1},{\"f\":\"write\",\"key\":\"y\",\"value\":1}]}";
    let r =
        "{\"f\":\"txn\",\"ops\":[{\"f\":\"read\",\"key\":\"x\"},{\"f\":\"read\",\"key\":\"y\"}]}";
    let torn = [
        op("a", 0, w, "{\"r\":\"done\"}"),
        op("b", 10, r, "{\"r\":\"txn\",\"value\":[1,null]}"),
        op("b", 20, r, "{\"r\":\"txn\",\"value\":[null,2]}"),
    ];
    assert_eq!(
        verdict_of(
            ModelKind::MultiRegister,
            &json_history("multi-register", &torn.each_ref().map(|s| s.as_str()))
        ),
        Verdict::NotLinearizable
    );

    let get = "{\"f\":\"get\",\"key\":\"k\"}";
    let missing = [op("a", 0, get, "{\"r\":\"value\",\"value\":null}")];
    assert_eq!(
        verdict_of(
            ModelKind::Kv,
            &json_history("kv", &missing.each_ref().map(|s| s.as_str()))
        ),
        Verdict::Linearizable
    );
    let rw = [
        op(
            "a",
            0,
            "{\"f\":\"write\",\"key\":\"r\",\"value\":1}",
            "null",
        ),
        op(
            "b",
            10,
            "{\"f\":\"read\",\"key\":\"r\"}",
            "{\"r\":\"value\",\"value\":null}",
        ),
    ];
    assert_eq!(
        verdict_of(
            ModelKind::Register,
            &json_history("register", &rw.each_ref().map(|s| s.as_str()))
        ),
        Verdict::NotLinearizable
    );
}
