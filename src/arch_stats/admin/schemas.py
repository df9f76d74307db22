"""Request and response bodies of the administrator's API and of the password reset."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from arch_stats.auth.schemas import Password


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountQuery(Strict):
    q: str | None = Field(
        default=None, max_length=100, description="Part of the e-mail address or of the name."
    )
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class AccountOut(Strict):
    """What an administrator sees of an account: who, since when, whether it works — and how
    many sessions it holds, never what is in them."""

    id: UUID
    email: str
    name: str
    created_at: datetime
    last_sign_in_at: datetime | None = Field(description="When a login token was last made.")
    disabled_at: datetime | None
    is_admin: bool
    sessions: int = Field(description="How many sessions the account holds.")
    open_sessions: int = Field(description="How many of them are open.")


class AccountPage(Strict):
    items: list[AccountOut]
    total: int = Field(description="Accounts matching `q`, on every page.")
    limit: int
    offset: int


class AccountChanged(AccountOut):
    revoked_tokens: int = Field(
        default=0, description="Tokens (sign-ins and device tokens) revoked by disabling it."
    )


class ResetLinkOut(Strict):
    archer_id: UUID
    url: str = Field(description="Works once, until `expires_at`; shown once, stored hashed.")
    expires_at: datetime


class PasswordResetIn(Strict):
    token: str = Field(min_length=1, max_length=200, description="The secret of the link.")
    new_password: str = Password


class PasswordResetDone(Strict):
    signed_out: int = Field(description="Tokens of the account revoked (every one).")
    message: str
