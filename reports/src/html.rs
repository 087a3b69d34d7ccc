//! The self-contained HTML report of one run: a header (seed, protocol, variant, outcome, the
//! command that reproduces it), the counterexample, and a zoomable space-time diagram drawn
//! by inline vanilla JS from the run's data, embedded as JSON. No network fetches.
//!
//! Page anchors other tools (and the browser test) rely on: `#header`, `#repro`,
//! `#counterexample` (one `article.cx` per violation), `#notices`, `#diagram` (the SVG; lanes
//! are `g.lane[data-node]`, messages `.msg.msg-deliver|msg-duplicate|msg-drop|msg-cut|
//! msg-lost-at-down`, bands `.band.band-<kind>`, operations `rect.op` with `violating` on the
//! highlighted ones), and `#errors`, where the script records any error it meets.

use crate::counterexample::Highlight;
use crate::diagram::{build, Diagram, DiagramOptions, Thinning};
use crate::ReportInput;
use splitbrain_api::NodeId;

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => { $out.push_str(&format!($($arg)*)) };
}

/// `put!` with a newline.
macro_rules! putln {
    ($out:expr, $($arg:tt)*) => {{ $out.push_str(&format!($($arg)*)); $out.push('\n'); }};
}

const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");

/// Limits for one report.
#[derive(Clone, Debug)]
pub struct HtmlOptions {
    pub diagram: DiagramOptions,
    /// The page is re-rendered with fewer messages until it fits.
    pub max_bytes: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            diagram: DiagramOptions::default(),
            max_bytes: 5_000_000,
        }
    }
}

/// A rendered page and what was left out of it.
#[derive(Clone, Debug)]
pub struct HtmlReport {
    pub html: String,
    pub thinning: Thinning,
}

/// Renders the report of one run. Deterministic: the same input gives the same bytes.
pub fn render_html(input: &ReportInput, opts: &HtmlOptions) -> HtmlReport {
    let mut dopts = opts.diagram.clone();
    loop {
        let diagram = build(input, &dopts);
        let html = page(input, &diagram);
        let fits = html.len() <= opts.max_bytes;
        let can_shrink = dopts.max_messages > 500 || dopts.max_minor > 500;
        if fits || !can_shrink {
            return HtmlReport {
                html,
                thinning: diagram.thinning,
            };
        }
        // Shrink in proportion to the overshoot, with a margin, and never by less than 20%.
        let ratio = (opts.max_bytes as f64 / html.len() as f64 * 0.9).min(0.8);
        let shrink = |n: usize| ((n as f64 * ratio) as usize).max(500);
        dopts.max_messages = shrink(dopts.max_messages.min(diagram.thinning.messages_kept));
        dopts.max_minor = shrink(dopts.max_minor.min(diagram.thinning.minor_kept));
        dopts.label_max_chars = (dopts.label_max_chars * 3 / 4).max(48);
    }
}

fn page(input: &ReportInput, d: &Diagram) -> String {
    let rec = input.record;
    let outcome = rec.outcome.word();
    let mut h = String::with_capacity(1 << 20);
    let title = format!(
        "splitbrain: {} {}{} seed {} {}",
        input.protocol,
        input.variant,
        input.bug_id.map_or(String::new(), |b| format!(" ({b})")),
        rec.seed,
        outcome.to_uppercase()
    );
    put!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <div id=\"errors\" role=\"alert\"></div>\n",
        esc(&title)
    );
    header(&mut h, input);
    notices(&mut h, d);
    cut_links(&mut h, input);
    counterexample(&mut h, input, &d.highlights);
    h.push_str(CONTROLS);
    h.push_str("<script type=\"application/json\" id=\"run-data\">");
    h.push_str(&json_for_script(d));
    h.push_str("</script>\n<script>\n");
    h.push_str(JS);
    h.push_str("</script>\n</body>\n</html>\n");
    h
}

