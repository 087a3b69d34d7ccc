//! The HTML report in a real browser (Debian's headless Chromium): the page's script runs,
//! and the rendered DOM has a lane per node, message arrows with delivered and lost ones told
//! apart, the partition band, and exactly the violating operations highlighted, with no script
//! error. Without a browser (a fresh clone on a machine with no Chromium) these tests print one
//! note and skip; `SPLITBRAIN_CHROMIUM` names the browser and makes it required, which is how
//! `.ci/run` (it installs Debian's chromium) runs them. The default path is `/usr/bin/chromium`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .output()
        .expect("the splitbrain binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("splitbrain-browser-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The browser: `$SPLITBRAIN_CHROMIUM` (it must exist), else `/usr/bin/chromium` if there,
/// else `None` after one note on the terminal.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPLITBRAIN_CHROMIUM").map(PathBuf::from) {
        assert!(
            path.is_file(),
            "SPLITBRAIN_CHROMIUM={}: no such file",
            path.display()
        );
        return Some(path);
    }
    let path = PathBuf::from("/usr/bin/chromium");
    if path.is_file() {
        return Some(path);
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let note = "note: no browser at /usr/bin/chromium: the HTML report's browser tests are \
                    skipped (install chromium or set SPLITBRAIN_CHROMIUM to run them)\n";
        let _ = std::io::stderr().write_all(note.as_bytes()); // a note; nothing to do if it fails
    });
    None
}

/// The DOM after the page's scripts ran, and the browser's log.
fn render(browser: &Path, page: &Path, profile: &Path) -> (String, String) {
    let url = format!("file://{}", page.display());
    let out = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium starts");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        dom.contains("</html>"),
        "chromium gave no DOM (exit {:?}):\n{log}",
        out.status.code()
    );
    (dom, log)
}

/// Console lines that report a script error.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("rror")))
        .collect()
}

/// One start tag of the rendered DOM.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    /// Byte offset just past the tag's `>`.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
}

/// Start tags of `html` (scripts' contents must be removed first).
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        i = start;
        if !b.get(start).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let mut j = start;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        let name = html[start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let k = j;
            while j < b.len() && !b"= \t\n>".contains(&b[j]) {
                j += 1;
            }
            let key = html[k..j].to_string();
            let mut value = String::new();
            if b.get(j) == Some(&b'=') && b.get(j + 1) == Some(&b'"') {
                let v = j + 2;
                let close = html[v..].find('"').expect("attribute closes") + v;
                value = html[v..close].replace("&quot;", "\"").replace("&amp;", "&");
                j = close + 1;
            }
            attrs.push((key, value));
        }
        out.push(Tag {
            name,
            attrs,
            end: j + 1,
        });
        i = j;
    }
    out
}

/// The text of the `<title>` right after a tag (SVG tooltips), unescaped.
fn title_after(html: &str, tag: &Tag) -> String {
    let rest = &html[tag.end..];
    rest.strip_prefix("<title>")
        .and_then(|r| r.split("</title>").next())
        .unwrap_or("")
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The DOM with every `<script>` element's content removed (the inline JS holds markup in
/// strings, which is not part of the page).
fn without_scripts(dom: &str) -> String {
    let mut out = String::with_capacity(dom.len());
    let mut rest = dom;
    while let Some(a) = rest.find("<script") {
        let Some(b) = rest[a..].find("</script>") else {
            break;
        };
        out.push_str(&rest[..a]);
        rest = &rest[a + b + "</script>".len()..];
    }
    out.push_str(rest);
    out
}

/// The part of the page between `open` (a unique marker) and the next `close`.
fn section<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let a = html
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in the page"));
    let b = html[a..].find(close).expect("section closes") + a;
    &html[a..b]
}

/// What one report must show.
struct Expect<'a> {
    lanes: &'a [&'a str],
    /// (client, operation label) of every operation that must be highlighted, and no other.
    violating_ops: Vec<(String, String)>,
    partition: bool,
}

