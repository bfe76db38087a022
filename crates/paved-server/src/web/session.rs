//! Who reads the web UI, signing in and out, and the protection of every
//! form against cross-site requests.
//!
//! **The viewer.** [`guard`], a layer over every page and form of the UI,
//! works out who sends each request once: the session cookie
//! (`paved_session`, a secret whose hash the store keeps, started on the
//! sign-in page with a personal token), else the header of an
//! authenticating proxy (`auth_proxy_header`), believed only when the
//! connection comes from one of `auth_proxy_trusted`. Handlers take it as
//! the [`Viewer`] extractor; the page layout's header reads it too.
//!
//! **Forms.** Every request to the UI that is not `GET` or `HEAD` passes
//! [`guard`]'s check before any handler sees it:
//! - the browser must not say it comes from another site: a
//!   `Sec-Fetch-Site` other than `same-origin`, or an `Origin` that is
//!   neither this server (its `Host`, or `X-Forwarded-Host` from a trusted
//!   proxy) nor `public_url`, is refused (`Origin: null` is left to the
//!   token: the pages' `Referrer-Policy: no-referrer` makes browsers send
//!   it for the UI's own forms);
//! - the form must carry the viewer's CSRF token in its `csrf` field,
//!   which [`csrf_field`] renders: for a session, a hash of the session's
//!   secret (a page of another site can neither read nor derive it); for
//!   anyone else (the sign-in form, a person named by a proxy), the value
//!   of the `paved_csrf` cookie, set by the first page they read (a
//!   double-submit cookie: another site can neither read nor set it).
//!
//! A refusal is a 403 page saying the form came from another site; the
//! handler never runs. A new form needs only [`csrf_field`] in its markup
//! and its path in [`super::FORM_ROUTES`], which a test posts to without a
//! token.

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::header::{CONTENT_LENGTH, COOKIE, HOST, HeaderMap, HeaderName, HeaderValue, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use paved_app::sessions::SessionSecret;
use paved_app::{AppError, Caller, Via};
use paved_domain::EntityRef;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{WebError, encode, head_links, page_path, see_other};
use crate::AppState;
use crate::extract::{BodyLimit, BodyTimeout, UnreadBody};
use crate::settings::WebAuth;

/// The cookie holding a session's secret.
pub const SESSION_COOKIE: &str = "paved_session";
/// The cookie holding the CSRF token of a viewer without a session.
pub const CSRF_COOKIE: &str = "paved_csrf";
/// The form field every form of the UI carries its CSRF token in.
pub const CSRF_FIELD: &str = "csrf";
/// The largest form body the UI reads.
const FORM_LIMIT: usize = 64 * 1024;

tokio::task_local! {
    /// The viewer of the request being served, for the page layout.
    static VIEWER: Viewer;
}

/// Who reads a page or sends a form: a signed-in person, or nobody. Taken
/// by handlers as an extractor (set by [`guard`] on every route of the UI).
#[derive(Debug, Clone)]
pub struct Viewer {
    caller: Option<Caller>,
    display_name: Option<String>,
    csrf: String,
    path: String,
    https: bool,
}

impl Viewer {
    /// The person signed in as a caller (`Caller::Person`, via a session or
    /// the proxy), for the application's use cases; `None` when nobody is.
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// Who acts through a form, or 401 saying `why` one must sign in.
    ///
    /// # Errors
    /// [`WebError`] 401 when nobody is signed in.
    pub fn signed_in(&self, why: &str) -> Result<&Caller, WebError> {
        self.caller().ok_or_else(|| WebError::new(StatusCode::UNAUTHORIZED, why))
    }

    /// The catalog User signed in.
    pub fn person(&self) -> Option<&EntityRef> {
        self.caller.as_ref().and_then(Caller::person)
    }

    /// How the header names them: the User's display name.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// Whether they signed in with a session (and so may sign out here).
    fn has_session(&self) -> bool {
        matches!(self.caller, Some(Caller::Person { via: Via::Session(_), .. }))
    }

    /// The CSRF token the viewer's forms carry.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Viewer>().cloned().ok_or_else(|| {
            tracing::error!(path = %parts.uri.path(), "a web route is outside the session guard");
            WebError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server log has the cause")
        })
    }
}