fn header(h: &mut String, input: &ReportInput) {
    let rec = input.record;
    let outcome = rec.outcome.word();
    let ops = rec.op_counts();
    put!(
        h,
        "<header id=\"header\" class=\"outcome-{outcome}\">\n<h1>{} <span class=\"variant\">{}\
         </span>{} <span class=\"outcome\" id=\"outcome\">{}</span></h1>\n<dl class=\"meta\">",
        esc(input.protocol),
        esc(input.variant),
        input.bug_id.map_or(String::new(), |b| format!(
            " <span class=\"bug\">{}</span>",
            esc(b)
        )),
        outcome.to_uppercase()
    );
    let servers = rec.nodes.iter().filter(|n| !n.is_client()).count();
    let fields = [
        ("seed", rec.seed.to_string()),
        ("protocol", input.protocol.to_string()),
        ("variant", input.variant.to_string()),
        ("bug", input.bug_id.unwrap_or("none").to_string()),
        ("scenario", input.scenario.to_string()),
        ("outcome", outcome.to_string()),
        ("servers", servers.to_string()),
        ("clients", (rec.nodes.len() - servers).to_string()),
        ("simulated", splitbrain_api::ms_label(rec.sim_time_us)),
        ("events", rec.events.to_string()),
        (
            "ops",
            format!(
                "{} ok, {} failed, {} ?",
                ops.ok, ops.failed, ops.indeterminate
            ),
        ),
        ("faults", input.schedule.len().to_string()),
        ("trace hash", format!("{:016x}", rec.trace_hash)),
    ];
    for (k, v) in fields {
        let id = k.replace(' ', "-");
        put!(h, "<dt>{k}</dt><dd id=\"meta-{id}\">{}</dd>", esc(&v));
    }
    h.push_str("</dl>\n");
    if rec.outcome != splitbrain_sim::Outcome::Pass {
        putln!(h, "<p class=\"headline\">{}</p>", esc(&rec.headline()));
    }
    put!(
        h,
        "<p class=\"repro\">reproduce: <code id=\"repro\">{}</code> \
         <button type=\"button\" id=\"copy-repro\">copy</button></p>\n</header>\n",
        esc(input.repro)
    );
}

/// Which links are cut from each partition-shaped fault or heal on (one row per change), as
/// the world applied them: a reader need not work out how successive partitions combine.
fn cut_links(h: &mut String, input: &ReportInput) {
    let rec = input.record;
    let servers = rec.nodes.iter().filter(|n| !n.is_client()).count();
    let clients = rec.nodes.len() - servers;
    let timeline = splitbrain_sim::network::cut_timeline(input.schedule, servers, clients);
    if timeline.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"cut-links\">\n<h2>Cut links</h2>\n<table class=\"cuts\">\n\
         <tr><th>from</th><th>fault</th><th>links cut (&harr; both ways, &rarr; one way)</th></tr>\n",
    );
    let faults = input
        .schedule
        .iter()
        .filter(|t| t.fault.is_partition_shaped());
    for ((at, links), t) in timeline.iter().zip(faults) {
        putln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"cut\">{}</td></tr>",
            esc(&splitbrain_api::ms_label(*at)),
            esc(&t.fault.label()),
            esc(&link_list(links))
        );
    }
    h.push_str("</table>\n</section>\n");
}

/// `S1<->S3, S2->S3`: a pair cut both ways once, a one-way cut with its direction.
pub(crate) fn link_list(links: &[(NodeId, NodeId)]) -> String {
    if links.is_empty() {
        return "none".to_string();
    }
    let mut out = Vec::new();
    for &(a, b) in links {
        let both = links.contains(&(b, a));
        if both && a < b {
            out.push(format!("{a}<->{b}"));
        } else if !both {
            out.push(format!("{a}->{b}"));
        }
    }
    out.join(", ")
}

