"""Optional integrations, each behind an extra of its own and imported by nothing else in chathistory."""
