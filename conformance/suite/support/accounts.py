"""The run's two linked accounts, as the checks name them and reach them."""

from __future__ import annotations

import httpx
import pytest

from conformance.suite.support.meta import MetaPost

__all__ = ["ACCOUNTS", "account_client", "account_meta"]

#: a check that holds under every linked account runs once per account: the first (``primary``), and
#: the second (which skips without ``--second-account-token``)
ACCOUNTS = [pytest.param("primary", id="account-a"), pytest.param("second", id="account-b")]


def account_client(request: pytest.FixtureRequest, account: str) -> httpx.Client:
    """The client of an account (the second one skips without its token)."""
    return request.getfixturevalue("client" if account == "primary" else "second_client")


def account_meta(request: pytest.FixtureRequest, account: str) -> MetaPost:
    """The meta/post the account's own writes are built from."""
    return request.getfixturevalue("meta_post" if account == "primary" else "second_meta_post")