/// The hidden field that carries the viewer's CSRF token: every form that
/// changes something has it.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf); }
}

/// The header's part about the viewer: "Signed in as NAME · Sign out", or
/// a "Sign in" link back to this page. Empty outside a request of the UI.
pub(super) fn header_status() -> Markup {
    let Ok(viewer) = VIEWER.try_with(Clone::clone) else { return html! {} };
    html! {
        div.session {
            @if let Some(person) = viewer.person() {
                "Signed in as "
                a href=(page_path(person)) { (viewer.display_name().unwrap_or(person.name())) }
                @if viewer.has_session() {
                    " · "
                    form.sign-out method="post" action="/sign-out" {
                        (csrf_field(&viewer))
                        button type="submit" { "Sign out" }
                    }
                }
            } @else if !viewer.path.starts_with("/sign-in") {
                a href=(sign_in_path(&viewer.path)) { "Sign in" }
            }
        }
    }
}

/// `/sign-in?next=PATH`.
fn sign_in_path(next: &str) -> String {
    if next == "/" || next.starts_with("/sign-in") {
        "/sign-in".to_owned()
    } else {
        format!("/sign-in?next={}", encode(next))
    }
}

/// `next` when it is a path of this server (`/services?days=30`), else
/// `/`: a sign-in never sends anyone to another site.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/sign-in")
                && path.chars().all(|c| c.is_ascii_graphic())
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The value of cookie `name` among the request's cookies.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, for the whole site,
/// Secure over https; `max_age` in seconds (0 deletes it; `None` lasts
/// while the browser runs).
fn set_cookie(name: &str, value: &str, max_age: Option<i64>, https: bool) -> Option<HeaderValue> {
    let max_age = max_age.map(|seconds| format!("; Max-Age={}", seconds.max(0))).unwrap_or_default();
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/{max_age}{secure}")).ok()
}

/// The CSRF token of a session: derived from its secret, so nothing more
/// is stored, and telling nothing about the secret.
fn session_csrf(secret: &SessionSecret) -> String {
    let mut hash = Sha256::new();
    hash.update(b"pavedroad csrf token\0");
    hash.update(secret.expose().as_bytes());
    hex::encode(hash.finalize())
}

/// A new random CSRF token for a viewer without a session.
fn random_csrf() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| {
        tracing::error!(%error, "no randomness for a CSRF token");
        WebError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server log has the cause")
    })?;
    Ok(hex::encode(bytes))
}

/// Whether the connection comes from a trusted proxy.
fn from_trusted_proxy(parts: &Parts, web: &WebAuth) -> bool {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().is_some_and(|ConnectInfo(peer)| web.trusts(peer.ip()))
}

/// Whether the browser reached pavedroad over https: `public_url` says so,
/// or a trusted proxy's `X-Forwarded-Proto` does.
fn over_https(parts: &Parts, web: &WebAuth, trusted: bool) -> bool {
    if web.public_url.as_ref().is_some_and(|url| url.is_https()) {
        return true;
    }
    trusted
        && parts.headers.get("x-forwarded-proto").and_then(|value| value.to_str().ok()).is_some_and(|proto| {
            proto.split(',').next().is_some_and(|first| first.trim().eq_ignore_ascii_case("https"))
        })
}

/// What [`guard`] worked out about a request besides its viewer.
struct Resolved {
    viewer: Viewer,
    /// A `paved_csrf` cookie to set (the viewer had none).
    new_csrf_cookie: bool,
    /// The session cookie names a session that identifies nobody now.
    clear_session: bool,
}

