//! Charts as inline SVG, drawn on the server: axes with units, a legend, a
//! title and description for screen readers, and the same numbers as a
//! table beside each chart. The pages and the report's HTML export draw
//! the same charts. A category labelled `... (partial)` (a month the
//! window cuts, [`crate::render::month_label`]) is marked with `*` under
//! its bar and explained in the caption.

use maud::{Markup, html};

/// One series of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: &'static str,
    /// Its colour (CSS).
    pub colour: &'static str,
    /// One value per category (`None`: no data).
    pub values: Vec<Option<f64>>,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 28.0;
const RIGHT: f64 = 12.0;

/// A round upper bound for an axis and its step.
fn axis(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 0.25);
    }
    // The smallest round step (1, 2, 2.5 or 5 times a power of ten) whose
    // four ticks reach `max`.
    let wanted = max / 4.0;
    let magnitude = 10f64.powf(wanted.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= wanted * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    (step * 4.0, step)
}

fn table(id: &str, categories: &[String], series: &[Series], unit: &str, format: fn(f64) -> String) -> Markup {
    html! {
        details {
            summary { "The numbers" }
            table id=(format!("{id}-data")) {
                thead { tr { th scope="col" { "Period" } @for s in series { th scope="col" { (s.name) " (" (unit) ")" } } } }
                tbody {
                    @for (i, category) in categories.iter().enumerate() {
                        tr {
                            th scope="row" { (category) }
                            @for s in series { td { (s.values.get(i).copied().flatten().map_or_else(|| "–".to_owned(), format)) } }
                        }
                    }
                }
            }
        }
    }
}

/// What marks a partial period's label.
const PARTIAL: &str = " (partial)";

/// A category's label under its bar: `Dec 2026*` for a partial one.
fn tick(category: &str) -> String {
    category.strip_suffix(PARTIAL).map_or_else(|| category.to_owned(), |month| format!("{month}*"))
}

/// The caption's note when a category is partial.
fn partial_note(categories: &[String]) -> Markup {
    html! {
        @if categories.iter().any(|c| c.ends_with(PARTIAL)) {
            span.partial-note { " * A partial month: the window cuts it, so its figures are incomplete." }
        }
    }
}

fn legend(series: &[Series]) -> Markup {
    html! {
        ul.legend {
            @for s in series {
                li { svg.swatch viewBox="0 0 10 10" aria-hidden="true" { rect width="10" height="10" fill=(s.colour) {} } (s.name) }
            }
        }
    }
}

/// Gridlines and y-axis labels.
fn y_axis(top: f64, step: f64, format: fn(f64) -> String, unit: &str) -> Markup {
    let plot_height = HEIGHT - TOP - BOTTOM;
    html! {
        @for i in 0..=4 {
            @let value = step * f64::from(i);
            @let y = HEIGHT - BOTTOM - plot_height * value / top;
            line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y) y2=(y) {}
            text.tick x=(LEFT - 6.0) y=(y + 4.0) text-anchor="end" { (format(value)) }
        }
        text.unit x="4" y=(TOP - 14.0) { (unit) }
    }
}

/// What a chart over categories (months) has around its plot: the title and
/// description, the y axis, a label under each category, the caption with
/// its legend, and the numbers as a table.
struct Frame<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    categories: &'a [String],
    series: &'a [Series],
    unit: &'a str,
    format: fn(f64) -> String,
}

impl Frame<'_> {
    fn draw(&self, top: f64, step: f64, plot: Markup) -> Markup {
        let Self { id, title, description, categories, series, unit, format } = *self;
        let band = (WIDTH - LEFT - RIGHT) / categories.len().max(1) as f64;
        html! {
            figure.chart {
                svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{id}-title {id}-desc")) {
                    title id=(format!("{id}-title")) { (title) }
                    desc id=(format!("{id}-desc")) { (description) }
                    (y_axis(top, step, format, unit))
                    (plot)
                    @for (i, category) in categories.iter().enumerate() {
                        text.tick x=(LEFT + band * (i as f64 + 0.5)) y=(HEIGHT - BOTTOM + 16.0) text-anchor="middle" { (tick(category)) }
                    }
                    line.axis x1=(LEFT) x2=(WIDTH - RIGHT) y1=(HEIGHT - BOTTOM) y2=(HEIGHT - BOTTOM) {}
                }
                figcaption { (title) (partial_note(categories)) (legend(series)) }
                (table(id, categories, series, unit, format))
            }
        }
    }
}

/// Stacked bars: one bar per category, one segment per series.
pub fn stacked_bars(
    id: &str,
    title: &str,
    description: &str,
    categories: &[String],
    series: &[Series],
    unit: &str,
    format: fn(f64) -> String,
) -> Markup {
    let totals: Vec<f64> = (0..categories.len())
        .map(|i| series.iter().map(|s| s.values.get(i).copied().flatten().unwrap_or(0.0)).sum())
        .collect();
    let (top, step) = axis(totals.iter().copied().fold(0.0, f64::max));
    let plot_height = HEIGHT - TOP - BOTTOM;
    let band = (WIDTH - LEFT - RIGHT) / categories.len().max(1) as f64;
    let bar = band * 0.6;
    // Each segment: x, y, height, colour, tooltip.
    let mut segments = Vec::new();
    for (i, category) in categories.iter().enumerate() {
        let x = LEFT + band * i as f64 + (band - bar) / 2.0;
        let mut base = 0.0;
        for s in series {
            let value = s.values.get(i).copied().flatten().unwrap_or(0.0);
            let y = HEIGHT - BOTTOM - plot_height * (base + value) / top;
            segments.push((
                x,
                y,
                plot_height * value / top,
                s.colour,
                format!("{category}: {} {}", s.name, format(value)),
            ));
            base += value;
        }
    }
    let plot = html! {
        @for (x, y, height, colour, tooltip) in &segments {
            rect x=(x) y=(y) width=(bar) height=(height) fill=(colour) { title { (tooltip) } }
        }
    };
    let frame = Frame { id, title, description, categories, series, unit, format };
    frame.draw(top, step, plot)
}