fn notices(h: &mut String, d: &Diagram) {
    h.push_str("<section id=\"notices\">\n");
    let t = &d.thinning;
    if !d.has_trace {
        h.push_str(
            "<p class=\"notice\" id=\"no-trace\">No trace was recorded for this run: only client \
             operations and the fault schedule are shown.</p>\n",
        );
    }
    if t.thinned() {
        putln!(
            h,
            "<p class=\"notice\" id=\"thinning\">Large trace thinned: showing {} of {} messages \
             ({} omitted) and {} of {} timer, sync, mark and commit events ({} omitted). Faults, \
             crashes, role and term changes, client operations and every message near a \
             violation are all kept; the rest is an even sample.</p>",
            t.messages_kept,
            t.messages_total,
            t.messages_total - t.messages_kept,
            t.minor_kept,
            t.minor_total,
            t.minor_total - t.minor_kept
        );
    }
    if t.labels_cut > 0 {
        putln!(
            h,
            "<p class=\"notice\" id=\"labels-cut\">{} long labels were cut to {} characters.</p>",
            t.labels_cut,
            t.label_max_chars
        );
    }
    h.push_str("</section>\n");
}

fn counterexample(h: &mut String, input: &ReportInput, hs: &[Highlight]) {
    h.push_str("<section id=\"counterexample\">\n");
    if hs.is_empty() {
        h.push_str("<p class=\"none\">No violation in this run.</p>\n");
    }
    if let Some(p) = &input.record.panic {
        putln!(
            h,
            "<article class=\"cx panic\"><h2>protocol panicked</h2><pre>{}</pre></article>",
            esc(p)
        );
    }
    for (i, hl) in hs.iter().enumerate() {
        violation_article(h, input, i, hl);
    }
    h.push_str("</section>\n");
}

fn violation_article(h: &mut String, input: &ReportInput, i: usize, hl: &Highlight) {
    let (from, to) = focus_window(input, hl);
    put!(
        h,
        "<article class=\"cx\" id=\"cx-{i}\">\n<h2><span class=\"cx-checker\">{}</span> at {}\
         </h2>\n<p class=\"cx-message\">{}</p>\n<button type=\"button\" class=\"goto\" \
         data-from=\"{from}\" data-to=\"{to}\">show on the diagram</button>\n",
        esc(&hl.checker),
        fmt_s(hl.at_us),
        esc(&hl.message)
    );
    linearizability_detail(h, input, hl);
    ops_table(h, input, hl);
    linearization_list(h, hl);
    invariant_detail(h, hl);
    if let Some(ev) = &hl.raw_evidence {
        let pretty = serde_json::to_string_pretty(ev).unwrap_or_default();
        putln!(
            h,
            "<details><summary>checker evidence (JSON)</summary><pre>{}</pre></details>",
            esc(&pretty)
        );
    }
    h.push_str("</article>\n");
}

fn linearizability_detail(h: &mut String, input: &ReportInput, hl: &Highlight) {
    let Some(c) = hl.culprit else { return };
    let op = &input.record.history.ops[c];
    putln!(
        h,
        "<p class=\"cx-stuck\">No order works: {} <b>{} -&gt; {}</b> (called at {}) cannot be \
         placed after any order of the operations before it{}; past {} the search has no \
         way on.</p>",
        op.client,
        esc(&op.op.label()),
        esc(&op.out.as_ref().map_or("?".to_string(), |r| r.label())),
        fmt_s(op.call_us),
        hl.partition
            .as_ref()
            .map_or(String::new(), |p| format!(" on {}", esc(p))),
        fmt_s(hl.stuck_at_us.unwrap_or(op.call_us))
    );
    if !hl.culprit_states.is_empty() {
        h.push_str("<h3>States it could have seen</h3>\n<ul class=\"cx-states\">");
        for s in &hl.culprit_states {
            put!(h, "<li><code>{}</code></li>", esc(s));
        }
        h.push_str("</ul>\n");
    }
}

/// Lists longer than this start folded.
const OPEN_ROWS: usize = 12;

/// `<details>`, open when the list is short.
fn details_open(h: &mut String, rows: usize, summary: &str) {
    let open = if rows <= OPEN_ROWS { " open" } else { "" };
    putln!(h, "<details{open}><summary>{}</summary>", esc(summary));
}

