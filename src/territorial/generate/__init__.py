"""Realistic sample data: US accounts on real ZIP codes and territory plans whose pools fit them."""

from territorial.generate.accounts import ACCOUNT_SCHEMA, generate_accounts
from territorial.generate.plan import generate_plan

__all__ = ["ACCOUNT_SCHEMA", "generate_accounts", "generate_plan"]