/// A line per series over the categories; gaps where there is no data.
pub fn lines(
    id: &str,
    title: &str,
    description: &str,
    categories: &[String],
    series: &[Series],
    unit: &str,
    format: fn(f64) -> String,
) -> Markup {
    let max = series.iter().flat_map(|s| s.values.iter().flatten()).copied().fold(0.0, f64::max);
    let (top, step) = axis(max);
    let plot_height = HEIGHT - TOP - BOTTOM;
    let band = (WIDTH - LEFT - RIGHT) / categories.len().max(1) as f64;
    let point = |i: usize, value: f64| (LEFT + band * (i as f64 + 0.5), HEIGHT - BOTTOM - plot_height * value / top);
    let plot = html! {
        @for s in series {
            @let points: Vec<String> = s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| { let (x, y) = point(i, v); format!("{x:.1},{y:.1}") })).collect();
            polyline points=(points.join(" ")) fill="none" stroke=(s.colour) stroke-width="2.5" {}
            @for (i, value) in s.values.iter().enumerate() {
                @if let Some(value) = value {
                    @let (x, y) = point(i, *value);
                    circle cx=(x) cy=(y) r="4" fill=(s.colour) { title { (categories[i]) ": " (s.name) " " (format(*value)) } }
                }
            }
        }
    };
    let frame = Frame { id, title, description, categories, series, unit, format };
    frame.draw(top, step, plot)
}

/// Horizontal bars: one per category of a single series.
pub fn bars(
    id: &str,
    title: &str,
    description: &str,
    rows: &[(String, Option<f64>)],
    unit: &str,
    format: fn(f64) -> String,
) -> Markup {
    let max = rows.iter().filter_map(|r| r.1).fold(0.0, f64::max);
    let (top, _) = axis(max);
    let row_height = 28.0;
    let height = row_height * rows.len() as f64 + 8.0;
    let label = 150.0;
    let plot = WIDTH - label - 90.0;
    let series = [Series { name: title_case(unit), colour: "#0969da", values: rows.iter().map(|r| r.1).collect() }];
    let categories: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-labelledby=(format!("{id}-title {id}-desc")) {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (description) }
                @for (i, (name, value)) in rows.iter().enumerate() {
                    @let y = 4.0 + row_height * i as f64;
                    text.tick x=(label - 8.0) y=(y + 18.0) text-anchor="end" { (name) }
                    @if let Some(value) = value {
                        rect x=(label) y=(y + 4.0) width=(plot * value / top) height=(row_height - 10.0) fill="#0969da" {
                            title { (name) ": " (format(*value)) }
                        }
                        text.tick x=(label + plot * value / top + 6.0) y=(y + 18.0) { (format(*value)) }
                    } @else {
                        text.tick x=(label + 6.0) y=(y + 18.0) { "no data" }
                    }
                }
            }
            figcaption { (title) }
            (table(id, &categories, &series, unit, format))
        }
    }
}

fn title_case(unit: &str) -> &'static str {
    match unit {
        "hours" => "Hours",
        _ => "Value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(axis(7.0), (8.0, 2.0));
        assert_eq!(axis(9.0), (10.0, 2.5));
        assert_eq!(axis(100.0), (100.0, 25.0));
        assert_eq!(axis(0.0), (1.0, 0.25));
        assert_eq!(axis(0.3), (0.4, 0.1));
    }

    #[test]
    fn charts_carry_a_title_a_description_and_their_numbers() {
        let chart = stacked_bars(
            "deploys",
            "Deployments",
            "Deployments per month by owners and others",
            &["Jan".to_owned(), "Feb".to_owned()],
            &[
                Series { name: "by owners", colour: "#1a7f37", values: vec![Some(3.0), Some(5.0)] },
                Series { name: "by others", colour: "#cf222e", values: vec![Some(7.0), None] },
            ],
            "deployments",
            |v| format!("{v:.0}"),
        )
        .into_string();
        assert!(chart.contains("role=\"img\""), "{chart}");
        assert!(chart.contains("<title id=\"deploys-title\">Deployments</title>"));
        assert!(chart.contains("<td>7</td>") && chart.contains("<td>–</td>"), "the table has the numbers");
        assert!(!chart.contains("partial"), "no month is partial");
    }

    #[test]
    fn a_partial_month_is_marked_under_its_bar_and_in_the_caption() {
        let months = ["Nov 2026".to_owned(), "Dec 2026 (partial)".to_owned()];
        let series = [Series { name: "deployments", colour: "#0969da", values: vec![Some(9.0), Some(2.0)] }];
        let chart = lines("lead", "Lead time", "Lead time per month", &months, &series, "hours", |v| format!("{v:.0}"))
            .into_string();
        assert!(chart.contains(">Dec 2026*</text>"), "{chart}");
        assert!(chart.contains("A partial month"), "{chart}");
        assert!(chart.contains("<th scope=\"row\">Dec 2026 (partial)</th>"), "the table says it in words: {chart}");
    }
}
