"""Territorial: sales territory management."""
