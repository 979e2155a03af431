"""Rule packs: YAML rules, their citations and the policy that resolves them, validated before use."""

from accountrules.rulepack.pack import RulePack, default_pack_path, load_default, load_pack
from accountrules.rulepack.policy import Policy
from accountrules.rulepack.spec import Pattern, Ref, Rule, Test

__all__ = ["Pattern", "Policy", "Ref", "Rule", "RulePack", "Test", "default_pack_path", "load_default", "load_pack"]
