"""Scoring models: how likely an account or lead is to convert, and why."""
