"""report.html: the one self-contained page a person reads (inline CSS, SVG and script only).

The page leads with the verdict, the gate and the certification state, then what failed, one line
each, then a picture per area, the requirement table (filtered and searched with the script; read
whole without it), known failures apart, and the run's facts. Every failure shows what was expected,
what came back (the request and the answer from ``evidence.ndjson``, credentials masked, bodies
pretty-printed and capped) and a curl command that sends the request again.

The document rendered is report.json, already redacted; the evidence lines are redacted at the
source. The helpers that present one exchange (``describe_exchange``, ``request_text``,
``response_text``, ``curl_command``, ``exchange_html``) also serve checks.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from conformance.reporting.exchanges import (
    BODY_SHOWN,
    EXCHANGES_PER_REQUIREMENT,
    clip,
    curl_command,
    describe_exchange,
    evidence_for,
    exchange_html,
    exchanges_of,
    reproduce_note,
    request_of_command,
    request_text,
    response_text,
    same_request,
    search_evidence,
)

__all__ = [
    "BODY_SHOWN",
    "curl_command",
    "describe_exchange",
    "evidence_for",
    "exchange_html",
    "exchanges_of",
    "render_html",
    "request_of_command",
    "request_text",
    "response_text",
    "same_request",
    "search_evidence",
]

#: characters of exchange text the whole page may hold, so a badly broken target still gives a small page
EXCHANGE_BUDGET = 350_000

STATUS_LABEL = {
    "pass": "passed",
    "fail": "failed",
    "known": "known failure",
    "warn": "warning",
    "skip": "not verified",
    "inconclusive": "inconclusive",
}
PROBLEMS = ("fail", "warn", "inconclusive", "known")
CHECK_LABEL = {
    "passed": "pass",
    "failed": "fail",
    "skipped": "skip",
    "inconclusive": "inconclusive",
    "error": "error",
}
_STYLE = """
:root{--pass:#1a7f37;--fail:#cf222e;--known:#0969da;--warn:#9a6700;--skip:#6e7781;--inconclusive:#8250df;--error:#bc4c00;--line:#d8dee4;--soft:#f6f8fa;--muted:#57606a}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:78rem;margin:0 auto;padding:1.25rem 1.25rem 4rem}
h1{font-size:1.05rem;font-weight:600;margin:0 0 .75rem;color:var(--muted)}
h2{font-size:1.2rem;margin:2.2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem}
a{color:#0969da}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,monospace;font-size:.86em}
.hero{border:1px solid var(--line);border-left:.55rem solid var(--c);border-radius:.5rem;padding:1rem 1.25rem;background:#fff}
.hero .line1{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem 1rem}
.verdict{font-size:1.9rem;font-weight:800;letter-spacing:.02em;color:var(--c)}
.hero p{margin:.35rem 0}
.lead{font-size:1.08rem}
.facts3{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.6rem 0 .2rem}
.facts3 div{background:var(--soft);border-radius:.35rem;padding:.3rem .7rem}
.facts3 b{display:block;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.counts{display:flex;flex-wrap:wrap;gap:.4rem;margin:.7rem 0 0;padding:0;list-style:none}
.counts li{border:1px solid var(--line);border-radius:1rem;padding:.1rem .65rem;font-size:.9rem}
.counts li b{color:var(--c)}
.chip{display:inline-block;min-width:5.2rem;text-align:center;font-size:.72rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#fff;background:var(--c);border-radius:.3rem;padding:.1rem .4rem;white-space:nowrap}
.c-pass{--c:var(--pass)}.c-fail{--c:var(--fail)}.c-known{--c:var(--known)}.c-warn{--c:var(--warn)}.c-skip{--c:var(--skip)}.c-inconclusive{--c:var(--inconclusive)}.c-error{--c:var(--error)}.c-incomplete{--c:var(--warn)}
ul.problems{list-style:none;padding:0;margin:.3rem 0}
ul.problems li{padding:.35rem 0;border-bottom:1px solid #eef1f4;display:flex;gap:.6rem;align-items:baseline}
ul.problems .what{flex:1;min-width:0}
ul.problems .said{color:var(--muted)}
.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;white-space:nowrap}
.muted,.small{color:var(--muted)}.small{font-size:.85rem}
.areas{display:grid;grid-template-columns:repeat(auto-fill,minmax(13.5rem,1fr));gap:.6rem}
.area{border:1px solid var(--line);border-radius:.45rem;padding:.5rem .7rem;text-decoration:none;color:inherit;display:block}
.area:hover{border-color:#8c959f}
.area b{font-size:.9rem}.area svg{display:block;margin:.35rem 0 .2rem}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;color:var(--muted);margin:.5rem 0 0}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:.15rem;background:var(--c);margin-right:.3rem;vertical-align:-.1rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem .8rem;align-items:end;background:var(--soft);border:1px solid var(--line);border-radius:.45rem;padding:.6rem .8rem;margin:.4rem 0 .6rem}
form.filters label{display:flex;flex-direction:column;font-size:.78rem;color:var(--muted);gap:.15rem}
form.filters select,form.filters input{font:inherit;font-size:.92rem;padding:.25rem .4rem;border:1px solid #afb8c1;border-radius:.3rem;background:#fff}
form.filters input[type=search]{min-width:16rem}
form.filters button{font:inherit;font-size:.88rem;padding:.28rem .7rem;border:1px solid #afb8c1;border-radius:.3rem;background:#fff;cursor:pointer}
#shown{font-size:.85rem;color:var(--muted);margin-left:auto}
table{border-collapse:collapse;width:100%}
.cols{display:grid;grid-template-columns:8.4rem 11.5rem 5rem minmax(0,1fr);gap:0 .6rem;align-items:baseline}
.reqs-head{position:sticky;top:0;background:#fff;z-index:1;font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line);padding:.4rem .5rem}
.area-head{background:var(--soft);font-weight:700;font-size:.85rem;letter-spacing:.04em;padding:.3rem .5rem;margin-top:.2rem}
div.req{border-bottom:1px solid #eef1f4;scroll-margin-top:2.4rem;overflow-wrap:anywhere}
div.req:target{box-shadow:inset .3rem 0 #d4a72c}
details>summary{cursor:pointer}
details.req>summary{list-style:none;padding:.4rem .5rem}
details.req>summary::-webkit-details-marker{display:none}
details.req>summary:hover{background:#f6f8fa}
details.req>summary .title::before{content:"▸";display:inline-block;width:1.1rem;color:var(--muted)}
details.req[open]>summary .title::before{content:"▾"}
details.req[open]>summary .title{font-weight:600}
details.req>.body{padding:.2rem .8rem .8rem 1.6rem}
.body{padding:.4rem 0 .6rem}
.check{display:grid;grid-template-columns:6rem 1fr auto;gap:.15rem .6rem;padding:.25rem 0;border-top:1px dashed #eef1f4;font-size:.92rem}
.check .nodeid{grid-column:2/4;font-size:.78rem}
.failure{border:1px solid #ffcecb;background:#fffafa;border-radius:.45rem;padding:.6rem .8rem;margin:.6rem 0}
.failure.known{border-color:#b6e3ff;background:#f6fbff}
.failure.warn{border-color:#f0d88a;background:#fffdf3}
.failure h4{margin:0 0 .3rem;font-size:.95rem}
dl.ev{display:grid;grid-template-columns:9rem 1fr;gap:.2rem .8rem;margin:.3rem 0}
dl.ev dt{color:var(--muted);font-size:.85rem}
dl.ev dd{margin:0;min-width:0}
pre{background:var(--soft);border:1px solid #eaeef2;border-radius:.35rem;padding:.5rem .6rem;margin:.25rem 0;overflow:auto;max-height:26rem;white-space:pre-wrap;overflow-wrap:anywhere}
pre.curl{background:#161b22;color:#e6edf3;border-color:#161b22}
.copy{float:right;font:inherit;font-size:.78rem;padding:.1rem .5rem;border:1px solid #afb8c1;border-radius:.3rem;background:#fff;cursor:pointer}
table.meta td{border-bottom:1px solid #eef1f4;padding:.3rem .5rem;vertical-align:top}
table.meta td:first-child{color:var(--muted);width:13rem;white-space:nowrap}
table.meta td.mono{overflow-wrap:anywhere}
.note{background:var(--soft);border-radius:.4rem;padding:.5rem .8rem}
@media print{form.filters{display:none}pre{max-height:none}}
"""

_SCRIPT = """
(function(){
  var form=document.getElementById('filters');if(!form)return;
  form.hidden=false;
  var rows=Array.prototype.slice.call(document.querySelectorAll('div.req'));
  var heads=Array.prototype.slice.call(document.querySelectorAll('div.area-head'));
  var shown=document.getElementById('shown');
  function keep(r){
    var s=form.elements.status.value,a=form.elements.area.value,l=form.elements.level.value;
    var q=form.elements.q.value.trim().toLowerCase(),d=r.dataset;
    if(s==='problems'){if(['fail','warn','inconclusive','known'].indexOf(d.status)<0)return false}
    else if(s!=='all'&&d.status!==s)return false;
    if(a!=='all'&&d.area!==a)return false;
    if(l!=='all'&&d.level!==l)return false;
    return !q||d.text.indexOf(q)>=0;
  }
  function apply(){
    var n=0,areas={};
    rows.forEach(function(r){var ok=keep(r);r.hidden=!ok;if(ok){n++;areas[r.dataset.area]=1}});
    heads.forEach(function(h){h.hidden=!areas[h.dataset.area]});
    shown.textContent=n+' of '+rows.length+' requirements shown';
  }
  form.addEventListener('input',apply);form.addEventListener('change',apply);
  form.addEventListener('submit',function(e){e.preventDefault()});
  form.addEventListener('reset',function(){setTimeout(apply,0)});
  function reveal(){
    var id=decodeURIComponent(location.hash.slice(1));if(!id)return;
    var el=document.getElementById(id);if(!el)return;
    var row=el.closest?el.closest('div.req'):null;
    if(row&&row.hidden){form.reset();apply()}
    for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS')p.open=true}
    if(row){var d=row.querySelector('details.req');if(d)d.open=true}
    el.scrollIntoView({block:'start'});
  }
  window.addEventListener('hashchange',reveal);
  document.querySelectorAll('[data-filter]').forEach(function(a){a.addEventListener('click',function(e){
    var f=a.dataset.filter.split('=');form.reset();form.elements[f[0]].value=f[1];apply();
  })});
  document.querySelectorAll('button.copy').forEach(function(b){b.hidden=false;b.addEventListener('click',function(){
    var text=b.parentElement.querySelector('pre').textContent;
    if(navigator.clipboard){navigator.clipboard.writeText(text).then(function(){b.textContent='copied'})}
  })});
  apply();reveal();
})();
"""


# ----------------------------------------------------------------------------- one exchange
def _chip(status: str, text: str | None = None) -> str:
    return f'<span class="chip c-{escape(status)}">{escape(text or STATUS_LABEL.get(status, status))}</span>'


def _anchor(rid: str) -> str:
    return "#" + quote(rid, safe="")


def _checks_link(checks_page: str | None, nodeid: str) -> str:
    if not checks_page:
        return f"<span class=mono>{escape(nodeid)}</span>"
    return f'<a class=mono href="{escape(checks_page)}#{quote(nodeid, safe="")}">{escape(nodeid)}</a>'


def _counted(requirement: Mapping[str, Any], report: Mapping[str, Any]) -> bool:
    return requirement.get("level") == "MUST" or bool(report.get("strict"))


def _verdict_sentence(report: Mapping[str, Any]) -> str:
    requirements = report.get("requirements", [])
    verdict = report.get("verdict")
    target = report.get("target", {}).get("base_url", "the target")
    if verdict == "pass":
        scope = "MUST and SHOULD" if report.get("strict") else "MUST"
        return f"{target} conforms: every {scope} requirement of the catalog passed with evidence."
    if verdict == "fail":
        failed = [r for r in requirements if r["status"] in ("fail", "known") or (r["status"] == "warn" and report.get("strict"))]
        must = sum(1 for r in failed if r.get("level") == "MUST")
        known = sum(1 for r in failed if r["status"] == "known")
        extra = ""
        if known:
            extra = f", {known} of them {'a known failure' if known == 1 else 'known failures'} the baseline accepts"
        unverified = report.get("must_not_verified", {}).get("count", 0)
        unseen = ""
        if unverified:
            unseen = f" {unverified} MUST requirement{' was' if unverified == 1 else 's were'} not verified."
        return (
            f"{target} does not conform: {len(failed)} requirement{'s' if len(failed) != 1 else ''} failed "
            f"({must} MUST){extra}.{unseen}"
        )
    unverified = report.get("must_not_verified", {})
    count = unverified.get("count", 0)
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(unverified.get("why", {}).items()))
    if count:
        return (
            f"Nothing failed, but {count} of the {unverified.get('of')} MUST requirements were not verified"
            f" ({why}): this run cannot say that {target} conforms."
        )
    return f"Nothing failed, but the run is incomplete: this run cannot say that {target} conforms."


def _certification(report: Mapping[str, Any]) -> str:
    if report.get("certification"):
        return "certified: a --certify run whose verdict is pass"
    if report.get("mode") == "certify":
        return "not certified: a --certify run whose verdict is not pass"
    return "not a certification: run without --certify"


def _gate(report: Mapping[str, Any]) -> str:
    if report.get("suite_errors"):
        return "fail (exit status 2: the suite itself failed in a check)"
    return "pass (exit status 0)" if report.get("gate") == "pass" else "fail (exit status 1)"


def _hero(report: Mapping[str, Any]) -> str:
    verdict = str(report.get("verdict", ""))
    summary = report.get("summary", {})
    names = {"passed": "pass", "failed": "fail", "known": "known", "warned": "warn", "skipped": "skip", "inconclusive": "inconclusive"}
    counts = "".join(
        f'<li class="c-{names.get(key, key)}"><a href="#requirements" data-filter="status={names.get(key, key)}" '
        f'style="color:inherit;text-decoration:none"><b>{value}</b> {escape(key)}</a></li>'
        for key, value in summary.items()
    )
    target = report.get("target", {})
    bundled = f" <span class=small>({escape(target['bundled'])})</span>" if target.get("bundled") else ""
    reasons = [*report.get("gate_reasons", [])]
    why = (
        "<p class=small>The gate failed because: " + "; ".join(escape(r) for r in reasons) + ".</p>" if reasons else ""
    )
    return f"""<section class="hero c-{escape(verdict)}" id=verdict>
<div class=line1><span class=verdict>{escape(verdict.upper())}</span><span class=lead>{escape(_verdict_sentence(report))}</span></div>
<div class=facts3>
<div><b>CI gate</b>{escape(_gate(report))}</div>
<div><b>Certification</b>{escape(_certification(report))}</div>
<div><b>Target</b><span class=mono>{escape(str(target.get('base_url', '')))}</span>{bundled}</div>
<div><b>Finished</b>{escape(str(report.get('finished_at', '')))}</div>
</div>
<ul class=counts>{counts}</ul>
{why}
<p class=small>MUST requirements decide the verdict; a failed SHOULD is a warning{" and, with --strict, counts as a MUST" if report.get("strict") else ""}.</p>
</section>"""


def _first_failure_sentence(
    requirement: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], base_url: str | None
) -> str:
    for failure in requirement.get("failures", []):
        _, entry = evidence_for(failure, evidence)
        if entry is not None:
            return describe_exchange(entry, base_url)
    for failure in requirement.get("failures", []):
        return str(failure.get("message", ""))
    for reason in requirement.get("reasons", []):
        return str(reason).split(": ", 1)[-1]
    return ""


def _what_failed(report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]]) -> str:
    base_url = report.get("target", {}).get("base_url")
    order = {"fail": 0, "inconclusive": 1, "warn": 2, "known": 3}
    problems = sorted(
        (r for r in report.get("requirements", []) if r["status"] in PROBLEMS),
        key=lambda r: (order[r["status"]], r.get("level") != "MUST"),
    )
    items = []
    for requirement in problems:
        said = _first_failure_sentence(requirement, evidence, base_url)
        more = len(requirement.get("failures", []))
        count = f" <span class=small>({more} failures)</span>" if more > 1 else ""
        items.append(
            f'<li>{_chip(requirement["status"])}<span class=what><a class=id href="{_anchor(requirement["id"])}">{escape(requirement["id"])}</a> '
            f'<b>{escape(requirement.get("level", ""))}</b> {escape(requirement.get("title", ""))}{count}'
            + (f" <span class=said>— {escape(clip(said, 220))}</span>" if said else "")
            + "</span></li>"
        )
    for entry in report.get("baseline", {}).get("stale", []):
        items.append(
            f'<li>{_chip("error", "stale entry")}<span class=what><a class=id href="{_anchor(entry["id"])}">{escape(entry["id"])}</a> '
            f"the baseline lists it as a known failure, but it now passes: remove the entry"
            + (f" (check {escape(entry['check'])})" if entry.get("check") else "")
            + "</span></li>"
        )
    for error in report.get("suite_errors", []):
        items.append(
            f'<li>{_chip("error", "suite error")}<span class=what><span class=mono>{escape(error.get("test", ""))}</span> '
            f"— {escape(clip(str(error.get('error', '')), 220))} (a fault of the suite, not of the target: see suite-errors.log)</span></li>"
        )
    if not items:
        if report.get("verdict") == "pass":
            body = "<p>Nothing failed: every requirement that ran passed.</p>"
        else:
            body = "<p>Nothing failed. The requirements without evidence are listed as <i>not verified</i> in the table below.</p>"
    else:
        body = f"<ul class=problems>{''.join(items)}</ul>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.get("notes", []))
    if notes:
        body += f"<h3>Notes on the run</h3><ul>{notes}</ul>"
    return f"<section id=what-failed><h2>What failed</h2>{body}</section>"


_SQUARE, _GAP, _PER_ROW = 14, 3, 12


def _area_svg(requirements: list[Mapping[str, Any]]) -> str:
    rows = (len(requirements) + _PER_ROW - 1) // _PER_ROW
    width = min(len(requirements), _PER_ROW) * (_SQUARE + _GAP)
    height = rows * (_SQUARE + _GAP)
    squares = []
    for index, requirement in enumerate(requirements):
        x = (index % _PER_ROW) * (_SQUARE + _GAP)
        y = (index // _PER_ROW) * (_SQUARE + _GAP)
        status = requirement["status"]
        label = f"{requirement['id']} ({requirement.get('level')}): {STATUS_LABEL.get(status, status)} — {requirement.get('title', '')}"
        mark = ""
        if status in ("fail", "warn"):
            mark = f'<path d="M{x + 4} {y + 4}l6 6m0-6l-6 6" stroke="#fff" stroke-width="1.6"/>'
        elif status == "inconclusive":
            mark = f'<circle cx="{x + 7}" cy="{y + 7}" r="2" fill="#fff"/>'
        squares.append(
            f'<g><title>{escape(label)}</title><rect x="{x}" y="{y}" width="{_SQUARE}" height="{_SQUARE}" rx="2" '
            f'fill="var(--{escape(status)})"/>{mark}</g>'
        )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{len(requirements)} requirements">{"".join(squares)}</svg>'
    )


def _areas(report: Mapping[str, Any]) -> str:
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    for requirement in report.get("requirements", []):
        by_area.setdefault(str(requirement.get("area")), []).append(requirement)
    cards = []
    for area, requirements in by_area.items():
        counts: dict[str, int] = {}
        for requirement in requirements:
            counts[requirement["status"]] = counts.get(requirement["status"], 0) + 1
        said = " · ".join(f"{n} {STATUS_LABEL[s]}" for s, n in counts.items() if s in STATUS_LABEL)
        cards.append(
            f'<a class=area href="#area-{escape(area)}" data-filter="area={escape(area)}"><b>{escape(area)}</b>'
            f"{_area_svg(requirements)}<span class=small>{escape(said)}</span></a>"
        )
    legend = "".join(f'<span class="c-{s}"><i></i>{escape(label)}</span>' for s, label in STATUS_LABEL.items())
    return (
        "<section id=areas><h2>By area</h2><div class=areas>" + "".join(cards) + "</div>"
        f"<div class=legend>{legend}<span>one square per requirement; ✕ failed, • inconclusive</span></div></section>"
    )


def _seconds(value: float) -> str:
    return "under 0.01 s" if value < 0.01 else f"{value:.2f} s"


def _check_rows(
    requirement: Mapping[str, Any], checks: Mapping[str, Mapping[str, Any]], checks_page: str | None
) -> str:
    failing = {f.get("test") for f in requirement.get("failures", [])}
    rows = []
    for nodeid in requirement.get("tests", []):
        check = checks.get(nodeid, {})
        outcome = CHECK_LABEL.get(str(check.get("outcome", "")), "")
        own = outcome
        if nodeid in failing:
            own = "fail" if requirement["status"] == "fail" else requirement["status"]
        elif outcome == "fail" or (
            outcome == "inconclusive" and check.get("inconclusive") and requirement["id"] not in check["inconclusive"]
        ):
            own = "pass"
        also = " <span class=small>(the check failed on another requirement)</span>" if own != outcome and outcome == "fail" else ""
        duration = check.get("duration_seconds")
        took = _seconds(duration) if isinstance(duration, int | float) else ""
        chip = _chip(own, {"pass": "pass", "skip": "skipped"}.get(own, own)) if own else ""
        rows.append(
            f"<div class=check><div>{chip}</div><div>{escape(str(check.get('obligation') or ''))}{also}</div>"
            f"<div class=small>{escape(took)}</div><div class=nodeid>{_checks_link(checks_page, nodeid)}</div></div>"
        )
    return "".join(rows)


class _Budget:
    """How much exchange text the page may still hold."""

    def __init__(self, chars: int):
        self.left = chars

    def take(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def _failure_block(
    requirement: Mapping[str, Any],
    index: int,
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
    budget: _Budget,
) -> str:
    status = requirement["status"]
    kind = {"known": "known", "warn": "warn"}.get(status, "")
    nodeid = str(failure.get("test", ""))
    obligation = checks.get(nodeid, {}).get("obligation")
    line, entry = evidence_for(failure, evidence)
    parts = [
        f'<div class="failure {kind}" id="{escape(requirement["id"])}-failure-{index}">',
        f"<h4>{'Warning' if status == 'warn' else 'Known failure' if status == 'known' else 'Failure'} {index}</h4>",
        "<dl class=ev>",
        f"<dt>Expected</dt><dd>{escape(requirement.get('title', ''))}"
        + (
            f"<div class=small>checked by: {escape(str(obligation))}</div>"
            if obligation and str(obligation).rstrip(".") != requirement.get("title", "").rstrip(".")
            else ""
        )
        + f"<div class=small>{_checks_link(checks_page, nodeid)}</div></dd>",
        f"<dt>The check found</dt><dd>{escape(clip(str(failure.get('message', '')), 400))}</dd>",
        "</dl>",
    ]
    shown = False
    if entry is not None:
        block = exchange_html(
            entry,
            line,
            insecure=bool(report.get("insecure")),
            base_url=report.get("target", {}).get("base_url"),
            report=report,
        )
        if budget.take(block):
            parts.append(block)
            shown = True
    if not shown:
        parts.append(_reproduce_only(requirement, failure, report, line, entry))
    parts.append("</div>")
    return "".join(parts)


def _reproduce_only(
    requirement: Mapping[str, Any],
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    line: int | None,
    entry: Mapping[str, Any] | None,
) -> str:
    """A failure's exchange named by its line, and its reproduce command, when the page shows no more."""
    parts = []
    if line:
        why = " (not shown here, to keep the page small)" if entry is not None else ""
        parts.append(f"<p class=small>The exchange is line {line} of evidence.ndjson{why}.</p>")
    request = request_of_command(failure.get("reproduce"))
    source: Mapping[str, Any] | None = entry
    if source is None and request is not None:
        source = {"request": request, "requirements": [requirement["id"]]}
    if source is not None:
        command = curl_command(source, bool(report.get("insecure")), line if source is entry else None)
        note = reproduce_note(source, report)
    elif failure.get("reproduce"):
        command, note = str(failure["reproduce"]), "Put the run's credentials in place of ***."
    else:
        return "".join(parts)
    parts.append(
        "<dl class=ev><dt>Reproduce</dt><dd><button type=button class=copy hidden>copy</button>"
        f"<pre class=curl>{escape(command)}</pre>" + (f"<div class=small>{escape(note)}</div>" if note else "") + "</dd></dl>"
    )
    return "".join(parts)


def _requirement_body(
    requirement: Mapping[str, Any],
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
    budget: _Budget,
) -> str:
    parts = []
    for entry in requirement.get("known", []):
        check = f" (check {escape(entry['check'])})" if entry.get("check") else ""
        parts.append(f"<p class=note><b>Known failure</b>{check}: {escape(str(entry.get('reason', '')))}</p>")
    for index, failure in enumerate(requirement.get("failures", []), start=1):
        if index > EXCHANGES_PER_REQUIREMENT:
            rest = requirement["failures"][index - 1 :]
            listed = "".join(f"<li>{escape(clip(str(f.get('message', '')), 200))}</li>" for f in rest[:10])
            parts.append(f"<p class=small>{len(rest)} more failures:</p><ul class=small>{listed}</ul>")
            break
        parts.append(_failure_block(requirement, index, failure, report, evidence, checks, checks_page, budget))
    reasons = requirement.get("reasons", [])
    if reasons:
        items = "".join(f"<li>{escape(str(r))}</li>" for r in reasons[:12])
        parts.append(f"<h3>Why it is {escape(STATUS_LABEL.get(requirement['status'], requirement['status']))}</h3><ul class=small>{items}</ul>")
    if requirement.get("tests"):
        took = requirement.get("duration_seconds")
        parts.append(
            f"<h3>Checks ({len(requirement['tests'])}"
            + (f", {_seconds(took)}" if isinstance(took, int | float) else "")
            + f")</h3>{_check_rows(requirement, checks, checks_page)}"
        )
    parts.append(f"<p class=small>Source: {escape(str(requirement.get('source', '')))}</p>")
    return "<div class=body>" + "".join(parts) + "</div>"


def _search_text(requirement: Mapping[str, Any], checks: Mapping[str, Mapping[str, Any]]) -> str:
    words = [requirement["id"], requirement.get("title", ""), requirement.get("status", ""), STATUS_LABEL.get(requirement["status"], "")]
    for nodeid in requirement.get("tests", []):
        words += [nodeid, str(checks.get(nodeid, {}).get("obligation") or "")]
    words += [str(f.get("message", ""))[:200] for f in requirement.get("failures", [])[:5]]
    return " ".join(words).lower()


def _filters(report: Mapping[str, Any]) -> str:
    requirements = report.get("requirements", [])
    counts: dict[str, int] = {}
    for requirement in requirements:
        counts[requirement["status"]] = counts.get(requirement["status"], 0) + 1
    problems = sum(counts.get(s, 0) for s in PROBLEMS)
    status = "".join(
        f'<option value="{s}">{escape(STATUS_LABEL[s])} ({counts[s]})</option>' for s in STATUS_LABEL if counts.get(s)
    )
    areas = list(dict.fromkeys(str(r.get("area")) for r in requirements))
    area = "".join(f'<option value="{escape(a)}">{escape(a)}</option>' for a in areas)
    return f"""<form id=filters class=filters hidden>
<label>Status<select name=status><option value=all>all</option><option value=problems>problems ({problems})</option>{status}</select></label>
<label>Area<select name=area><option value=all>all</option>{area}</select></label>
<label>Level<select name=level><option value=all>all</option><option value=MUST>MUST</option><option value=SHOULD>SHOULD</option></select></label>
<label>Search ID or text<input type=search name=q placeholder="e.g. RETRIEVE-001 or 404"></label>
<button type=reset>Show all</button><span id=shown></span>
</form>"""


def _table(
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
) -> str:
    budget = _Budget(EXCHANGE_BUDGET)
    bodies = []
    area = None
    for requirement in report.get("requirements", []):
        if requirement.get("area") != area:
            area = requirement.get("area")
            bodies.append(
                f'<div class=area-head data-area="{escape(str(area))}" id="area-{escape(str(area))}">{escape(str(area))}</div>'
            )
        rid = requirement["id"]
        status = requirement["status"]
        bodies.append(
            f'<div class=req id="{escape(rid)}" data-status="{escape(status)}" data-area="{escape(str(area))}" '
            f'data-level="{escape(requirement.get("level", ""))}" data-text="{escape(_search_text(requirement, checks))}">'
            f"<details class=req><summary class=cols><span>{_chip(status)}</span><span class=id>{escape(rid)}</span>"
            f"<span>{escape(requirement.get('level', ''))}</span><span class=title>{escape(requirement.get('title', ''))}</span>"
            f"</summary>{_requirement_body(requirement, report, evidence, checks, checks_page, budget)}</details></div>"
        )
    return (
        "<section id=requirements><h2>Requirements</h2>"
        "<p class=small>Each requirement opens to the checks that verify it; each failure shows what was expected, "
        "the request and the answer, and a command that sends the request again.</p>"
        + _filters(report)
        + "<div class=reqs><div class='reqs-head cols'><span>Status</span><span>ID</span><span>Level</span>"
        "<span>Requirement</span></div>"
        + "".join(bodies)
        + "</div></section>"
    )


def _known(report: Mapping[str, Any]) -> str:
    baseline = report.get("baseline") or {}
    known = [r for r in report.get("requirements", []) if r["status"] == "known" or r.get("known")]
    stale = baseline.get("stale", [])
    if not (known or stale or baseline.get("source")):
        return ""
    items = []
    for requirement in known:
        reasons = "; ".join(
            str(e.get("reason", "")) + (f" (check {e['check']})" if e.get("check") else "") for e in requirement.get("known", [])
        )
        state = "" if requirement["status"] == "known" else f" — but it is {STATUS_LABEL.get(requirement['status'])}: a failure the baseline does not cover"
        items.append(
            f'<li>{_chip(requirement["status"])}<span class=what><a class=id href="{_anchor(requirement["id"])}">{escape(requirement["id"])}</a> '
            f"{escape(requirement.get('title', ''))}<div class=small>accepted because: {escape(reasons)}{escape(state)}</div></span></li>"
        )
    for entry in stale:
        items.append(
            f'<li>{_chip("error", "stale entry")}<span class=what><a class=id href="{_anchor(entry["id"])}">{escape(entry["id"])}</a>'
            + (f" (check {escape(entry['check'])})" if entry.get("check") else "")
            + f" now passes, so this entry is stale and fails the gate: remove it from the baseline."
            f"<div class=small>its reason was: {escape(str(entry.get('reason', '')))}</div></span></li>"
        )
    if not items:
        items.append("<li>No failure of this run is in the baseline, and no entry is stale.</li>")
    source = escape(str(baseline.get("source") or "none"))
    return (
        "<section id=known><h2>Known failures</h2>"
        f"<p class=small>Baseline: <span class=mono>{source}</span>, {len(baseline.get('entries', []))} entries. "
        "A known failure still makes the verdict fail but does not fail the gate; a stale entry fails the gate.</p>"
        f"<ul class=problems>{''.join(items)}</ul></section>"
    )


def _facts(report: Mapping[str, Any], files: Mapping[str, str], checks_page: str | None) -> str:
    selection = report.get("selection", {})
    target = report.get("target", {})
    spec = report.get("spec", {})
    rows = [
        ("target", str(target.get("base_url", "")) + (f" ({target['bundled']})" if target.get("bundled") else "")),
        ("suite", f"{report.get('suite', {}).get('name', '')} {report.get('suite', {}).get('version', '')}"),
        ("fragment", f"{spec.get('path', '')} sha256 {spec.get('sha256', '')}"),
        ("catalog sha256", str(spec.get("catalog_sha256", ""))),
        ("tools", ", ".join(f"{k} {v}" for k, v in report.get("tools", {}).items())),
        ("seed", str(report.get("seed", ""))),
        ("max examples", str(report.get("max_examples", ""))),
        ("profile", str(report.get("profile", ""))),
        ("selection", (f"-k {selection['k']}" if selection.get("k") else "the whole catalog")
         + ("; TENANT checks ran (second account token given)" if selection.get("tenant") else "; TENANT checks could not run (no second account token)")),
        ("strict", "yes" if report.get("strict") else "no"),
        ("TLS", "not verified (--insecure)" if report.get("insecure") else "verified"),
        ("run id", str(report.get("run_id", "")) + " (tagged into every lead the run wrote)"),
        ("started", str(report.get("started_at", ""))),
        ("finished", str(report.get("finished_at", ""))),
        ("duration", f"{report.get('duration_seconds', '')} s, {report.get('tests', '')} checks"),
        ("evidence", f"{report.get('evidence', {}).get('exchanges', '')} exchanges in evidence.ndjson"),
    ]
    for name, digest in files.items():
        rows.append((f"{name} sha256", digest))
    body = "".join(
        f"<tr><td>{escape(k)}</td><td class=mono>{escape(v)}</td></tr>" for k, v in rows
    )
    checks = (
        f' Every check of the run, one row each, is in <a href="{escape(checks_page)}">{escape(checks_page)}</a>.'
        if checks_page
        else ""
    )
    return (
        "<section id=facts><h2>The run</h2>"
        f"<table class=meta>{body}</table>"
        "<p class=note>attestation.json, written after this page, records the sha256 digest of every file in this "
        "folder, this page included; <code>conformance verify &lt;folder&gt;</code> recomputes them and says which file "
        f"changed.{checks}</p></section>"
    )


def render_html(
    report: dict[str, Any],
    evidence: Mapping[int, dict[str, Any]] | None = None,
    *,
    files: Mapping[str, str] | None = None,
    checks_page: str | None = None,
) -> str:
    """The report.html text of a report.json document.

    ``evidence`` maps evidence.ndjson line numbers to their exchanges (at least the failures' ones),
    ``files`` names the sha256 of files the page vouches for (report.json, evidence.ndjson), and
    ``checks_page`` is the file name of the run's checks.html, when there is one.
    """
    evidence = evidence or {}
    checks = {str(c.get("test")): c for c in report.get("checks", []) if isinstance(c, Mapping)}
    verdict = str(report.get("verdict", ""))
    target = str(report.get("target", {}).get("base_url", ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(verdict.upper())} — Leads API conformance of {escape(target)}</title>
<style>{_STYLE}</style></head><body><main>
<h1>Merge CRM Leads API conformance report</h1>
{_hero(report)}
{_what_failed(report, evidence)}
{_areas(report)}
{_table(report, evidence, checks, checks_page)}
{_known(report)}
{_facts(report, files or {}, checks_page)}
</main><script>{_SCRIPT}</script></body></html>
"""
