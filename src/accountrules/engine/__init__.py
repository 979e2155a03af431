"""From validated facts to a determination: durable_rules matches, a generic resolver decides."""

from accountrules.engine.evaluate import Engine, coerce_case

__all__ = ["Engine", "coerce_case"]
