"""Plain domain types: field types, territories, plans. No I/O."""
