"""`CurrentAdmin`: a signed-in administrator. For anyone else the route does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from arch_stats.admin import repository as repo
from arch_stats.auth.deps import Principal, current_archer
from arch_stats.core.errors import AppError


class NoSuchRoute(AppError):
    """The very answer of a path no route has (core.handlers): an administrator's route
    tells nobody else that it exists."""

    status = 404

    def __init__(self) -> None:
        super().__init__("no such route")


async def current_admin(
    principal: Annotated[Principal, Depends(current_archer)], request: Request
) -> Principal:
    # Asked of the database every time (administrators' requests are few): a revoked or
    # disabled administrator is refused at once, in every process.
    if not await repo.is_admin(request.app.state.pool, principal.archer_id):
        raise NoSuchRoute()
    return principal


CurrentAdmin = Annotated[Principal, Depends(current_admin)]