/// The operations involved, culprit first.
fn ops_table(h: &mut String, input: &ReportInput, hl: &Highlight) {
    if hl.ops.is_empty() {
        return;
    }
    let ops = &input.record.history.ops;
    let summary = if hl.culprit.is_some() {
        format!("{} operations in the failing sub-history", hl.ops.len())
    } else {
        format!("{} operations involved", hl.ops.len())
    };
    details_open(h, hl.ops.len(), &summary);
    h.push_str(
        "<table class=\"cx-ops\"><tr><th>#</th><th>client</th><th>operation</th>\
         <th>called</th><th>returned</th><th>status</th></tr>\n",
    );
    let rest = hl.ops.iter().copied().filter(|&o| Some(o) != hl.culprit);
    for o in hl.culprit.into_iter().chain(rest) {
        let op = &ops[o];
        let out = op.out.as_ref().map_or("?".to_string(), |r| r.label());
        let class = if hl.culprit == Some(o) {
            "cx-op culprit"
        } else {
            "cx-op"
        };
        putln!(
            h,
            "<tr class=\"{class}\" data-op=\"{o}\"><td>{o}</td><td>{}</td><td>{} -&gt; {}\
             </td><td>{}</td><td>{}</td><td>{:?}</td></tr>",
            op.client,
            esc(&op.op.label()),
            esc(&out),
            fmt_s(op.call_us),
            op.ret_us.map_or("never".to_string(), fmt_s),
            op.status
        );
    }
    h.push_str("</table>\n</details>\n");
}

/// The tail of the longest partial linearization, ending where the search got stuck.
fn linearization_list(h: &mut String, hl: &Highlight) {
    if hl.linearization.is_empty() {
        return;
    }
    let summary = format!(
        "the longest partial linearization: its last {} steps, each with the state after it",
        hl.linearization.len()
    );
    details_open(h, hl.linearization.len(), &summary);
    h.push_str("<ol class=\"cx-lin\">");
    for step in &hl.linearization {
        put!(
            h,
            "<li{}>{} <span class=\"state\">state after: <code>{}</code></span></li>",
            step.op
                .map_or(String::new(), |o| format!(" data-op=\"{o}\"")),
            esc(&step.label),
            esc(&step.state_after)
        );
    }
    h.push_str("</ol>\n</details>\n");
}

fn invariant_detail(h: &mut String, hl: &Highlight) {
    if hl.views.is_empty() && hl.indices.is_empty() {
        return;
    }
    if !hl.indices.is_empty() || !hl.terms.is_empty() {
        let list = |v: &[u64]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        putln!(
            h,
            "<p class=\"cx-entries\">Named: nodes {}{}{}.</p>",
            esc(&hl.nodes.join(", ")),
            if hl.indices.is_empty() {
                String::new()
            } else {
                format!("; log index {}", list(&hl.indices))
            },
            if hl.terms.is_empty() {
                String::new()
            } else {
                format!("; term {}", list(&hl.terms))
            }
        );
    }
    if hl.views.is_empty() {
        return;
    }
    h.push_str(
        "<h3>The nodes at that moment</h3>\n<table class=\"cx-views\"><tr><th>node</th>\
         <th>role</th><th>term</th><th>commit</th><th>log length</th></tr>\n",
    );
    for (node, v) in &hl.views {
        match v {
            Some(v) => {
                putln!(
                    h,
                    "<tr><td>{node}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    v.role,
                    v.term,
                    v.commit,
                    v.log_len
                );
            }
            None => {
                putln!(h, "<tr><td>{node}</td><td colspan=\"4\">no view</td></tr>");
            }
        }
    }
    h.push_str("</table>\n");
}

/// The stretch of time to zoom to for one violation: its moment and its operations, padded.
fn focus_window(input: &ReportInput, hl: &Highlight) -> (u64, u64) {
    let ops = &input.record.history.ops;
    let mut a = hl.context_from_us.unwrap_or(hl.at_us).min(hl.at_us);
    let mut b = hl.at_us;
    // A linearizability counterexample can involve a long history; the story is the culprit
    // and the last steps the search managed before it.
    let focus: Vec<usize> = match hl.culprit {
        Some(c) => {
            let tail = hl.linearization.iter().rev().filter_map(|s| s.op).take(4);
            std::iter::once(c).chain(tail).collect()
        }
        None => hl.ops.clone(),
    };
    for o in focus {
        a = a.min(ops[o].call_us);
        b = b.max(ops[o].ret_us.unwrap_or(ops[o].call_us));
    }
    let pad = ((b - a) / 5).max(2_000);
    (a.saturating_sub(pad), b + pad)
}

