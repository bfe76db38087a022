//! The Prometheus text exposition format (version 0.0.4): each family's
//! `# HELP` and `# TYPE` once, then its samples, label values escaped.
//! Checked by `promtool check metrics` in the tests.

use std::fmt::Write as _;

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (`_total`).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, a sum and a count (`_bucket`, `_sum`, `_count`).
    Histogram,
}

/// The exposition being written.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
    family: String,
}

impl Exposition {
    /// Starts the family `name`; its samples follow.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let _ = writeln!(self.text, "# HELP {name} {}", help.replace('\\', "\\\\").replace('\n', "\\n"));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        name.clone_into(&mut self.family);
    }

    /// One sample of the current family: `NaN` for a value without data,
    /// so that series do not come and go.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: Option<f64>) {
        self.text.push_str(&self.family);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (name, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{name}=\"{}\"", escape(value));
            }
            self.text.push('}');
        }
        match value {
            Some(value) if value.is_finite() => {
                let _ = writeln!(self.text, " {value}");
            }
            Some(value) if value.is_infinite() => {
                let _ = writeln!(self.text, " {}", if value > 0.0 { "+Inf" } else { "-Inf" });
            }
            _ => self.text.push_str(" NaN\n"),
        }
    }

    /// One sample of a series of the current family named with `suffix`
    /// (a histogram's `_bucket`, `_sum`, `_count`).
    pub fn suffixed(&mut self, suffix: &str, labels: &[(&str, &str)], value: f64) {
        let family = std::mem::take(&mut self.family);
        self.family = format!("{family}{suffix}");
        self.sample(labels, Some(value));
        self.family = family;
    }

    /// The whole text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// A label value escaped for the text format.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_samples_are_written_in_the_text_format() {
        let mut text = Exposition::default();
        text.family("paved_x_total", Kind::Counter, "X.");
        text.sample(&[("service", "a\"b")], Some(3.0));
        text.sample(&[], None);
        assert_eq!(
            text.finish(),
            "# HELP paved_x_total X.\n# TYPE paved_x_total counter\npaved_x_total{service=\"a\\\"b\"} 3\npaved_x_total NaN\n"
        );
    }
}
