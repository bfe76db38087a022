//! Colour on a terminal: verdicts, severities and check marks stand out
//! when standard output is a terminal, unless `NO_COLOR` is set (to
//! anything but the empty string, <https://no-color.org>) or `TERM` is
//! `dumb`; `CLICOLOR_FORCE` (not `0`) forces it into a pipe. Text is laid
//! out (padded, wrapped) first and painted after, so colour never moves a
//! column.

use std::io::IsTerminal as _;

use anstyle::{AnsiColor, Effects, Style};

/// Whether this process paints its standard output.
pub fn enabled() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0");
    decide(
        set("CLICOLOR_FORCE"),
        set("NO_COLOR"),
        std::env::var_os("TERM").is_some_and(|t| t == "dumb"),
        std::io::stdout().is_terminal(),
    )
}

fn decide(force: bool, no_colour: bool, dumb: bool, terminal: bool) -> bool {
    !no_colour && (force || (terminal && !dumb))
}

/// The style of a word that says how something stands, if it is one:
/// a verdict (`culture`, `transition`, `role`), a severity (`critical`,
/// `warning`, `ok`) or a check's mark (`pass`, `FAIL`).
fn style_of(word: &str) -> Option<Style> {
    let colour = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
    Some(match word {
        "culture" | "ok" | "pass" => colour(AnsiColor::Green),
        "transition" | "warning" | "exempt" => colour(AnsiColor::Yellow),
        "role" | "FAIL" => colour(AnsiColor::Red).effects(Effects::BOLD),
        "critical" => colour(AnsiColor::Red).effects(Effects::BOLD),
        "no_data" | "no data" | "n/a" => Style::new().effects(Effects::DIMMED),
        _ => return None,
    })
}

fn paint(word: &str) -> String {
    style_of(word).map_or_else(|| word.to_owned(), |style| format!("{style}{word}{style:#}"))
}

/// `paved report`'s text, painted: each line of the four-line test's
/// verdict (at `verdict_column`) and each finding's `[severity]`.
pub fn report(text: &str, verdict_column: usize) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        out.push_str(&report_line(line, verdict_column));
    }
    out
}

fn report_line(line: &str, verdict_column: usize) -> String {
    // A finding's heading: `  [critical] New silo`.
    if let Some(rest) = line.strip_prefix("  [")
        && let Some((severity, title)) = rest.split_once("] ")
        && style_of(severity).is_some()
    {
        return format!("  [{}] {title}", paint(severity));
    }
    // A line of the test: the verdict padded at its column.
    if line.is_char_boundary(verdict_column.min(line.len())) && line.len() > verdict_column {
        let (head, tail) = line.split_at(verdict_column);
        let word_end = tail.find(' ').unwrap_or(tail.len());
        let word = &tail[..word_end];
        if head.starts_with("  ") && style_of(word).is_some() && head.ends_with("  ") {
            return format!("{head}{}{}", paint(word), &tail[word_end..]);
        }
    }
    line.to_owned()
}

/// A check's mark (`pass`, `FAIL`, `no data`, ...) painted, padded to
/// `width` first.
pub fn mark(mark: &str, width: usize) -> String {
    let padded = format!("{mark:<width$}");
    if !enabled() {
        return padded;
    }
    let rest = &padded[mark.len()..];
    format!("{}{rest}", paint(mark))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_colour_wins_and_a_pipe_is_plain_unless_forced() {
        assert!(decide(false, false, false, true), "a terminal is painted");
        assert!(!decide(false, true, false, true), "NO_COLOR turns it off");
        assert!(!decide(true, true, false, true), "even forced");
        assert!(!decide(false, false, false, false), "a pipe is plain");
        assert!(decide(true, false, false, false), "CLICOLOR_FORCE paints a pipe");
        assert!(!decide(false, false, true, true), "TERM=dumb is plain");
    }

    #[test]
    fn verdicts_and_severities_are_painted_where_they_stand_and_nothing_moves() {
        let line =
            format!("  {:<30}{:>5}  {:<11}{}", "Deploy own code", "79 %", "transition", "owners made 251 of 314");
        let text = format!("{line}\n  [critical] New silo\n  role of the platform\n");
        let text = text.as_str();
        let painted = report(text, 39);
        assert!(painted.contains("\u{1b}[33mtransition\u{1b}[0m owners"), "{painted:?}");
        assert!(painted.contains("  [\u{1b}[1m\u{1b}[31mcritical\u{1b}[0m] New silo"), "{painted:?}");
        assert!(painted.ends_with("  role of the platform\n"), "a word in a sentence stays plain: {painted:?}");
        let codes = ["\u{1b}[33m", "\u{1b}[1m", "\u{1b}[31m", "\u{1b}[0m"];
        let stripped = codes.iter().fold(painted.clone(), |plain, code| plain.replace(code, ""));
        assert_eq!(stripped, text, "painting adds escapes only");
    }
}
