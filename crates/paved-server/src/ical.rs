//! iCalendar (RFC 5545) as the on-call feeds write it: a `VCALENDAR` of
//! `VEVENT`s with UTC times, CRLF line endings, TEXT values escaped, and
//! content lines folded at 75 octets (never inside a UTF-8 character).
//!
//! Written here rather than with a crate: the feeds need a dozen
//! properties of one component, and the rules that matter (escaping,
//! folding by octets, CRLF) fit in this file, where a test checks each and
//! another has a real parser (Python's `icalendar`) read a served feed.

use chrono::{DateTime, Utc};

/// The longest content line, in octets, without its CRLF (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique and stable: the same shift has the same UID whenever the
    /// feed is read, so that calendar apps update it instead of adding it
    /// again.
    pub uid: String,
    /// From.
    pub start: DateTime<Utc>,
    /// Until.
    pub end: DateTime<Utc>,
    /// The title: `On call: checkout-oncall`.
    pub summary: String,
    /// More words about it.
    pub description: String,
}

/// A whole calendar named `name`, its events stamped `stamp` (when the
/// feed was made).
pub fn calendar(name: &str, events: &[Event], stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |text: &str| fold_into(&mut out, text);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line(&format!("PRODID:-//pavedroad//paved {}//EN", env!("CARGO_PKG_VERSION")));
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("NAME:{}", escape(name)));
    line(&format!("X-WR-CALNAME:{}", escape(name)));
    line("REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line("X-PUBLISHED-TTL:PT1H");
    for event in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", escape(&event.uid)));
        line(&format!("DTSTAMP:{}", utc(stamp)));
        line(&format!("DTSTART:{}", utc(event.start)));
        line(&format!("DTEND:{}", utc(event.end)));
        line(&format!("SUMMARY:{}", escape(&event.summary)));
        line(&format!("DESCRIPTION:{}", escape(&event.description)));
        // Being on call does not make anyone busy.
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// An instant as a UTC DATE-TIME: `20260710T160000Z`.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma
/// and line breaks; other control characters, which TEXT may not hold,
/// dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` to `out` folded (RFC 5545 §3.1): no physical line over
/// 75 octets, each continuation starting with one space (which counts),
/// breaks only between characters; each line ends with CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(line: &str) -> String {
        let mut out = String::new();
        fold_into(&mut out, line);
        out
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let short = "x".repeat(75);
        assert_eq!(folded(&short), format!("{short}\r\n"), "75 octets stay on one line");
        let long = format!("SUMMARY:{}", "é".repeat(100));
        let out = folded(&long);
        assert!(out.ends_with("\r\n"));
        for physical in out.trim_end_matches("\r\n").split("\r\n") {
            assert!(physical.len() <= 75, "{} octets: {physical}", physical.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long, "unfolding gives the line back");
        assert!(out.split("\r\n").skip(1).filter(|l| !l.is_empty()).all(|l| l.starts_with(' ')));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\r\ne\nf\u{7}"), "a\\,b\\;c\\\\d\\ne\\nf");
    }

    #[test]
    fn a_calendar_has_crlf_lines_and_utc_times() {
        let at = |h| DateTime::parse_from_rfc3339(&format!("2026-07-10T{h:02}:00:00Z")).unwrap().with_timezone(&Utc);
        let event = Event {
            uid: "abc@pavedroad".into(),
            start: at(16),
            end: at(18),
            summary: "On call: checkout-oncall".into(),
            description: "Lena".into(),
        };
        let text = calendar("On call: checkout-oncall", &[event], at(9));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "{text}");
        assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"), "{text}");
        assert!(!text.replace("\r\n", "").contains('\n'), "every line ends with CRLF");
        for expected in
            ["DTSTART:20260710T160000Z", "DTEND:20260710T180000Z", "DTSTAMP:20260710T090000Z", "UID:abc@pavedroad"]
        {
            assert!(text.contains(&format!("{expected}\r\n")), "{expected} in {text}");
        }
    }
}