/// Checks the rendered report against `want`; returns the diagram's markup for more checks.
fn check_rendered(dom: &str, log: &str, want: &Expect) -> String {
    let page = without_scripts(dom);
    let errors = section(&page, "<div id=\"errors\"", "</div>");
    let errors = &errors[errors.find('>').unwrap() + 1..];
    assert!(
        errors.trim().is_empty(),
        "the page recorded errors: {errors}"
    );
    let console = console_errors(log);
    assert!(console.is_empty(), "console errors: {console:#?}");

    let diagram = section(&page, "<svg id=\"diagram\"", "</svg>").to_string();
    let t = tags(&diagram);
    assert_eq!(
        t[0].attr("data-rendered"),
        Some("1"),
        "the script drew the diagram"
    );
    for lane in want.lanes {
        assert!(
            t.iter()
                .any(|x| x.name == "g" && x.has_class("lane") && x.attr("data-node") == Some(lane)),
            "no lane for {lane}"
        );
    }
    let count = |class: &str| t.iter().filter(|x| x.has_class(class)).count();
    assert!(count("msg-deliver") > 0, "no delivered message arrows");
    assert!(
        count("msg-cut") + count("msg-drop") > 0,
        "no lost message drawn apart from the delivered ones"
    );
    assert!(t
        .iter()
        .filter(|x| x.has_class("msg"))
        .all(|x| x.name == "line"));
    if want.partition {
        assert!(
            count("band-partition") + count("band-isolate") > 0,
            "no partition band"
        );
    }
    let mut violating: Vec<(String, String)> = t
        .iter()
        .filter(|x| x.name == "rect" && x.has_class("op") && x.has_class("violating"))
        .map(|x| {
            let title = title_after(&diagram, x);
            // "#192 C2 acquire lock96 -> true\ncalled ..."
            let first = title.lines().next().unwrap_or("");
            let mut words = first.splitn(3, ' ').skip(1);
            let client = words.next().unwrap_or("").to_string();
            (client, words.next().unwrap_or("").to_string())
        })
        .collect();
    violating.sort();
    let mut expected = want.violating_ops.clone();
    expected.sort();
    assert_eq!(violating, expected, "highlighted operations");
    assert!(
        count("vmark") >= 2,
        "the violation is marked on the nodes it names"
    );
    diagram
}

#[test]
fn the_v01_report_renders_lanes_arrows_the_partition_and_both_lock_holders() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("v01");
    let page = dir.join("v01.html");
    let o = splitbrain(&[
        "run",
        "tas",
        "--variant",
        "two-server",
        "--seed",
        "0",
        "--html",
        page.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "V01 seed 0 is a violation:\n{stdout}"
    );
    // "C2 and C1 both acquired lock 96": the lock the two winners share.
    let lock = stdout
        .split("both acquired lock ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the violation names the lock")
        .to_string();
    let (dom, log) = render(&browser, &page, &dir.join("profile"));
    let won = format!("acquire lock{lock} -> true");
    let want = Expect {
        lanes: &["S1", "S2", "C1", "C2"],
        violating_ops: vec![("C1".into(), won.clone()), ("C2".into(), won)],
        partition: true,
    };
    let diagram = check_rendered(&dom, &log, &want);
    let page_text = without_scripts(&dom);
    assert!(page_text.contains("id=\"meta-seed\">0<"));
    assert!(page_text.contains("VIOLATION"));
    let repro = section(&page_text, "<code id=\"repro\">", "</code>");
    assert!(repro.contains("--variant two-server") && repro.contains("--seed 0"));
    let drawn = tags(&diagram);
    let partition = drawn
        .iter()
        .find(|x| x.has_class("band-partition"))
        .expect("partition band");
    let title = title_after(&diagram, partition);
    assert!(
        title.contains("partition {S1,C1} | {S2,C2}"),
        "the band names the partition: {title}"
    );
}

