"""Routing: match a lead to an account, then to its territory and rep."""
