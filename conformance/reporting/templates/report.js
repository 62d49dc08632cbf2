
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
