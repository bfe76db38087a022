//! OpenAPI schemas of closed sets of strings: a field or parameter that
//! takes one of a few values is documented with one of these
//! (`#[schema(value_type = ...)]`), so the document lists each value as an
//! `enum`.

/// Declares the schema of a closed set of strings (component `$name`),
/// with a `VALUES` constant that tests compare with the code's own list.
#[macro_export]
macro_rules! string_enum {
    ($(#[$doc:meta])* $schema:ident, $name:literal, $description:literal, [$($value:literal),+ $(,)?]) => {
        $(#[$doc])*
        pub struct $schema;

        impl $schema {
            /// Every value, in the order documented.
            pub const VALUES: &'static [&'static str] = &[$($value),+];
        }

        impl ::utoipa::PartialSchema for $schema {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .enum_values(Some([$($value),+]))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $schema {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed($name)
            }
        }
    };
}

string_enum!(
    /// [`super::report::Finding::id`].
    FindingId,
    "FindingId",
    "Which of the four dysfunctions.",
    ["new_silo", "deployment_bottleneck", "responsibility_diffusion", "knowledge_hoarding"]
);

string_enum!(
    /// [`super::report::Line::basis`].
    LineBasis,
    "LineBasis",
    "What a line's figures count.",
    [
        "deployments",
        "on_call_hours",
        "acknowledgements",
        "on_call_hours_and_acknowledgements",
        "commits",
        "commits_and_requests"
    ]
);

string_enum!(
    /// [`super::dora::Note::kind`].
    NoteKind,
    "NoteKind",
    "What a data-quality note counts.",
    [
        "negative_duration",
        "first_deployment",
        "unknown_commit",
        "open_incident",
        "recovery_pending",
        "unresolved_identity",
        "unknown_deployment_link",
        "without_service"
    ]
);

string_enum!(
    /// [`crate::contacts::ContactView::kind`].
    ContactKind,
    "ContactKind",
    "How a person is reached.",
    ["email", "slack", "webhook"]
);