/// Who sends the request: the session cookie, else the trusted proxy's
/// header.
async fn resolve(state: &AppState, parts: &Parts) -> Result<Resolved, WebError> {
    let web = &state.settings.web;
    let trusted = from_trusted_proxy(parts, web);
    let https = over_https(parts, web, trusted);
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let mut clear_session = false;
    let mut signed_in: Option<Caller> = None;
    if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).and_then(SessionSecret::new) {
        match state.session_caller(&secret).await? {
            Some((caller, _)) => {
                let csrf = session_csrf(&secret);
                let display_name = display_name(state, caller.person()).await?;
                let viewer = Viewer { caller: Some(caller), display_name, csrf, path, https };
                return Ok(Resolved { viewer, new_csrf_cookie: false, clear_session: false });
            }
            None => clear_session = true,
        }
    }
    if let Some(header) = &web.proxy_header
        && let Some(person) = proxy_person(state, parts, header, trusted).await?
    {
        signed_in = Some(Caller::Person { person, via: Via::Proxy });
    }
    let existing = cookie(&parts.headers, CSRF_COOKIE)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let new_csrf_cookie = existing.is_none();
    let csrf = match existing {
        Some(value) => value,
        None => random_csrf()?,
    };
    let display_name = display_name(state, signed_in.as_ref().and_then(Caller::person)).await?;
    let viewer = Viewer { caller: signed_in, display_name, csrf, path, https };
    Ok(Resolved { viewer, new_csrf_cookie, clear_session })
}

/// The display name of `person` in the catalog.
async fn display_name(state: &AppState, person: Option<&EntityRef>) -> Result<Option<String>, WebError> {
    let Some(person) = person else { return Ok(None) };
    let catalog = state.catalog.current().await.map_err(AppError::from)?;
    Ok(catalog.person(person).map(|info| info.display_name.clone()))
}

/// The person the proxy's header names, when it comes from a trusted
/// proxy and names a catalog User. From anyone else it is ignored.
async fn proxy_person(
    state: &AppState,
    parts: &Parts,
    header: &HeaderName,
    trusted: bool,
) -> Result<Option<EntityRef>, WebError> {
    let Some(value) = parts.headers.get(header) else { return Ok(None) };
    if !trusted {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip().to_string());
        tracing::warn!(
            header = %header,
            peer = peer.as_deref().unwrap_or("unknown"),
            "ignoring the sign-in header of a connection that is not from auth_proxy_trusted"
        );
        return Ok(None);
    }
    let Ok(text) = value.to_str() else {
        tracing::warn!(header = %header, "the authenticating proxy's header is not text; nobody is signed in");
        return Ok(None);
    };
    let person = state.person_by_login_or_email(text).await?;
    if person.is_none() {
        tracing::warn!(
            header = %header,
            "the authenticating proxy names a person who is no catalog User (by e-mail or login); nobody is signed in"
        );
    }
    Ok(person)
}

/// Why a form was refused.
#[derive(Debug)]
enum Refusal {
    /// The browser says it came from another site.
    CrossSite(String),
    /// It carries no token, or not the viewer's.
    Token(&'static str),
    /// Its body could not be read (too large, too slow).
    Body(WebError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let reason = match self {
            Self::Body(error) => return error.into_response(),
            Self::CrossSite(reason) => reason,
            Self::Token(reason) => reason.to_owned(),
        };
        let body = simple_page(
            "Form refused",
            html! {
                p { "This form came from another site, so pavedroad did not act on it." }
                p.reason { (reason) }
                p { "If you sent it yourself from pavedroad, go back, reload the page and send it again." }
                p { a href="/" { "Back to the overview" } }
            },
        );
        (StatusCode::FORBIDDEN, body).into_response()
    }
}

/// The authority the browser names when it says where a form came from:
/// `Origin` without its scheme.
fn authority(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, rest)| rest)
}

/// Refuses a request the browser says comes from another site.
fn check_same_site(parts: &Parts, web: &WebAuth, trusted: bool) -> Result<(), Refusal> {
    if let Some(site) = parts.headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("unreadable");
        if site != "same-origin" {
            return Err(Refusal::CrossSite(format!(
                "The browser says it was sent from another site (Sec-Fetch-Site: {site})."
            )));
        }
    }
    let Some(origin) = parts.headers.get(ORIGIN) else { return Ok(()) };
    let Ok(origin) = origin.to_str() else {
        return Err(Refusal::CrossSite("Its Origin header is not text.".to_owned()));
    };
    if origin == "null" || web.public_url.as_ref().is_some_and(|url| url.origin().eq_ignore_ascii_case(origin)) {
        return Ok(());
    }
    let forwarded = trusted.then(|| parts.headers.get("x-forwarded-host")).flatten();
    let ours = [parts.headers.get(HOST), forwarded]
        .into_iter()
        .flatten()
        .filter_map(|value| value.to_str().ok())
        .map(|value| value.split(',').next().unwrap_or_default().trim().to_owned())
        .chain(parts.uri.authority().map(ToString::to_string));
    let origin_authority = authority(origin);
    if ours.into_iter().any(|host| host.eq_ignore_ascii_case(origin_authority)) {
        return Ok(());
    }
    Err(Refusal::CrossSite(format!("It was sent from {origin}, which is not this server.")))
}

