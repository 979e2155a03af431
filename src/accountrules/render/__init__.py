"""Views: every report is a pydantic model, shown as text (rich), Markdown, HTML or JSON by the functions that
`accountrules.render.views.VIEWS` names for it."""

from accountrules.render.views import VIEWS, Format, formats, view

__all__ = ["VIEWS", "Format", "formats", "view"]
