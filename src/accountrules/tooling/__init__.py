"""Tooling above the engine: a pack's golden cases, its verification over the fact space, and explanations.

Each runs the engine of a pack; none of it is needed to evaluate a case.
"""
