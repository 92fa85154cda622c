"""What a run prints: the report formats (text, JSON, SARIF, GitHub, diff) and the rule
documentation (docs/rules.md)."""
