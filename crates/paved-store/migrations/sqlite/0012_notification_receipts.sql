-- What the receiver answered when a page was delivered (the SMTP server's
-- reply, the webhook's status, the file an e-mail was written to), shown
-- on the incident beside the page.
ALTER TABLE notifications ADD COLUMN receipt TEXT;
