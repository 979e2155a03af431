"""Renderers: a determination (or a rule) as terminal text or Markdown. The JSON form is the model itself."""

from accountrules.render.markdown import determination_markdown
from accountrules.render.text import determination_text, rule_text, rules_table

__all__ = ["determination_markdown", "determination_text", "rule_text", "rules_table"]