#[test]
fn a_script_error_is_caught_by_the_browser_check() {
    // The negative control: the same report with its data broken must show up as an error,
    // so a clean run of the test above means the script really ran clean.
    let Some(browser) = chromium() else { return };
    let dir = scratch("broken");
    let page = dir.join("broken.html");
    let o = splitbrain(&[
        "run",
        "tas",
        "--variant",
        "two-server",
        "--seed",
        "0",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let html = std::fs::read_to_string(&page).unwrap();
    let broken = html.replacen("id=\"run-data\">{", "id=\"run-data\">{oops", 1);
    assert_ne!(html, broken);
    std::fs::write(&page, broken).unwrap();
    let (dom, _log) = render(&browser, &page, &dir.join("profile"));
    let page_text = without_scripts(&dom);
    let errors = section(&page_text, "<div id=\"errors\"", "</div>");
    assert!(
        errors.contains("report script failed"),
        "a broken page must report its error: {errors}"
    );
}

/// The first seed in `seeds` whose run of `variant` fails with a message containing `needle`,
/// with its report written to `page`; returns the run's output.
fn first_failure(variant: &str, seeds: std::ops::Range<u64>, needle: &str, page: &Path) -> String {
    for seed in seeds.clone() {
        let seed = seed.to_string();
        let o = splitbrain(&[
            "run",
            "raft",
            "--variant",
            variant,
            "--seed",
            &seed,
            "--html",
            page.to_str().unwrap(),
        ]);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        if o.status.code() == Some(1) && out.contains(needle) {
            return out;
        }
    }
    panic!("no seed in {seeds:?} of raft {variant} failed with `{needle}`");
}

#[test]
fn a_raft_election_safety_report_shows_both_leaders_of_the_term() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("raft");
    let page = dir.join("r02.html");
    // R02: a vote reply leaves before the vote is durable; a crash forgets it, and the voter
    // votes again in the same term.
    let out = first_failure("R02", 0..20, "were both leader in term", &page);
    // "S1 and S3 were both leader in term 1"
    let line = out
        .lines()
        .find(|l| l.contains("were both leader in term"))
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "and").unwrap();
    let (a, b) = (words[at - 1], words[at + 1]);
    let term = words.last().unwrap();
    let (dom, log) = render(&browser, &page, &dir.join("profile"));
    let want = Expect {
        lanes: &["S1", "S2", "S3", "C1", "C2"],
        violating_ops: Vec::new(),
        partition: true,
    };
    let diagram = check_rendered(&dom, &log, &want);
    let drawn = tags(&diagram);
    for leader in [a, b] {
        let marked = drawn.iter().any(|x| {
            x.has_class("role-leader")
                && x.has_class("violating")
                && title_after(&diagram, x).starts_with(&format!("{leader} leader term {term} "))
        });
        assert!(
            marked,
            "{leader}'s leadership of term {term} is highlighted"
        );
        assert!(
            drawn
                .iter()
                .any(|x| x.has_class("vmark") && x.attr("data-node") == Some(leader)),
            "{leader} is marked at the moment of the violation"
        );
    }
    let page_text = without_scripts(&dom);
    assert!(page_text.contains(&format!("Named: nodes {a}, {b}; term {term}.")));
}

/// Drives a report inside an iframe (same origin with `--allow-file-access-from-files`):
/// fit, the zoom button, the wheel, a node filter, a message filter and the violation button.
const HARNESS: &str = r#"<!DOCTYPE html><html><body><pre id="out"></pre>
<iframe id="f" src="report.html" width="1400" height="900"></iframe>
<script>
var out = document.getElementById('out');
function log(k, v) { out.textContent += k + '=' + v + '\n'; }
var steps = [];
function run(i) {
  if (i >= steps.length) { return; }
  try { steps[i](); } catch (e) { log('harness-error', e); }
  setTimeout(function () { run(i + 1); }, 60);
}
document.getElementById('f').addEventListener('load', function () {
  var w = document.getElementById('f').contentWindow, d = w.document;
  function label() { return d.getElementById('window-label').textContent; }
  steps = [
    function () { log('start', label()); d.getElementById('zoom-fit').click(); },
    function () { log('fit', label()); d.getElementById('zoom-in').click(); },
    function () {
      log('zoomin', label());
      d.getElementById('diagram-wrap').dispatchEvent(new w.WheelEvent('wheel',
        {deltaY: 400, clientX: 700, clientY: 100, bubbles: true, cancelable: true}));
    },
    function () {
      log('wheel', label());
      d.querySelector('#lane-filters input[data-lane="1"]').click();
    },
    function () {
      log('lanes', Array.prototype.map.call(d.querySelectorAll('#diagram g.lane'),
        function (g) { return g.getAttribute('data-node'); }).join(','));
      d.querySelector('#kind-filters input[data-fate="0"]').click();
    },
    function () {
      log('delivered', d.querySelectorAll('#diagram .msg-deliver').length);
      log('lost', d.querySelectorAll('#diagram .msg-cut').length);
      d.querySelector('button.goto').click();
    },
    function () {
      log('goto', label());
      log('errors', d.getElementById('errors').textContent.length);
      log('done', 1);
    }
  ];
  run(0);
});
</script></body></html>
"#;

