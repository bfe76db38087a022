//! E-mail over SMTP, with lettre; or, for a demo, e-mail written to files.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use paved_domain::EmailAddress;
use sha2::{Digest, Sha256};

use crate::message::Message;
use crate::notifier::{DeliveryKey, Failure};
use crate::settings::{MailServer, SettingsError, SmtpSettings, SmtpTls};

/// A connection is opened per e-mail (no pool: pages are rare, and a
/// pooled connection the server dropped would fail the next page).
#[derive(Clone)]
pub(crate) struct SmtpSender {
    transport: Transport,
    from: Mailbox,
    /// `host:port`, or the directory, for messages.
    server: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Directory(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("server", &self.server).finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub(crate) fn new(settings: &SmtpSettings, timeout: Duration) -> Result<Self, SettingsError> {
        let (host, port, tls, credentials) = match &settings.server {
            MailServer::Smtp { host, port, tls, credentials } => (host, *port, *tls, credentials),
            MailServer::Directory(directory) => {
                let transport = Transport::Directory(AsyncFileTransport::new(directory), directory.clone());
                let server = directory.display().to_string();
                return Ok(Self { transport, from: settings.from.clone(), server });
            }
        };
        let tls_parameters = || {
            TlsParameters::new(host.clone())
                .map_err(|e| SettingsError::Client { problem: format!("TLS for {host}: {e}") })
        };
        let tls = match tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters()?),
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some((user, password)) = credentials {
            let password = String::from_utf8_lossy(password.expose()).into_owned();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let server = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        Ok(Self { transport: Transport::Smtp(builder.build()), from: settings.from.clone(), server })
    }

    /// Sends the page to `to`; what the server answered.
    pub(crate) async fn send(
        &self,
        to: &EmailAddress,
        message: &Message,
        key: &DeliveryKey,
    ) -> Result<String, Failure> {
        let to: Mailbox =
            to.as_str().parse().map_err(|e| Failure::permanent(format!("the address cannot be sent to: {e}")))?;
        // The same key gives the same Message-ID, which lets mail systems
        // drop a repeat.
        let digest = hex::encode(Sha256::digest(key.as_str().as_bytes()));
        let message_id = format!("<{}.paved@{}>", &digest[..32], self.from.email.domain());
        let mut email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(crate::render::email_subject(message))
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                crate::render::email_text(message),
                crate::render::email_html(message),
            ))
            .map_err(|e| Failure::permanent(format!("the e-mail cannot be built: {e}")))?;
        let headers = email.headers_mut();
        headers
            .insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str("X-Paved-Delivery"), key.as_str().to_owned()));
        // RFC 3834: no out-of-office replies to a page.
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
        let transport = match &self.transport {
            Transport::Smtp(transport) => transport,
            Transport::Directory(files, directory) => {
                return match files.send(email).await {
                    Ok(id) => Ok(format!("written to {}", directory.join(format!("{id}.eml")).display())),
                    Err(e) => Err(Failure::retry(format!("could not write it to {}: {e}", self.server))),
                };
            }
        };
        match transport.send(email).await {
            Ok(response) => Ok(format!("the SMTP server {} accepted it ({})", self.server, response.code())),
            Err(e) if e.is_permanent() => {
                Err(Failure::permanent(format!("the SMTP server {} refused it: {e}", self.server)))
            }
            Err(e) if e.is_timeout() => {
                Err(Failure::retry(format!("the SMTP server {} did not answer in time", self.server)))
            }
            Err(e) => Err(Failure::retry(format!("could not hand it to the SMTP server {}: {e}", self.server))),
        }
    }
}
