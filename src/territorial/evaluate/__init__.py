"""Continuous evaluation: KPIs, balance and fairness of a chosen assignment, on frames; no I/O."""
