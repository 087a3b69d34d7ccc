//! JUnit XML for CI systems: one `<testsuite>` per report, one `<testcase>` per
//! protocol/variant/scenario, failing seeds and the commands that reproduce them in the
//! failure text. The shape is the one Jenkins, GitLab and GitHub test reporters read.

/// One test case: a protocol variant on a scenario.
pub struct Case {
    /// `protocol.variant` (the JUnit classname).
    pub class: String,
    /// The scenario (the JUnit test name).
    pub name: String,
    pub seconds: f64,
    /// `None` passed; `Some((summary, detail))` failed.
    pub failure: Option<(String, String)>,
}

/// Renders a JUnit XML document.
pub fn render(suite: &str, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let total: f64 = cases.iter().map(|c| c.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total:.3}\">\n",
        escape(suite),
        cases.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{total:.3}\">\n",
        escape(suite),
        cases.len()
    ));
    for c in cases {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&c.class),
            escape(&c.name),
            c.seconds
        ));
        match &c.failure {
            None => out.push_str("/>\n"),
            Some((summary, detail)) => {
                out.push_str(">\n");
                out.push_str(&format!(
                    "      <failure message=\"{}\" type=\"splitbrain\">{}</failure>\n",
                    escape(summary),
                    escape(detail)
                ));
                out.push_str("    </testcase>\n");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// XML-escapes text for attributes and element content.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_escaped_messages_and_counts_add_up() {
        let cases = vec![
            Case {
                class: "tas.majority".into(),
                name: "tas-swarm".into(),
                seconds: 1.5,
                failure: None,
            },
            Case {
                class: "tas.two-server".into(),
                name: "tas-split".into(),
                seconds: 0.25,
                failure: Some(("seed 3 <violation>".into(), "run \"x\" & y".into())),
            },
        ];
        let xml = render("splitbrain", &cases);
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml
            .contains("<testcase classname=\"tas.majority\" name=\"tas-swarm\" time=\"1.500\"/>"));
        assert!(xml.contains("message=\"seed 3 &lt;violation&gt;\""));
        assert!(xml.contains(">run &quot;x&quot; &amp; y</failure>"));
        assert_eq!(xml.matches("<testcase").count(), 2);
    }
}
