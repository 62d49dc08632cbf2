"""The oracle judges every exchange against the contract and the ledger of what the run wrote.

Each test hands it exchanges as the guarded transport does (no server), and reads what it charged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.http.target import Exchange, Target
from conformance.outcomes import Unverified, Violation
from conformance.suite.oracle import RunModel

BASE = "http://vendor.example/api"
KEY, ACCOUNT_A, ACCOUNT_B = "key-1234567890", "account-a-123456", "account-b-123456"
LEADS = f"{BASE}/crm/v1/leads"


@pytest.fixture
def model() -> RunModel:
    target = Target(
        base_url=BASE, token=KEY, account_token=ACCOUNT_A, second_account_token=ACCOUNT_B, run_id="lc-run-1"
    )
    target.context = ("a.py::check", [])
    run = RunModel()
    run.attach(target)
    return run


class Sender:
    """Hands the oracle exchanges, numbering them as evidence lines."""

    def __init__(self, model: RunModel) -> None:
        assert model.oracle is not None
        self.oracle = model.oracle
        self.line = 0
        self.clock = 100.0

    def __call__(
        self,
        method: str,
        url: str,
        status: int,
        answer: Any = None,
        sent: Any = None,
        account: str = ACCOUNT_A,
        key: str | None = KEY,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> int:
        self.line += 1
        self.clock += 1
        sent_headers = {"X-Account-Token": account} if account else {}
        if key is not None:
            sent_headers["Authorization"] = f"Bearer {key}"
        if sent is not None:
            sent_headers["Content-Type"] = "application/json"
        sent_headers.update(headers or {})
        exchange = Exchange(
            method=method,
            url=url,
            headers=sent_headers,
            body=json.dumps(sent).encode() if sent is not None else b"",
            status=status,
            line=self.line,
            sent_at=self.clock,
            answered_at=self.clock + 0.5,
            content_type=content_type,
        )
        self.oracle(exchange, json.dumps(answer).encode() if answer is not None else b"")
        return self.line


def lead(ident: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "remote_id": f"r-{ident}",
        "created_at": "2026-01-01T10:00:00Z",
        "modified_at": "2026-01-01T10:00:00Z",
        "owner": None,
        "converted_contact": None,
        "converted_account": None,
        "remote_data": None,
        "addresses": [],
        "email_addresses": [],
        "phone_numbers": [],
        **fields,
    }


def created(ident: str, **fields: Any) -> dict[str, Any]:
    return {"model": lead(ident, **fields), "warnings": [], "errors": []}


def page(*leads: dict[str, Any], nxt: str | None = None, previous: str | None = None) -> dict[str, Any]:
    return {"next": nxt, "previous": previous, "results": list(leads)}


def charged(model: RunModel, requirement: str) -> list[str]:
    assert model.oracle is not None
    return [finding.message for finding in model.oracle.verdicts.findings.get(requirement, [])]


def test_a_read_that_shows_other_values_than_were_written_is_charged(model):
    send = Sender(model)
    send("POST", LEADS, 201, created("L1", first_name="  Ada  "), {"model": {"first_name": "  Ada  "}})
    assert charged(model, "LEADS-CREATE-002") == []
    send("GET", f"{LEADS}?page_size=5", 200, page(lead("L1", first_name="Ada")))
    send("GET", f"{LEADS}/L1", 200, lead("L1", first_name="Ada"))
    assert "first_name" in charged(model, "LEADS-CREATE-008")[0]
    assert "first_name" in charged(model, "LEADS-CREATE-007")[0]


def test_an_echo_that_trims_is_charged_and_a_phone_in_another_form_only_warns(model):
    send = Sender(model)
    phones = [{"phone_number": "+1 415-555-0132", "phone_number_type": "Work"}]
    send(
        "POST",
        LEADS,
        201,
        created(
            "L1", last_name="x", phone_numbers=[{"phone_number": "+14155550132", "phone_number_type": "Work"}]
        ),
        {"model": {"last_name": " x ", "phone_numbers": phones}},
    )
    assert "last_name" in charged(model, "LEADS-CREATE-002")[0]
    assert "same number" in charged(model, "LEADS-CREATE-011")[0]


def test_a_lead_of_one_account_in_the_other_accounts_list_is_charged(model):
    send = Sender(model)
    send("POST", LEADS, 201, created("A1"), {"model": {}})
    send("POST", LEADS, 201, created("B1"), {"model": {}}, account=ACCOUNT_B)
    send("GET", LEADS, 200, page(lead("B1"), lead("A1")), account=ACCOUNT_B)
    send("GET", f"{LEADS}/B1", 200, lead("B1"), account=ACCOUNT_A)
    assert "A1" in charged(model, "LEADS-TENANT-002")[0]
    assert "B1" in charged(model, "LEADS-TENANT-003")[0]


def test_every_lead_of_every_page_must_satisfy_the_filters(model):
    send = Sender(model)
    send("GET", f"{LEADS}?remote_id=r-L1&cursor=c2", 200, page(lead("L2")))
    send("GET", f"{LEADS}?created_after=2026-01-01T15:00:00%2B05:30", 200, page(lead("L3")))
    send("GET", f"{LEADS}?created_after=2026-01-01T10:00:00Z", 200, page(lead("L4")))
    assert "reached by next" in charged(model, "LEADS-FILTER-003")[0]
    assert len(charged(model, "LEADS-FILTER-001")) == 1  # 15:00+05:30 is 09:30Z: L3 is after it
    assert "the bound itself" in charged(model, "LEADS-FILTER-001")[0]


def test_a_walk_that_ended_repeats_no_item_and_holds_every_lead_written_before_it(model):
    send = Sender(model)
    send("POST", LEADS, 201, created("L1"), {"model": {}})
    send("GET", f"{LEADS}?page_size=1", 200, page(lead("L0"), nxt="c1"))
    send("GET", f"{LEADS}?page_size=1&cursor=c1", 200, page(lead("L0"), previous="c0"))
    assert "more than once" in charged(model, "LEADS-PAGE-004")[0]
    send("GET", f"{LEADS}?page_size=100", 200, page(lead("L9")))
    assert "L1" in charged(model, "LEADS-CREATE-008")[0]


def test_page_size_bounds_every_page_and_a_first_page_has_no_previous(model):
    send = Sender(model)
    send("GET", f"{LEADS}?page_size=1", 200, page(lead("L1"), lead("L2"), previous="x"))
    assert charged(model, "LEADS-PAGE-002") and charged(model, "LEADS-PAGE-005")


def test_credentials_that_differ_from_valid_ones_must_get_401_with_a_detail(model):
    send = Sender(model)
    send("GET", LEADS, 200, page(), key=KEY + "x")
    send("GET", LEADS, 401, {"error": "no"}, account=ACCOUNT_A[:-1])
    send("GET", LEADS, 401, {"detail": "no"}, key=None)
    assert "API key" in charged(model, "LEADS-AUTH-002")[0]
    assert charged(model, "LEADS-AUTH-006") and not charged(model, "LEADS-AUTH-004")
    assert model.oracle is not None and model.oracle.verdicts.judged["LEADS-AUTH-001"] == 1


def test_a_refused_write_whose_tag_shows_up_later_was_stored(model):
    send = Sender(model)
    send(
        "POST",
        LEADS,
        400,
        {"errors": [{"problem_type": "INCORRECT_FIELD_TYPE"}]},
        {"model": {"last_name": "x lc-run-1-bad7", "company": 5}},
    )
    send("GET", LEADS, 200, page(lead("L5", last_name="x lc-run-1-bad7")))
    assert "lc-run-1-bad7" in charged(model, "LEADS-ENVELOPE-007")[0]


def test_relations_and_remote_data_follow_their_parameters(model):
    send = Sender(model)
    send("GET", LEADS, 200, page(lead("L1", owner={"id": "u1"})))
    send("GET", f"{LEADS}?include_remote_data=false", 200, page(lead("L2", remote_data=[{"path": "/x"}])))
    send("GET", f"{LEADS}?expand=owner&cursor=c9", 200, page(lead("L3", owner="u1")))
    assert charged(model, "LEADS-EXPAND-001") and charged(model, "LEADS-EXPAND-003")
    assert charged(model, "LEADS-EXPAND-002")


def test_a_json_body_under_another_media_type_is_charged_and_a_server_error_always(model):
    send = Sender(model)
    send("GET", LEADS, 200, page(), content_type="text/html")
    send("GET", f"{LEADS}/x", 503, {"detail": "down"})
    assert charged(model, "LEADS-HTTP-003") and charged(model, "LEADS-HTTP-001")


def test_an_unknown_uuid_of_any_version_is_404_not_400(model):
    send = Sender(model)
    send("GET", f"{LEADS}/6ba7b810-9dad-11d1-80b4-00c04fd430c8", 400, {"detail": "bad"})
    assert "v1" in charged(model, "LEADS-RETRIEVE-001")[0]


def test_server_owned_fields_sent_inside_model_are_never_applied(model):
    send = Sender(model)
    send("POST", LEADS, 201, created("L1", remote_id="mine"), {"model": {"remote_id": "mine", "age": 1}})
    assert "remote_id" in charged(model, "LEADS-CREATE-012")[0]
    assert {"'remote_id'", "'age'"} <= {
        message.rsplit(" ", 1)[-1] for message in charged(model, "LEADS-ENVELOPE-002")
    }


def test_a_check_concludes_what_the_oracle_saw_on_its_own_exchanges(model):
    send = Sender(model)
    send("GET", f"{LEADS}?page_size=1", 200, page(lead("L1"), lead("L2")))
    with pytest.raises(Violation) as raised:
        model.conclude("a.py::check", ["LEADS-PAGE-002"])
    assert raised.value.exchange == 1
    with pytest.raises(Unverified) as unverified:
        model.conclude("a.py::check", ["LEADS-EXPAND-001", "LEADS-FILTER-004"])
    assert unverified.value.requirements == ("LEADS-FILTER-004",)
    assert model.coverage.covered("LEADS-PAGE-002")["values"] == {"within"}
