"""report.html in a real browser (headless Chromium): the page a person opens after a run.

Chromium and its driver come from the system (Debian's ``chromium`` and ``chromium-driver``);
nothing is downloaded. Without them the tests are skipped with the reason, except under CI
(``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from conformance.reference import serve_in_thread
from tests._runs import run_cli, target_args
from tests.faults import all_faults

SELECTION = ["--max-examples", "3", "-k", "retrieve"]
FAULT = "retrieve-unknown-id-500"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _find_browser() -> tuple[str | None, str | None, str | None]:
    """The browser and driver paths, or why they cannot be had."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, None, "the selenium package is not installed"
    browser = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    driver = shutil.which("chromedriver") or next((path for path in DRIVERS if Path(path).is_file()), None)
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path]
    if missing:
        install = "Debian: apt-get install chromium chromium-driver"
        return None, None, f"{' and '.join(missing)} not found ({install})"
    return browser, driver, None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    browser_path, driver_path, missing = _find_browser()
    if missing:
        if _in_ci():
            pytest.fail(f"CI is set and there is no browser to test the report in: {missing}")
        pytest.skip(f"no browser to test the report in: {missing}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(browser_path)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
    ):
        options.add_argument(argument)
    # a driver path given to Service: Selenium Manager is not asked for (nor downloads) anything
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(driver_path)))
    driver.set_window_size(1280, 900)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Path:
    folder = tmp_path_factory.mktemp("passing")
    run = run_cli(["run", *SELECTION], folder)
    assert run.code == 0 and run.report is not None, run.stderr[-2000:]
    return folder


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Path:
    folder = tmp_path_factory.mktemp("failing")
    fault = next(f for f in all_faults() if f.name == FAULT)
    with serve_in_thread(fault.build()) as server:
        run = run_cli([*target_args(server.base_url), *SELECTION], folder)
    assert run.code == 1 and run.report is not None, run.stderr[-2000:]
    return folder


def _open(browser: Any, folder: Path, fragment: str = "") -> None:
    browser.get((folder / "report.html").as_uri() + fragment)


def _by(css: str) -> tuple[str, str]:
    return ("css selector", css)


def _in_view(browser: Any, element: Any) -> bool:
    return bool(
        browser.execute_script(
            "var r=arguments[0].getBoundingClientRect();"
            "return r.top>-4&&r.top<window.innerHeight&&r.height>0;",
            element,
        )
    )


@pytest.mark.parametrize(("run", "verdict"), [("passing", "INCOMPLETE"), ("failing", "FAIL")])
def test_the_verdict_is_visible_above_the_fold(browser, request, tmp_path, run, verdict):
    folder = request.getfixturevalue(run)
    _open(browser, folder)
    shown = browser.find_element(*_by("#verdict .verdict"))
    assert shown.text == verdict and shown.is_displayed()
    bottom = browser.execute_script("return arguments[0].getBoundingClientRect().bottom", shown)
    assert bottom < browser.execute_script("return window.innerHeight")
    gate = browser.find_element(*_by("#verdict .facts3")).text
    assert "CI GATE" in gate.upper() and "CERTIFICATION" in gate.upper()
    heading = browser.find_element(*_by("#what-failed h2"))
    assert _in_view(browser, heading)  # what failed starts on the first screen too
    browser.save_screenshot(str(tmp_path / f"{run}.png"))


def test_what_failed_links_to_the_right_rows(browser, failing, tmp_path):
    _open(browser, failing)
    links = browser.find_elements(*_by("#what-failed a.id"))
    names = [link.text for link in links]
    assert names == ["LEADS-RETRIEVE-001", "LEADS-RETRIEVE-003", "LEADS-HTTP-001"]
    for name in names:
        _open(browser, failing)
        browser.find_element(*_by(f'#what-failed a.id[href="#{name}"]')).click()
        assert unquote(browser.execute_script("return location.hash")) == "#" + name
        row = browser.find_element("id", name)
        assert row.get_attribute("data-status") == "fail" and row.is_displayed()
        assert row.find_element(*_by("details.req")).get_attribute("open") is not None
        assert _in_view(browser, row.find_element(*_by(".id")))
    browser.save_screenshot(str(tmp_path / "linked-row.png"))


