"""Errors are values with a status: one base class, domain errors as subclasses."""

from __future__ import annotations


class AppError(Exception):
    """An expected failure, rendered as the response envelope with `status`."""

    status: int = 400

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages: list[str] = list(messages) or [self.__class__.__doc__ or "error"]


class BusinessRuleError(AppError):
    """The request breaks a business rule."""

    status = 400


class NotAuthenticated(AppError):
    """Not logged in."""

    status = 401


class Forbidden(AppError):
    """Not allowed."""

    status = 403


class NotFound(AppError):
    """Not found."""

    status = 404

    def __init__(self, resource: str, ident: object | None = None) -> None:
        text = f"{resource} not found" if ident is None else f"{resource} {ident} not found"
        super().__init__(text)


class Conflict(AppError):
    """Conflicts with existing data."""

    status = 409


class PayloadTooLarge(AppError):
    """Request body too large."""

    status = 413


class InvalidInput(AppError):
    """Invalid input."""

    status = 422


class TooManyRequests(AppError):
    """Too many attempts."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    """Service unavailable."""

    status = 503

    def __init__(self, *messages: str, retry_after: int | None = None) -> None:
        super().__init__(*messages)
        self.retry_after = retry_after
