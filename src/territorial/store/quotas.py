"""The repository of quotas saved per period, layer, territory and rep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, insert, select

from territorial.domain.quotas import SavedQuota
from territorial.store import tables
from territorial.store.repositories import Repository

FIELDS = ("period", "period_start", "period_end", "layer", "territory_id", "rep_id", "amount", "actor")


class Quotas(Repository):
    def save(self, quotas: Sequence[SavedQuota], saved_at: datetime) -> None:
        """Put `quotas` in place of those saved before for the same periods and layers."""
        connection = self._writing()
        table = tables.quotas
        for period, layer in sorted({(q.period, q.layer) for q in quotas}):
            connection.execute(delete(table).where((table.c.period == period) & (table.c.layer == layer)))
        if quotas:
            rows = [{**{f: getattr(q, f) for f in FIELDS}, "saved_at": saved_at} for q in quotas]
            connection.execute(insert(table), rows)

    def overlapping(self, start: date, end: date) -> list[SavedQuota]:
        """The saved quotas of periods that share a day with start … end, in period, layer, territory
        and rep order (a vacant territory's first)."""
        table = tables.quotas
        query = (
            select(*(table.c[f] for f in FIELDS))
            .where((table.c.period_start <= end) & (table.c.period_end >= start))
            .order_by(
                table.c.period_start, table.c.period, table.c.layer, table.c.territory_id, table.c.quota_id
            )
        )
        found = [SavedQuota(**row._mapping) for row in self.connection.execute(query).all()]
        return sorted(found, key=_order)


def _order(quota: SavedQuota) -> tuple[date, str, str, str, bool, str]:
    return (
        quota.period_start,
        quota.period,
        quota.layer,
        quota.territory_id,
        quota.rep_id is not None,
        quota.rep_id or "",
    )