def test_a_filter_hides_passing_rows_and_search_finds_by_id(browser, failing, tmp_path):
    from selenium.webdriver.support.ui import Select

    _open(browser, failing)
    rows = browser.find_elements(*_by("div.req"))
    passed = [row for row in rows if row.get_attribute("data-status") == "pass"]
    assert passed and all(row.is_displayed() for row in passed)
    Select(browser.find_element(*_by("#filters select[name=status]"))).select_by_value("fail")
    visible = [row.get_attribute("id") for row in rows if row.is_displayed()]
    assert visible == ["LEADS-RETRIEVE-001", "LEADS-RETRIEVE-003", "LEADS-HTTP-001"]
    assert not any(row.is_displayed() for row in passed)
    assert browser.find_element("id", "shown").text == f"3 of {len(rows)} requirements shown"
    browser.save_screenshot(str(tmp_path / "filtered.png"))
    browser.find_element(*_by("#filters button[type=reset]")).click()
    search = browser.find_element(*_by("#filters input[name=q]"))
    search.send_keys("retrieve-003")
    assert [row.get_attribute("id") for row in rows if row.is_displayed()] == ["LEADS-RETRIEVE-003"]
    Select(browser.find_element(*_by("#filters select[name=area]"))).select_by_value("AUTH")
    assert not any(row.is_displayed() for row in rows)


def test_a_failure_expands_to_its_request_answer_and_curl(browser, failing, tmp_path):
    _open(browser, failing)
    row = browser.find_element("id", "LEADS-RETRIEVE-003")
    failure = row.find_element(*_by(".failure"))
    assert not failure.is_displayed()
    row.find_element(*_by("summary")).click()
    assert failure.is_displayed()
    browser.execute_script("arguments[0].scrollIntoView({block:'start'})", failure)
    text = failure.text
    assert "Expected" in text and "A malformed lead id gets 404 or 400, never a 5xx" in text
    assert "The server answered 500 (Internal Server Error) to GET /crm/v1/leads/not-a-uuid" in text
    pres = failure.find_elements(*_by("pre"))
    request, answer, curl = (pre.text for pre in pres[:3])
    assert request.startswith("GET http://127.0.0.1:") and "/crm/v1/leads/not-a-uuid" in request
    assert "Authorization: Bearer ***" in request and "X-Account-Token: ***" in request
    assert answer.startswith("500 (Internal Server Error)") and '"detail": "Not found."' in answer
    assert curl.startswith("curl -i http://127.0.0.1:")
    assert '"Authorization: Bearer $CONFORMANCE_TOKEN"' in curl
    checks = row.find_elements(*_by(".check"))
    assert checks and "fail" in checks[0].text.lower() and " s" in checks[0].text
    browser.save_screenshot(str(tmp_path / "failure.png"))


def test_a_check_links_to_its_row_in_the_checks_page(browser, failing, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, failing, "#LEADS-RETRIEVE-003")
    link = browser.find_element(*_by('#LEADS-RETRIEVE-003 .failure a[href^="checks.html#"]'))
    nodeid = link.text
    link.click()
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")
    assert browser.current_url.split("#")[0].split("?")[0].endswith("/checks.html")
    row = WebDriverWait(browser, 10).until(lambda b: b.find_element("id", nodeid))
    assert row.tag_name == "tbody" and "LEADS-RETRIEVE-003" in row.text
    assert _in_view(browser, row)
    assert "curl -i" in row.text and "Bearer ***" in row.text
    environment = browser.find_element("id", "environment").text
    assert "Seed" in environment and "Run id" in environment and "Target base URL" in environment
    browser.save_screenshot(str(tmp_path / "checks.png"))