/// `0.546.714 .. 0.578.628 of 4.000.000` as microseconds (t0, t1, end).
fn window_of(label: &str) -> (f64, f64, f64) {
    let us = |t: &str| {
        let p: Vec<f64> = t.split('.').map(|x| x.parse().unwrap()).collect();
        p[0] * 1e6 + p[1] * 1e3 + p[2]
    };
    let w: Vec<&str> = label.split_whitespace().collect();
    (us(w[0]), us(w[2]), us(w[4]))
}

#[test]
fn zoom_scroll_and_filters_change_what_is_drawn() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("interact");
    let page = dir.join("report.html");
    let o = splitbrain(&[
        "run",
        "tas",
        "--variant",
        "two-server",
        "--seed",
        "0",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let harness = dir.join("harness.html");
    std::fs::write(&harness, HARNESS).unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--virtual-time-budget=20000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", harness.display()))
        .output()
        .expect("chromium starts");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = section(&dom, "<pre id=\"out\">", "</pre>").trim_start_matches("<pre id=\"out\">");
    let get = |k: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in the harness log:\n{log}"))
            .replace("&gt;", ">")
    };
    assert_eq!(get("done"), "1", "{log}");
    assert!(!log.contains("harness-error"), "{log}");
    let (s0, s1, end) = window_of(&get("start"));
    assert!(s1 - s0 < end / 10.0, "the page opens on the violation");
    let (f0, f1, _) = window_of(&get("fit"));
    assert_eq!((f0, f1), (0.0, end), "fit shows the whole run");
    let (z0, z1, _) = window_of(&get("zoomin"));
    assert!(((z1 - z0) - end / 2.0).abs() < 2.0, "+ halves the window");
    assert!(
        ((z0 + z1) / 2.0 - end / 2.0).abs() < 2.0,
        "around its centre"
    );
    let (w0, w1, _) = window_of(&get("wheel"));
    let grow = (w1 - w0) / (z1 - z0);
    assert!(
        (grow - 0.6f64.exp()).abs() < 0.01,
        "the wheel zooms out by {grow}"
    );
    assert_eq!(get("lanes"), "S1,C1,C2", "unticking S2 hides its lane");
    assert_eq!(
        get("delivered"),
        "0",
        "unticking delivered hides those arrows"
    );
    assert_ne!(get("lost"), "0", "and leaves the lost ones");
    assert_eq!(
        get("goto"),
        get("start"),
        "the violation button returns to it"
    );
    assert_eq!(get("errors"), "0");
}

#[test]
fn a_raft_stale_read_report_shows_the_culprit_the_stuck_point_and_two_leaders() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("raft-lin");
    let page = dir.join("r05.html");
    // R05: a leader cut off by a partition keeps serving reads from its own state while the
    // majority elects another leader and moves on.
    let out = first_failure("R05", 0..20, "linearizability at", &page);
    let (dom, log) = render(&browser, &page, &dir.join("profile"));
    let page_text = without_scripts(&dom);
    let errors = section(&page_text, "<div id=\"errors\"", "</div>");
    assert!(errors.ends_with("role=\"alert\">"), "page errors: {errors}");
    assert!(console_errors(&log).is_empty(), "{log}");
    let diagram = section(&page_text, "<svg id=\"diagram\"", "</svg>");
    let t = tags(diagram);
    let culprits: Vec<&Tag> = t
        .iter()
        .filter(|x| x.name == "rect" && x.has_class("op") && x.has_class("culprit"))
        .collect();
    assert_eq!(culprits.len(), 1, "one operation cannot be placed:\n{out}");
    assert!(culprits[0].has_class("violating"));
    let note = title_after(diagram, culprits[0]);
    assert!(note.contains("cannot be placed"), "{note}");
    assert!(note.contains("could have seen"), "{note}");
    assert!(
        t.iter().any(|x| x.has_class("stuck-line")),
        "the stuck point is marked"
    );
    assert!(
        t.iter()
            .any(|x| x.has_class("band-partition") || x.has_class("band-isolate")),
        "the partition is shaded"
    );
    let mut leaders: Vec<String> = t
        .iter()
        .filter(|x| x.has_class("role-leader"))
        .filter_map(|x| {
            let title = title_after(diagram, x);
            title.split(' ').next().map(str::to_string)
        })
        .filter(|n| n.starts_with('S'))
        .collect();
    leaders.sort();
    leaders.dedup();
    assert!(
        leaders.len() >= 2,
        "two servers lead around the stale read: {leaders:?}"
    );
    assert!(page_text.contains("States it could have seen"));
    assert!(page_text.contains("No order works"));
}
