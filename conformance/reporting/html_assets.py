"""report.html's inline style sheet and script (the page reads whole without the script)."""

#: one colour per status, for every page the suite writes (report.html, matrix.html)
STATUS_COLOURS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "known": "#0969da",
    "warn": "#9a6700",
    "skip": "#6e7781",
    "inconclusive": "#8250df",
    "error": "#bc4c00",
}
_VARIABLES = "".join(f"--{status}:{colour};" for status, colour in STATUS_COLOURS.items())

STYLE = (
    """
:root{"""
    + _VARIABLES
    + """--line:#d8dee4;--soft:#f6f8fa;--muted:#57606a}
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
.cause{border-left:3px solid var(--fail);padding-left:.7rem;margin:.7rem 0}
.cause>p{margin:.2rem 0}
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
)

SCRIPT = """
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
