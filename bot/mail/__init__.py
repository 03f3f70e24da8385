"""E-mail: composing mails (`compose`), sending them over SMTP (`smtp`),
reading replies over IMAP (`imap`) and making sense of them (`inbound`).

Like a chat adapter, this wing knows the protocols and nothing of meetings:
the runtime decides what to send to whom (`bot.runtime.mailer`).
"""
