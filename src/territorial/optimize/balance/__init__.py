"""Balancing territories, stage by stage (see solve.py for the order)."""

from territorial.optimize.balance.problem import Alignment, BalanceProblem, SearchClock
from territorial.optimize.balance.solve import balance

__all__ = ["Alignment", "BalanceProblem", "SearchClock", "balance"]
