"""The pages around a shared dashboard: the email and code forms, and why a link does not open."""