/// Checks a form (a request that is not `GET` or `HEAD`): same site, and
/// carrying `viewer`'s token. Returns its body, read.
async fn verify_form(parts: &Parts, web: &WebAuth, viewer: &Viewer, body: Body) -> Result<Bytes, Refusal> {
    check_same_site(parts, web, from_trusted_proxy(parts, web))?;
    let mut reading = Request::new(body);
    reading.extensions_mut().insert(BodyLimit(FORM_LIMIT));
    if let Some(timeout) = parts.extensions.get::<BodyTimeout>() {
        reading.extensions_mut().insert(*timeout);
    }
    if let Some(length) = parts.headers.get(CONTENT_LENGTH) {
        reading.headers_mut().insert(CONTENT_LENGTH, length.clone());
    }
    let unread = UnreadBody::from_request(reading, &()).await.map_err(|e| Refusal::Body(e.into()))?;
    let bytes = unread.read().await.map_err(|e| Refusal::Body(e.into()))?.clone();
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let Some((_, token)) = fields.iter().find(|(name, _)| name == CSRF_FIELD) else {
        return Err(Refusal::Token("It carries no token of this server's pages."));
    };
    if !bool::from(token.as_bytes().ct_eq(viewer.csrf.as_bytes())) {
        return Err(Refusal::Token(
            "Its token is not the one of your pages here (it may be from a page older than your last sign-in or \
             sign-out).",
        ));
    }
    Ok(bytes)
}

/// The layer over every page and form of the UI: works out the
/// [`Viewer`], refuses a form from another site or without the viewer's
/// token (see the module's documentation), and sets the cookies the viewer
/// needs.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let resolved = match resolve(&state, &parts).await {
        Ok(resolved) => resolved,
        Err(error) => return error.into_response(),
    };
    let web = &state.settings.web;
    let mut request = if parts.method == Method::GET || parts.method == Method::HEAD {
        Request::from_parts(parts, body)
    } else {
        match verify_form(&parts, web, &resolved.viewer, body).await {
            Ok(bytes) => Request::from_parts(parts, Body::from(bytes)),
            Err(refusal) => {
                if let Some(reason) = refusal.reason() {
                    tracing::warn!(path = %parts.uri.path(), reason, "a form was refused");
                }
                return with_cookies(refusal.into_response(), &resolved);
            }
        }
    };
    request.extensions_mut().insert(resolved.viewer.clone());
    let response = VIEWER.scope(resolved.viewer.clone(), next.run(request)).await;
    with_cookies(response, &resolved)
}

impl Refusal {
    /// Why the form was refused, for the log (a body that could not be
    /// read is logged where it was read).
    fn reason(&self) -> Option<&str> {
        match self {
            Self::CrossSite(reason) => Some(reason),
            Self::Token(reason) => Some(reason),
            Self::Body(_) => None,
        }
    }
}