/// Seconds with microsecond precision.
fn fmt_s(us: u64) -> String {
    format!("{}.{:06} s", us / 1_000_000, us % 1_000_000)
}

/// HTML-escapes text for element content and quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element: no `<`, `>` or `&` can end it early.
fn json_for_script(d: &Diagram) -> String {
    let text = serde_json::to_string(d).expect("diagram data serialises");
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Toolbar, filters, legend and the empty diagram the script fills.
const CONTROLS: &str = r#"<section id="controls">
<div class="toolbar">
<button type="button" id="zoom-in" title="zoom in (wheel)">+</button>
<button type="button" id="zoom-out" title="zoom out (wheel)">&minus;</button>
<button type="button" id="zoom-fit" title="whole run">fit</button>
<button type="button" id="pan-left" title="scroll left (shift+wheel, drag)">&larr;</button>
<button type="button" id="pan-right" title="scroll right (shift+wheel, drag)">&rarr;</button>
<button type="button" id="goto-violation">first violation</button>
<input type="range" id="scroll" min="0" max="1000" value="0" aria-label="scroll in time">
<span id="window-label"></span>
</div>
<fieldset id="lane-filters"><legend>nodes</legend></fieldset>
<fieldset id="kind-filters"><legend>messages</legend></fieldset>
<fieldset id="event-filters"><legend>events</legend></fieldset>
<div id="legend">
<span><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" class="msg msg-deliver"/></svg>delivered</span>
<span><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" class="msg msg-duplicate"/></svg>duplicate</span>
<span><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" class="msg msg-drop"/></svg>dropped</span>
<span><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" class="msg msg-cut"/></svg>cut by a partition</span>
<span><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" class="msg msg-lost-at-down"/></svg>lost at a down node</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="band band-partition group-0"/></svg><svg width="20" height="10"><rect width="20" height="10" class="band band-partition group-1"/></svg>partition sides</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="band band-crash"/></svg>crashed</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="band band-pause"/></svg>paused</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="band band-clock"/></svg>clock fault</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="role role-leader"/></svg>leader</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="role role-candidate"/></svg>candidate</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="role role-follower"/></svg>follower</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="legend-op op-ok"/></svg>operation ok</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="legend-op op-indeterminate"/></svg>indeterminate</span>
<span><svg width="20" height="10"><rect width="20" height="10" class="legend-op op-ok violating"/></svg>in the counterexample</span>
</div>
<p id="draw-notice" class="notice" hidden></p>
</section>
<div id="diagram-wrap"><svg id="diagram" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="space-time diagram"></svg></div>
<div id="detail" class="detail">Click an arrow, an operation or a marker for its details. Wheel zooms, shift+wheel or drag scrolls.</div>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let mut d = build_empty();
        d.labels.push("</script><b>&".into());
        let j = json_for_script(&d);
        assert!(!j.contains("</script>"));
        assert!(!j.contains('<') && !j.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["labels"][0], "</script><b>&");
    }

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
    }

    fn build_empty() -> Diagram {
        Diagram {
            lanes: Vec::new(),
            servers: 0,
            end_us: 1,
            liveness_from_us: None,
            has_trace: false,
            fates: crate::diagram::FATES,
            event_kinds: crate::diagram::EVENT_KINDS,
            roles: crate::diagram::ROLES,
            labels: Vec::new(),
            kinds: Vec::new(),
            msgs: Vec::new(),
            events: Vec::new(),
            views: Vec::new(),
            ops: Vec::new(),
            bands: Vec::new(),
            highlights: Vec::new(),
            thinning: Thinning::default(),
        }
    }
}
