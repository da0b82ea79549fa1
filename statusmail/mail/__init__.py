"""The only code that speaks SMTP or a provider API: composing, transports, errors."""
