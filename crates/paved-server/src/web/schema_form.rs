//! Forms drawn from a JSON Schema: a provisioning request from a Module's
//! parameters, a golden path's run from a Template's form steps. Each
//! property is an input (enum as a select, boolean as a checkbox, bounded
//! numbers, text), its default filled in and its description as help; the
//! posted text is read back as the JSON value its schema asks for.

use maud::{Markup, html};
use serde_json::Value;

/// One input of a form, read from a property of a JSON Schema.
#[derive(Debug, PartialEq)]
pub(super) struct Field<'m> {
    pub(super) key: &'m str,
    pub(super) kind: Kind,
    pub(super) default: Option<&'m Value>,
    pub(super) description: Option<&'m str>,
    pub(super) required: bool,
}

#[derive(Debug, PartialEq)]
pub(super) enum Kind {
    /// `enum`: each value as the form sends it, and whether it is offered.
    Choice(Vec<(String, bool)>),
    /// `boolean`.
    Flag,
    /// `integer` or `number`, with the schema's bounds.
    Number { integer: bool, min: Option<String>, max: Option<String> },
    /// Anything else, as text.
    Text,
}

/// A value as a form field holds it (`small`, `5`, `true`).
pub(super) fn field_text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// The fields of a form for `schema` (an object schema), in its order;
/// `offered(key, value)` says whether an enum's value may be chosen.
pub(super) fn fields<'s>(schema: &'s Value, offered: &dyn Fn(&str, &str) -> bool) -> Vec<Field<'s>> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    properties
        .iter()
        .map(|(key, property)| {
            let bound = |name: &str| property.get(name).filter(|v| v.is_number()).map(Value::to_string);
            let kind =
                match (property.get("enum").and_then(Value::as_array), property.get("type").and_then(Value::as_str)) {
                    (Some(values), _) => Kind::Choice(
                        values
                            .iter()
                            .map(field_text)
                            .map(|text| {
                                let ok = offered(key, &text);
                                (text, ok)
                            })
                            .collect(),
                    ),
                    (None, Some("boolean")) => Kind::Flag,
                    (None, Some(kind @ ("integer" | "number"))) => {
                        Kind::Number { integer: kind == "integer", min: bound("minimum"), max: bound("maximum") }
                    }
                    _ => Kind::Text,
                };
            Field {
                key,
                kind,
                default: property.get("default"),
                description: property.get("description").and_then(Value::as_str),
                required: required.contains(&key.as_str()),
            }
        })
        .collect()
}

/// A field's text as the JSON value its schema asks for: what the API
/// takes as `parameters`. Text a type does not read stays text, for the
/// schema's check to name.
pub(super) fn parameter_value(schema: Option<&Value>, text: &str) -> Value {
    let kind = schema.and_then(|s| s.get("type")).and_then(Value::as_str);
    match kind {
        Some("string") => Value::String(text.to_owned()),
        Some("integer") => text.trim().parse::<i64>().map_or_else(|_| Value::String(text.to_owned()), Value::from),
        Some("number") => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(text.to_owned()), Value::Number),
        Some("boolean") => Value::Bool(text == "true"),
        // An enum without a type: its values as the schema wrote them.
        _ => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
    }
}

/// The input of `field`, named `<prefix><key>`, with its help.
pub(super) fn input(id: &str, field: &Field<'_>, prefix: &str) -> Markup {
    let name = format!("{prefix}{}", field.key);
    let help = format!("{id}-help");
    let default = field.default.map(field_text);
    let range = match &field.kind {
        Kind::Number { min: Some(min), max: Some(max), .. } => Some(format!("From {min} to {max}.")),
        Kind::Number { min: Some(min), max: None, .. } => Some(format!("At least {min}.")),
        Kind::Number { min: None, max: Some(max), .. } => Some(format!("At most {max}.")),
        _ => None,
    };
    let hint = [field.description.map(str::to_owned), range].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let has_help = !hint.is_empty();
    html! {
        div.field.flag[matches!(field.kind, Kind::Flag)] {
            @match &field.kind {
                Kind::Flag => {
                    // An unchecked box sends nothing: the hidden field says false.
                    input type="hidden" name=(name) value="false";
                    input id=(id) name=(name) type="checkbox" value="true" checked[default.as_deref() == Some("true")]
                        aria-describedby=[has_help.then_some(&help)];
                    " "
                    label for=(id) { (field.key) }
                }
                Kind::Choice(values) => {
                    label for=(id) { (field.key) }
                    select id=(id) name=(name) required[field.required] aria-describedby=[has_help.then_some(&help)] {
                        @if default.is_none() && !field.required { option value="" { "(not set)" } }
                        @for (value, offered) in values {
                            option value=(value) selected[default.as_deref() == Some(value.as_str())] disabled[!offered] {
                                (value) @if !offered { " (over the Module's limits)" }
                            }
                        }
                    }
                }
                Kind::Number { integer, min, max } => {
                    label for=(id) { (field.key) }
                    input id=(id) name=(name) type="number" step=(if *integer { "1" } else { "any" }) min=[min.as_deref()] max=[max.as_deref()]
                        value=[default.as_deref()] required[field.required] aria-describedby=[has_help.then_some(&help)];
                }
                Kind::Text => {
                    label for=(id) { (field.key) }
                    input id=(id) name=(name) type="text" value=[default.as_deref()] required[field.required]
                        aria-describedby=[has_help.then_some(&help)];
                }
            }
            @if has_help { p.hint id=(help) { (hint) } }
        }
    }
}
