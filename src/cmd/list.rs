//! `splitbrain list`: protocols, variants (with BUGS.md ids and the scenario that exposes
//! each) and named scenarios, as text or JSON.

use super::common::EXIT_PASS;
use serde_json::json;
use splitbrain_scenarios::registry::{all_scenarios, protocols};

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ListArgs) -> i32 {
    let entries = protocols();
    let scenarios = all_scenarios();
    if args.json {
        let protos: Vec<_> = entries
            .iter()
            .map(|p| {
                let info = p.info();
                let variants: Vec<_> = info
                    .variants
                    .iter()
                    .map(|v| json!({"name": v.name, "bug_id": v.bug_id, "expect": v.expect, "scenario": v.scenario, "summary": v.summary}))
                    .collect();
                json!({"name": info.name, "summary": info.summary, "variants": variants})
            })
            .collect();
        let scen: Vec<_> = scenarios
            .iter()
            .map(|s| json!({"name": s.name, "protocol": s.protocol, "description": s.description}))
            .collect();
        let out = json!({"schema_version": 1, "protocols": protos, "scenarios": scen});
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
        return EXIT_PASS;
    }
    for p in &entries {
        let info = p.info();
        println!("{}: {}", info.name, info.summary);
        for v in &info.variants {
            let bug = v
                .bug_id
                .map_or("correct".to_string(), |b| format!("bug {b}"));
            println!(
                "  {:<22} {:<9} scenario {:<22} {}",
                v.name, bug, v.scenario, v.summary
            );
        }
    }
    println!("\nscenarios:");
    for s in &scenarios {
        println!("  {:<24} {}", s.name, s.description);
    }
    EXIT_PASS
}
