//! paved-notify against real receivers: an SMTP server (Python's aiosmtpd)
//! and HTTP servers on 127.0.0.1 standing in for Slack and a generic
//! webhook receiver.

mod smtp;
mod support;
mod webhooks;
