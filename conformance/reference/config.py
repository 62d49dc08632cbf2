"""Settings of one reference server instance."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReferenceConfig"]


@dataclass(frozen=True)
class ReferenceConfig:
    """What the reference server accepts and how it answers.

    ``db_path`` ``None`` keeps the data in memory for the life of the app; a path keeps it
    in a SQLite file that survives restarts. ``max_page_size`` ``None`` and a
    ``meta_required_fields`` that differs from ``required_fields`` exist so that deliberately
    broken variants can be built from the same server.
    """

    api_key: str = "reference-api-key"
    account_tokens: tuple[str, ...] = ("reference-account-a", "reference-account-b")
    db_path: str | None = None
    seed: bool = True
    default_page_size: int = 30
    max_page_size: int | None = 100
    required_fields: tuple[str, ...] = ("last_name", "company")
    meta_required_fields: tuple[str, ...] | None = None

    @property
    def advertised_required_fields(self) -> tuple[str, ...]:
        """The required fields that ``/leads/meta/post`` names."""
        if self.meta_required_fields is None:
            return self.required_fields
        return self.meta_required_fields
