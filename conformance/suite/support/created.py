"""A lead the run created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from conformance.outcomes import Inconclusive

__all__ = ["Created"]


@dataclass
class Created:
    """A lead the run created: what was sent and the 201 body."""

    sent: dict[str, Any]
    response: httpx.Response
    body: dict[str, Any]
    #: the account it was created under (``primary`` or ``second``)
    account: str = "primary"

    @property
    def model(self) -> dict[str, Any]:
        model = self.body.get("model")
        return model if isinstance(model, dict) else {}

    @property
    def id(self) -> str:
        value = self.model.get("id")
        if not isinstance(value, str) or not value:
            raise Inconclusive("the created lead has no usable id, so this check cannot use it")
        return value
