//! `docs/scenario.schema.json` describes the scenario format the code reads: every catalogue
//! scenario of every registered protocol validates against it, a scenario the code refuses for
//! a size out of range is refused by the schema too, and `docs/scenarios.md` documents every
//! field the schema names. (A small validator for the part of JSON Schema the file uses.)

use serde_json::Value;
use splitbrain_scenarios::registry::protocols;
use splitbrain_scenarios::Scenario;
use std::path::Path;

fn docs(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema() -> Value {
    serde_json::from_str(&docs("scenario.schema.json")).expect("the schema is JSON")
}

/// Errors of `value` against `rule`, with `at` naming the place.
fn check(root: &Value, rule: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(r) = rule["$ref"].as_str() {
        let name = r.trim_start_matches("#/$defs/");
        return check(root, &root["$defs"][name], value, at);
    }
    let mut errors = Vec::new();
    if let Some(options) = rule["oneOf"].as_array() {
        let fits = options
            .iter()
            .filter(|o| check(root, o, value, at).is_empty())
            .count();
        if fits != 1 {
            errors.push(format!("{at}: fits {fits} of the oneOf options"));
        }
    }
    if let Some(c) = rule.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not {c}"));
        }
    }
    if let Some(options) = rule["enum"].as_array() {
        if !options.contains(value) {
            errors.push(format!("{at}: {value} not in enum"));
        }
    }
    if let Some(t) = rule.get("type") {
        let types: Vec<&str> = match t {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !types.iter().any(|t| has_type(value, t)) {
            errors.push(format!("{at}: {value} is not of type {t}"));
        }
    }
    for (key, ok) in [("minimum", true), ("maximum", false)] {
        if let (Some(bound), Some(v)) = (rule[key].as_f64(), value.as_f64()) {
            if (ok && v < bound) || (!ok && v > bound) {
                errors.push(format!("{at}: {v} breaks {key} {bound}"));
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(max) = rule["maxItems"].as_u64() {
            if items.len() as u64 > max {
                errors.push(format!("{at}: more than {max} items"));
            }
        }
        if let Some(item) = rule.get("items") {
            for (i, v) in items.iter().enumerate() {
                errors.extend(check(root, item, v, &format!("{at}[{i}]")));
            }
        }
    }
    if let Value::Object(map) = value {
        errors.extend(check_object(root, rule, map, at));
    }
    errors
}

fn check_object(
    root: &Value,
    rule: &Value,
    map: &serde_json::Map<String, Value>,
    at: &str,
) -> Vec<String> {
    let mut errors = Vec::new();
    for name in rule["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !map.contains_key(name) {
            errors.push(format!("{at}: `{name}` missing"));
        }
    }
    for (name, v) in map {
        let place = format!("{at}.{name}");
        if let Some(names) = rule.get("propertyNames") {
            errors.extend(check(root, names, &Value::String(name.clone()), &place));
        }
        match (
            rule["properties"].get(name),
            rule.get("additionalProperties"),
        ) {
            (Some(p), _) => errors.extend(check(root, p, v, &place)),
            (None, Some(Value::Bool(false))) => errors.push(format!("{place}: not allowed")),
            (None, Some(extra @ Value::Object(_))) => errors.extend(check(root, extra, v, &place)),
            _ => {}
        }
    }
    errors
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

#[test]
fn every_catalogue_scenario_of_every_protocol_fits_the_schema() {
    let schema = schema();
    let mut count = 0;
    for entry in protocols() {
        for s in entry.scenarios() {
            let value = serde_json::to_value(&s).expect("serialises");
            let errors = check(&schema, &schema, &value, &s.name);
            assert!(errors.is_empty(), "{}: {errors:#?}", s.name);
            count += 1;
        }
    }
    assert!(count >= 2, "the registry has scenarios");
}

#[test]
fn the_schema_and_the_reader_refuse_the_same_out_of_range_sizes() {
    let schema = schema();
    let good = r#"{"name": "x", "clients": 2, "safety_ms": 100, "workload": {"kind": "lock"}}"#;
    let ok: Value = serde_json::from_str(good).unwrap();
    assert!(check(&schema, &schema, &ok, "x").is_empty());
    assert!(Scenario::from_json(good, "x.json").is_ok());
    for (from, to) in [
        ("\"clients\": 2", "\"clients\": 0"),
        ("\"clients\": 2", "\"clients\": 257"),
        ("\"safety_ms\": 100", "\"safety_ms\": 0"),
        ("\"clients\": 2", "\"clients\": 2, \"servers\": 17"),
        ("\"clients\": 2", "\"clients\": 2, \"max_events\": 0"),
        ("\"clients\": 2", "\"clients\": 2, \"extra\": 1"),
    ] {
        let text = good.replace(from, to);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(
            !check(&schema, &schema, &value, "x").is_empty(),
            "schema accepts {to}"
        );
        assert!(
            Scenario::from_json(&text, "x.json").is_err(),
            "reader accepts {to}"
        );
    }
}

#[test]
fn the_scenario_docs_name_every_field_of_the_schema() {
    let schema = schema();
    let page = docs("scenarios.md");
    let mut fields: Vec<String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for def in ["link_profile", "generator"] {
        fields.extend(
            schema["$defs"][def]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned(),
        );
    }
    for fault in schema["$defs"]["fault"]["oneOf"].as_array().unwrap() {
        fields.extend(fault["properties"].as_object().unwrap().keys().cloned());
        fields.push(
            fault["properties"]["kind"]["const"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    for w in schema["$defs"]["workload"]["oneOf"].as_array().unwrap() {
        fields.extend(w["properties"].as_object().unwrap().keys().cloned());
    }
    let missing: Vec<&String> = fields
        .iter()
        .filter(|f| !page.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/scenarios.md does not document {missing:?}"
    );
}
