"""From findings to output bytes: byte-span edits (edits), statement removal planned as a
whole (removal), and the engine that runs the rules, resolves conflicts and re-parses the
result before keeping it (engine: ``migrate(source, profile) -> Result``)."""
