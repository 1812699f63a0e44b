//! JUnit XML, the report format CI systems read.

use std::io::Write;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::run::{FileReport, Outcome};

/// Writes one `<testsuite>` per test file, one `<testcase>` per case, and a
/// `<failure>` with the message of each failed case.
pub fn write_junit<W: Write>(reports: &[FileReport], out: W) -> std::io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests: usize = reports.iter().map(|r| r.results.len()).sum();
    let failures: usize = reports.iter().map(|r| r.results.iter().filter(|c| !c.passed()).count()).sum();
    let time: f64 = reports.iter().flat_map(|r| &r.results).map(|c| c.duration.as_secs_f64()).sum();
    w.create_element("testsuites")
        .with_attribute(("name", "veille test"))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("time", format!("{time:.3}").as_str()))
        .write_inner_content(|w| {
            for r in reports {
                let file = r.path.display().to_string();
                let failed = r.results.iter().filter(|c| !c.passed()).count();
                let time: f64 = r.results.iter().map(|c| c.duration.as_secs_f64()).sum();
                w.create_element("testsuite")
                    .with_attribute(("name", file.as_str()))
                    .with_attribute(("tests", r.results.len().to_string().as_str()))
                    .with_attribute(("failures", failed.to_string().as_str()))
                    .with_attribute(("errors", "0"))
                    .with_attribute(("skipped", "0"))
                    .with_attribute(("time", format!("{time:.3}").as_str()))
                    .write_inner_content(|w| {
                        for c in &r.results {
                            let el = w
                                .create_element("testcase")
                                .with_attribute(("name", c.name.as_str()))
                                .with_attribute(("classname", format!("{file}.{}", c.kind).as_str()))
                                .with_attribute(("file", file.as_str()))
                                .with_attribute(("line", c.line.to_string().as_str()))
                                .with_attribute(("time", format!("{:.3}", c.duration.as_secs_f64()).as_str()));
                            match &c.outcome {
                                Outcome::Passed => {
                                    el.write_empty()?;
                                }
                                Outcome::Failed(msg) => {
                                    let first = msg.lines().next().unwrap_or_default();
                                    el.write_inner_content(|w| {
                                        w.create_element("failure")
                                            .with_attribute(("message", first))
                                            .with_attribute(("type", c.kind))
                                            .write_text_content(BytesText::new(msg))?;
                                        Ok(())
                                    })?;
                                }
                            }
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    w.into_inner().write_all(b"\n")
}
