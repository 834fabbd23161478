"""Who may change the workspace: admins and planners everything; an integration only upserts
accounts and routes leads. Every writing use case asks here, whatever the face."""

from __future__ import annotations

from territorial.domain.entities import Entity
from territorial.errors import BadInput, NotAllowed
from territorial.services.context import Principal, Scope


def _refuse(principal: Principal, what: str, scope: Scope) -> BadInput:
    return NotAllowed.at(
        f"this {principal.role.value} may not {what} (it needs the {scope.value} scope, which admins "
        "and planners hold)",
        "Authorization",
        subject=scope.value,
    )


def may_write(principal: Principal, what: str) -> None:
    """Plans, imports, records, overrides and holds: admins' and planners' tokens with `write`."""
    if not principal.may(Scope.WRITE):
        raise _refuse(principal, what, Scope.WRITE)


def may_import(principal: Principal, entity: Entity) -> None:
    """Accounts take the `accounts:upsert` scope too, which a CRM integration holds."""
    if entity is Entity.ACCOUNTS and principal.may(Scope.UPSERT_ACCOUNTS):
        return
    may_write(principal, f"import or change {entity.value}")


def may_route(principal: Principal) -> None:
    if not principal.may(Scope.ROUTE_LEADS):
        raise _refuse(principal, "route leads", Scope.ROUTE_LEADS)


def may_plan(principal: Principal, what: str) -> None:
    """Planning reads that cover every account (checks, comparisons): admins and planners."""
    if not (principal.sees_everything and principal.may(Scope.READ)):
        raise NotAllowed.at(
            f"only admins and planners may {what}: it covers every account",
            "Authorization",
            subject=principal.role.value,
        )
