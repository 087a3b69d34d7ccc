//! SVG plots for experiments: line charts (latency or throughput over time, one series per
//! configuration) and bar charts (one bar per configuration). Pure functions from numbers to a
//! standalone `<svg>` string with no scripts and no external references, so a page or a
//! Markdown file can inline it.

use crate::html::esc;
use splitbrain_sim::{History, OpStatus};

const W: f64 = 640.0;
const H: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 48.0;
const COLORS: [&str; 8] = [
    "#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#546e7a",
];

/// One named line of `(x, y)` points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A line chart.
#[derive(Clone, Debug)]
pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
}

/// One bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// A bar chart.
#[derive(Clone, Debug)]
pub struct BarChart<'a> {
    pub title: &'a str,
    pub y_label: &'a str,
    pub bars: &'a [Bar],
}

/// Renders a line chart. Points that are not finite are skipped; an empty chart says so.
pub fn line_chart(c: &LineChart) -> String {
    let pts = || {
        c.series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let (x0, x1) = bounds(pts().map(|p| p.0), false);
    let (y0, y1) = bounds(pts().map(|p| p.1), true);
    let mut out = open(c.title);
    axes(&mut out, (x0, x1), (y0, y1), c.x_label, c.y_label);
    if pts().next().is_none() {
        out.push_str(&no_data());
    }
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    let sy = |y: f64| H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);
    for (i, s) in c.series.iter().enumerate() {
        let coords: Vec<String> = s
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        if coords.is_empty() {
            continue;
        }
        let color = COLORS[i % COLORS.len()];
        out.push_str(&format!(
            "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{color}\" \
             stroke-width=\"1.5\" points=\"{}\"/>\n",
            esc(&s.name),
            coords.join(" ")
        ));
        let ly = TOP + 4.0 + 14.0 * i as f64;
        out.push_str(&format!(
            "<g class=\"legend\"><line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" \
             stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" \
             font-size=\"11\">{}</text></g>\n",
            W - RIGHT - 150.0,
            W - RIGHT - 134.0,
            W - RIGHT - 130.0,
            ly + 4.0,
            esc(&s.name)
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// Renders a bar chart, bars in the given order, each labelled with its value.
pub fn bar_chart(c: &BarChart) -> String {
    let values = || c.bars.iter().map(|b| b.value).filter(|v| v.is_finite());
    let (y0, y1) = bounds(values(), true);
    let mut out = open(c.title);
    axes(&mut out, (0.0, 1.0), (y0, y1), "", c.y_label);
    if c.bars.is_empty() {
        out.push_str(&no_data());
    }
    let n = c.bars.len().max(1) as f64;
    let slot = (W - LEFT - RIGHT) / n;
    let sy = |y: f64| H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);
    for (i, b) in c.bars.iter().enumerate() {
        let v = if b.value.is_finite() { b.value } else { 0.0 };
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let (top, bottom) = (sy(v.max(0.0)), sy(v.min(0.0)));
        out.push_str(&format!(
            "<rect class=\"bar\" data-label=\"{}\" data-value=\"{}\" x=\"{x:.1}\" y=\"{top:.1}\" \
             width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>\n",
            esc(&b.label),
            v,
            slot * 0.7,
            bottom - top,
            COLORS[i % COLORS.len()],
            esc(&b.label),
            num(v)
        ));
        let cx = x + slot * 0.35;
        out.push_str(&format!(
            "<text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n\
             <text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
            top - 4.0,
            num(v),
            H - BOTTOM + 16.0,
            esc(&b.label)
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// Latency of every completed operation: x = call time (s), y = latency (ms).
pub fn latency_series(name: &str, history: &History) -> Series {
    let points = history
        .ops
        .iter()
        .filter(|op| op.status != OpStatus::Indeterminate)
        .filter_map(|op| {
            let ret = op.ret_us?;
            Some((
                op.call_us as f64 / 1e6,
                ret.saturating_sub(op.call_us) as f64 / 1e3,
            ))
        })
        .collect();
    Series {
        name: name.to_string(),
        points,
    }
}

/// Successful operations per second, in buckets of `bucket_us` by return time: x = bucket
/// start (s), y = ops/s. Empty buckets up to the last return are zeros, not gaps.
pub fn throughput_series(name: &str, history: &History, bucket_us: u64) -> Series {
    let bucket_us = bucket_us.max(1);
    let rets: Vec<u64> = history
        .ops
        .iter()
        .filter(|op| op.status == OpStatus::Ok)
        .filter_map(|op| op.ret_us)
        .collect();
    let buckets = rets.iter().max().map_or(0, |&m| m / bucket_us + 1) as usize;
    let mut counts = vec![0u64; buckets];
    for r in rets {
        counts[(r / bucket_us) as usize] += 1;
    }
    let per_s = 1e6 / bucket_us as f64;
    let points = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| ((i as u64 * bucket_us) as f64 / 1e6, c as f64 * per_s))
        .collect();
    Series {
        name: name.to_string(),
        points,
    }
}

fn open(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 \
         {W} {H}\" font-family=\"sans-serif\">\n<rect width=\"{W}\" height=\"{H}\" \
         fill=\"#fff\"/>\n<text class=\"title\" x=\"{:.1}\" y=\"20\" font-size=\"14\" \
         font-weight=\"bold\" text-anchor=\"middle\">{}</text>\n",
        W / 2.0,
        esc(title)
    )
}

fn no_data() -> String {
    format!(
        "<text class=\"no-data\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
         fill=\"#888\">no data</text>\n",
        W / 2.0,
        H / 2.0
    )
}

/// Min and max of the values, widened so the range is never empty (and from zero for y).
fn bounds(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    (lo, hi)
}

fn axes(out: &mut String, x: (f64, f64), y: (f64, f64), x_label: &str, y_label: &str) {
    let (bx, by) = (H - BOTTOM, LEFT);
    out.push_str(&format!(
        "<g class=\"axes\" stroke=\"#444\"><line x1=\"{LEFT}\" y1=\"{bx}\" x2=\"{:.1}\" \
         y2=\"{bx}\"/><line x1=\"{by}\" y1=\"{TOP}\" x2=\"{by}\" y2=\"{bx}\"/></g>\n",
        W - RIGHT
    ));
    for i in 0..=4 {
        let f = f64::from(i) / 4.0;
        let yv = y.0 + (y.1 - y.0) * f;
        let py = bx - f * (H - TOP - BOTTOM);
        out.push_str(&format!(
            "<g class=\"tick y\"><line x1=\"{:.1}\" x2=\"{LEFT}\" y1=\"{py:.1}\" y2=\"{py:.1}\" \
             stroke=\"#444\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" \
             text-anchor=\"end\">{}</text></g>\n",
            LEFT - 4.0,
            LEFT - 6.0,
            py + 3.0,
            num(yv)
        ));
        if !x_label.is_empty() {
            let xv = x.0 + (x.1 - x.0) * f;
            let px = LEFT + f * (W - LEFT - RIGHT);
            out.push_str(&format!(
                "<g class=\"tick x\"><line x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{bx}\" \
                 y2=\"{:.1}\" stroke=\"#444\"/><text x=\"{px:.1}\" y=\"{:.1}\" font-size=\"10\" \
                 text-anchor=\"middle\">{}</text></g>\n",
                bx + 4.0,
                bx + 15.0,
                num(xv)
            ));
        }
    }
    out.push_str(&format!(
        "<text class=\"x-label\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" \
         text-anchor=\"middle\">{}</text>\n<text class=\"y-label\" x=\"14\" y=\"{:.1}\" \
         font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">{}</text>\n",
        (LEFT + W - RIGHT) / 2.0,
        H - 10.0,
        esc(x_label),
        (TOP + H - BOTTOM) / 2.0,
        (TOP + H - BOTTOM) / 2.0,
        esc(y_label)
    ));
}

/// A number in at most 4 significant digits, without trailing zeros.
fn num(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::{NodeId, Op, Ret};
    use splitbrain_sim::HistoryOp;

    /// Every opened tag is closed, in order; returns the tag names opened.
    fn balanced_tags(svg: &str) -> Vec<String> {
        let mut stack: Vec<String> = Vec::new();
        let mut opened = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("tag closes") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else {
                let name = tag.split_whitespace().next().unwrap().to_string();
                opened.push(name.clone());
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        opened
    }

    fn count(tags: &[String], name: &str) -> usize {
        tags.iter().filter(|t| *t == name).count()
    }

    fn attr(svg: &str, tag_start: &str, name: &str) -> Vec<f64> {
        svg.match_indices(tag_start)
            .map(|(i, _)| {
                let tag = &svg[i..i + svg[i..].find('>').unwrap()];
                let key = format!(" {name}=\"");
                let a = tag.find(&key).unwrap() + key.len();
                tag[a..a + tag[a..].find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn a_line_chart_has_one_polyline_per_series_with_every_point() {
        let series = [
            Series {
                name: "3 nodes".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0), (2.0, 4.0)],
            },
            Series {
                name: "5 <nodes>".into(),
                points: vec![(0.0, 3.0), (2.0, f64::NAN)],
            },
        ];
        let svg = line_chart(&LineChart {
            title: "latency",
            x_label: "time (s)",
            y_label: "ms",
            series: &series,
        });
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        let tags = balanced_tags(&svg);
        assert_eq!(count(&tags, "polyline"), 2);
        let first = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(first.split(' ').count(), 3);
        let second = svg
            .split("points=\"")
            .nth(2)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(second.split(' ').count(), 1, "the NaN point is skipped");
        assert!(svg.contains("5 &lt;nodes&gt;"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn higher_values_are_drawn_higher() {
        let series = [Series {
            name: "s".into(),
            points: vec![(0.0, 1.0), (1.0, 9.0)],
        }];
        let svg = line_chart(&LineChart {
            title: "t",
            x_label: "x",
            y_label: "y",
            series: &series,
        });
        let pts = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let ys: Vec<f64> = pts
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(ys[1] < ys[0], "SVG y grows downwards: {ys:?}");
    }

    #[test]
    fn bars_are_proportional_to_their_values() {
        let bars = [
            Bar {
                label: "raft".into(),
                value: 100.0,
            },
            Bar {
                label: "tas".into(),
                value: 50.0,
            },
            Bar {
                label: "empty".into(),
                value: 0.0,
            },
        ];
        let svg = bar_chart(&BarChart {
            title: "throughput",
            y_label: "ops/s",
            bars: &bars,
        });
        let tags = balanced_tags(&svg);
        assert_eq!(count(&tags, "rect"), 4, "background and three bars");
        let heights = attr(&svg, "<rect class=\"bar\"", "height");
        assert_eq!(heights.len(), 3);
        assert!((heights[0] - 2.0 * heights[1]).abs() < 0.2, "{heights:?}");
        assert_eq!(heights[2], 0.0);
    }

    #[test]
    fn empty_charts_say_no_data() {
        let svg = line_chart(&LineChart {
            title: "t",
            x_label: "x",
            y_label: "y",
            series: &[],
        });
        balanced_tags(&svg);
        assert!(svg.contains("no data"));
        let svg = bar_chart(&BarChart {
            title: "t",
            y_label: "y",
            bars: &[],
        });
        balanced_tags(&svg);
        assert!(svg.contains("no data"));
    }

    fn op(call_us: u64, ret_us: Option<u64>, status: OpStatus) -> HistoryOp {
        HistoryOp {
            client: NodeId::client(0),
            call_us,
            ret_us,
            status,
            op: Op::Get { key: "k".into() },
            out: Some(Ret::Value { value: None }),
        }
    }

    #[test]
    fn latency_and_throughput_come_from_the_history() {
        let h = History {
            schema_version: 1,
            model: "kv".into(),
            notices: Vec::new(),
            ops: vec![
                op(0, Some(2_000), OpStatus::Ok),
                op(500_000, Some(1_500_000), OpStatus::Ok),
                op(600_000, None, OpStatus::Indeterminate),
                op(700_000, Some(800_000), OpStatus::Fail),
            ],
        };
        let lat = latency_series("l", &h);
        assert_eq!(lat.points, vec![(0.0, 2.0), (0.5, 1000.0), (0.7, 100.0)]);
        let tp = throughput_series("t", &h, 500_000);
        assert_eq!(
            tp.points,
            vec![(0.0, 2.0), (0.5, 0.0), (1.0, 0.0), (1.5, 2.0)]
        );
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(1234.5678), "1235");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(0.000_123_4), "0.000123");
    }
}
