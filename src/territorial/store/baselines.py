"""The repository of each activation's and run's per-territory figures, which `drift` compares today's
with."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from territorial.store import tables
from territorial.store.repositories import Repository

Figure = tuple[str, str, float]  # territory_id, measure, value
ACTIVATION, RUN = "activation", "run"  # what kept the figures: kind, with the activation's or run's id


class Baselines(Repository):
    def save(self, kind: str, ref_id: int, figures: Sequence[Figure]) -> None:
        """Put `figures` in place of any stored for the activation or run."""
        connection = self._writing()
        table = tables.baseline_figures
        connection.execute(delete(table).where((table.c.kind == kind) & (table.c.ref_id == ref_id)))
        if figures:
            rows = [
                {"kind": kind, "ref_id": ref_id, "territory_id": t, "measure": m, "value": v}
                for t, m, v in figures
            ]
            connection.execute(insert(table), rows)

    def figures(self, kind: str, ref_id: int) -> list[Figure] | None:
        """The activation's or run's figures by territory and measure; None when none were stored (one
        made before they were kept)."""
        table = tables.baseline_figures
        query = (
            select(table.c.territory_id, table.c.measure, table.c.value)
            .where((table.c.kind == kind) & (table.c.ref_id == ref_id))
            .order_by(table.c.territory_id, table.c.measure)
        )
        found = [(r.territory_id, r.measure, float(r.value)) for r in self.connection.execute(query).all()]
        return found or None
