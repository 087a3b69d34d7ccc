//! `splitbrain experiment NAME`: runs one of the lecture experiments (or `all`) and writes
//! what it measured three ways: a table and the finding on the terminal, and beside each
//! other in `--out` an SVG plot, the raw numbers as CSV, and everything as JSON. Without a
//! name it lists the experiments and their claims. Exit 0 when the numbers show the claim,
//! 1 when they do not.

use super::common::{usage_exit, write_atomic, UsageError, EXIT_FAIL, EXIT_PASS};
use splitbrain_reports::plots::{line_chart, LineChart, Series};
use splitbrain_scenarios::experiments::{experiments, find, Effort, Experiment, Outcome};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ExperimentArgs {
    /// Experiment to run (`all` for every one); without it, the list of experiments.
    pub name: Option<String>,
    /// Folder for NAME.svg, NAME.csv and NAME.json (created if missing).
    #[arg(long, value_name = "DIR", default_value = "splitbrain-experiments")]
    pub out: PathBuf,
    /// Fewer seeds and shorter worlds: a quick look, not the figures.
    #[arg(long)]
    pub quick: bool,
    /// Print the measured numbers as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ExperimentArgs) -> i32 {
    let chosen = match args.name.as_deref() {
        None => return list(),
        Some("all") => experiments(),
        Some(name) => match find(name) {
            Some(e) => vec![e],
            None => return usage_exit(unknown(name)),
        },
    };
    let effort = if args.quick {
        Effort::Quick
    } else {
        Effort::Full
    };
    let mut all_hold = true;
    for e in chosen {
        let outcome = (e.run)(effort);
        if let Err(err) = write_files(&args.out, &outcome) {
            return usage_exit(err);
        }
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&outcome).expect("outcomes serialise")
            );
        } else {
            print_outcome(&outcome, &args.out);
        }
        all_hold &= outcome.holds;
    }
    if all_hold {
        EXIT_PASS
    } else {
        EXIT_FAIL
    }
}

fn unknown(name: &str) -> UsageError {
    let names: Vec<&str> = experiments().iter().map(|e| e.name).collect();
    UsageError(format!(
        "unknown experiment `{name}`; known: {} (or `all`)",
        names.join(", ")
    ))
}

fn list() -> i32 {
    for Experiment { name, claim, .. } in experiments() {
        println!("{name:<20} {claim}");
    }
    println!("\nrun one with `splitbrain experiment NAME` (or `all`); --quick for a short look");
    EXIT_PASS
}

/// The plot of an outcome, as a standalone SVG.
pub fn svg(o: &Outcome) -> String {
    let series: Vec<Series> = o
        .lines
        .iter()
        .map(|l| Series {
            name: l.name.clone(),
            points: l.points.clone(),
        })
        .collect();
    line_chart(&LineChart {
        title: &format!("{}: {}", o.name, o.y_label),
        x_label: o.x_label,
        y_label: o.y_label,
        series: &series,
    })
}

/// The table as CSV (cells never hold commas or quotes: numbers and short names).
pub fn csv(o: &Outcome) -> String {
    let mut out = o.columns.join(",") + "\n";
    for row in &o.rows {
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn write_files(dir: &Path, o: &Outcome) -> Result<(), UsageError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        UsageError(format!(
            "--out {}: cannot create the folder: {e}",
            dir.display()
        ))
    })?;
    let json = serde_json::to_string_pretty(o).expect("outcomes serialise");
    write_atomic(&dir.join(format!("{}.svg", o.name)), svg(o).as_bytes())?;
    write_atomic(&dir.join(format!("{}.csv", o.name)), csv(o).as_bytes())?;
    write_atomic(&dir.join(format!("{}.json", o.name)), json.as_bytes())
}

fn print_outcome(o: &Outcome, dir: &Path) {
    println!("== {}: {}", o.name, o.claim);
    println!("{}", o.setup);
    let widths: Vec<usize> = (0..o.columns.len())
        .map(|c| {
            o.rows
                .iter()
                .map(|r| r[c].len())
                .chain([o.columns[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        println!("  {}", padded.join("  "));
    };
    line(&o.columns);
    for row in &o.rows {
        line(row);
    }
    println!("finding: {}", o.finding);
    println!(
        "plot {}, numbers {} and {}\n",
        dir.join(format!("{}.svg", o.name)).display(),
        dir.join(format!("{}.csv", o.name)).display(),
        dir.join(format!("{}.json", o.name)).display()
    );
}