/// `response` with the cookies `resolved` asks for.
fn with_cookies(mut response: Response, resolved: &Resolved) -> Response {
    let https = resolved.viewer.https;
    if resolved.new_csrf_cookie
        && let Some(value) = set_cookie(CSRF_COOKIE, &resolved.viewer.csrf, None, https)
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    if resolved.clear_session
        && response.extensions().get::<SessionCookieSet>().is_none()
        && let Some(value) = set_cookie(SESSION_COOKIE, "", Some(0), https)
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Marks a response whose handler set the session cookie itself, so that
/// [`guard`] does not delete it for the stale session the request had.
#[derive(Debug, Clone, Copy)]
struct SessionCookieSet;

/// The layer over the pages when `require_sign_in` is set: a page read by
/// nobody signed in redirects to the sign-in page, which brings them back.
pub(crate) async fn require_sign_in(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.settings.web.require_sign_in || !(request.method() == Method::GET || request.method() == Method::HEAD) {
        return next.run(request).await;
    }
    match request.extensions().get::<Viewer>() {
        Some(viewer) if viewer.caller.is_some() => next.run(request).await,
        Some(viewer) => see_other(&sign_in_path(&viewer.path)),
        None => see_other("/sign-in"),
    }
}

/// A page without the window selector: the sign-in page, a refused form.
fn simple_page(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — pavedroad" }
                (head_links())
            }
            body {
                header { a.brand href="/" { "pavedroad" } (header_status()) }
                main id="main" { h1 { (title) } (content) }
            }
        }
    }
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInQuery {
    #[serde(default)]
    next: Option<String>,
}

/// The sign-in form as posted.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: Option<String>,
}

/// The sign-in page, with `problem` above the form when the last try
/// failed.
fn sign_in_page(viewer: &Viewer, next: &str, problem: Option<&str>) -> Markup {
    simple_page(
        "Sign in",
        html! {
            @if let Some(person) = viewer.person() {
                p { "You are signed in as " (viewer.display_name().unwrap_or(person.name())) ". Signing in again replaces it." }
            }
            @if let Some(problem) = problem {
                p.problem role="alert" id="sign-in-problem" { (problem) }
            }
            form.sign-in method="post" action="/sign-in" {
                (csrf_field(viewer))
                input type="hidden" name="next" value=(next);
                label for="token" { "Personal token" }
                input #token type="password" name="token" autocomplete="off" required
                    aria-describedby="token-help" aria-invalid=[problem.map(|_| "true")];
                p #token-help {
                    "Paste your personal token. If you have none, create one with "
                    code { "paved token create --user NAME --expires 90d" }
                    " (NAME is your catalog User)."
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /sign-in`.
pub(crate) async fn sign_in_form(viewer: Viewer, Query(query): Query<SignInQuery>) -> Markup {
    sign_in_page(&viewer, &local_path(query.next.as_deref()), None)
}

/// `POST /sign-in`: a session from a personal token, then back to `next`;
/// a session the browser had before is ended. A wrong token shows the form
/// again with the reason (401).
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    axum::Form(form): axum::Form<SignInForm>,
) -> Result<Response, WebError> {
    let next = local_path(form.next.as_deref());
    let failed =
        |status: StatusCode, message: &str| (status, sign_in_page(&viewer, &next, Some(message))).into_response();
    if form.token.trim().is_empty() {
        return Ok(failed(StatusCode::BAD_REQUEST, "Paste your personal token into the field, then sign in."));
    }
    let (secret, session) = match state.sign_in(&form.token, state.settings.web.session_lifetime).await {
        Ok(signed_in) => signed_in,
        Err(AppError::Unauthenticated(message)) => {
            return Ok(failed(StatusCode::UNAUTHORIZED, &format!("Not signed in: {message}.")));
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(previous) = cookie(&headers, SESSION_COOKIE).and_then(SessionSecret::new) {
        state.sign_out(&previous).await?;
    }
    let lifetime = (session.expires_at - chrono::Utc::now()).num_seconds();
    let mut response = see_other(&next);
    if let Some(value) = set_cookie(SESSION_COOKIE, secret.expose(), Some(lifetime), viewer.https) {
        response.headers_mut().append(SET_COOKIE, value);
        response.extensions_mut().insert(SessionCookieSet);
    }
    Ok(response)
}

/// `POST /sign-out`: ends the session and deletes its cookie.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE).and_then(SessionSecret::new) {
        state.sign_out(&secret).await?;
    }
    let mut response = see_other("/sign-in");
    if let Some(value) = set_cookie(SESSION_COOKIE, "", Some(0), viewer.https) {
        response.headers_mut().append(SET_COOKIE, value);
        response.extensions_mut().insert(SessionCookieSet);
    }
    Ok(response)
}
