"""Rule files: schema, loading and compilation to the condition IR."""

from guard.rules.ir import All, Any_, Cmp, Condition
from guard.rules.loader import Rule, RuleSet, load_rules

__all__ = ["All", "Any_", "Cmp", "Condition", "Rule", "RuleSet", "load_rules"]
