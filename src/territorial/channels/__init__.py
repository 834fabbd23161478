"""Where notifications leave the workspace: e-mail over SMTP and webhooks over HTTP, and the signature
a webhook receiver checks (`territorial.channels.signature.verify`)."""