def test_the_page_reads_without_javascript(browser, failing, tmp_path):
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        _open(browser, failing)
        assert not browser.find_element("id", "filters").is_displayed()
        rows = browser.find_elements(*_by("div.req"))
        assert rows and all(row.is_displayed() for row in rows)
        row = browser.find_element("id", "LEADS-RETRIEVE-001")
        row.find_element(*_by("summary")).click()
        assert row.find_element(*_by(".failure pre.curl")).is_displayed()
        browser.save_screenshot(str(tmp_path / "no-script.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Path:
    """A whole run of the reference (every check, so every field is written and read)."""
    folder = tmp_path_factory.mktemp("whole")
    run = run_cli(["run", "--max-examples", "3"], folder)
    assert run.code == 0 and run.report is not None, run.stderr[-2000:]
    return folder


def test_the_field_support_table_shows_each_field_with_its_evidence(browser, whole, tmp_path):
    _open(browser, whole, "#field-support")
    table = browser.find_element("id", "field-table")
    assert table.is_displayed()
    heads = [cell.text.strip().lower() for cell in table.find_elements(*_by("thead th"))]
    assert heads[:4] == ["field", "summary", "accepted", "echoed"]
    row = browser.find_element(*_by('tr[data-field="last_name"]'))
    assert row.get_attribute("data-summary") == "supported"
    echoed = row.find_elements(*_by("td.fs"))[2]
    assert echoed.text.strip() == "supported" and "evidence lines" in echoed.get_attribute("title")
    assert _in_view(browser, browser.find_element(*_by("#field-support h2")))
    browser.save_screenshot(str(tmp_path / "field-support.png"))


def test_a_matrix_of_the_reference_and_two_variants_shows_field_by_target(browser, tmp_path):
    from tests._runs import CREDENTIALS
    from tests.variants import VARIANTS

    chosen = {v.name: v for v in VARIANTS}
    variants = [chosen["account-meta-post-enforced"], chosen["opaque-ids-open-enums"]]
    env = {"KEY": CREDENTIALS.api_key, "ACCOUNT": CREDENTIALS.account_tokens[0],
           "SECOND": CREDENTIALS.account_tokens[1]}
    with serve_in_thread(variants[0].build()) as one, serve_in_thread(variants[1].build()) as two:
        remote = "".join(
            f'\n[[target]]\nname = "{name}"\nbase_url = "{url}"\ntoken_env = "KEY"\n'
            'account_token_env = "ACCOUNT"\nsecond_account_token_env = "SECOND"\n'
            for name, url in (("account-meta", one.base_url), ("opaque-ids", two.base_url))
        )
        targets = tmp_path / "targets.toml"
        head = '[defaults]\nmax_examples = 3\nseed = 1\n\n[[target]]\nname = "reference"\n'
        targets.write_text(head + remote)
        done = run_cli(["matrix", str(targets), "--jobs", "2", "--report-dir", str(tmp_path / "out")],
                       tmp_path, env=env)
    assert (tmp_path / "out" / "matrix.html").exists(), done.stderr[-2000:]
    browser.get((tmp_path / "out" / "matrix.html").as_uri() + "#fields")
    table = browser.find_element("id", "field-matrix")
    assert table.is_displayed()
    heads = [cell.text.strip() for cell in table.find_elements(*_by("thead th"))]
    assert heads == ["field", "account-meta", "opaque-ids", "reference"]
    row = browser.find_element(*_by('tr[data-field="converted_date"]'))
    statuses = [cell.get_attribute("data-status") for cell in row.find_elements(*_by("td.fs"))]
    assert statuses[2] == "supported" and statuses[0] != "supported"  # account-meta does not offer it
    last_name = browser.find_element(*_by('tr[data-field="last_name"]'))
    cells = last_name.find_elements(*_by("td.fs"))
    assert {cell.get_attribute("data-status") for cell in cells} == {"supported"}
    browser.save_screenshot(str(tmp_path / "field-matrix.png"))
