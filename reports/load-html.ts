import { join } from 'node:path';
import { writeFileAtomic } from './_internals/atomic-write.ts';
import { escapeHtml as esc } from './_internals/escape.ts';
import { REPORT_CSS } from './_internals/report-css.ts';

/** File name of a load run's HTML report. */
export const LOAD_HTML_FILE = 'report.html';

/**
 * The part of a load run's summary (`metrics.load`, docs/load.md) the page reads. The page
 * draws its charts in the browser from this object, embedded in the file (the report) or
 * streamed over server-sent events (the live dashboard): one view, two sources.
 */
export interface LoadReportData {
  plan: { name: string; describe: string; devices: number; seed: string };
  verdict?: { kind: string; text: string };
  timeline: ReadonlyArray<{ t: number; target: number | null; started: number; completed: number; errors: number; p50: Record<string, number | undefined>; p99: Record<string, number | undefined>; generatorCpu: number; lagMaxMs: number }>;
  routes?: ReadonlyArray<{ route: string; count: number; p50: number; p90: number; p99: number; p999: number; max: number }>;
  errors?: { rate: number; byOutcome: Record<string, number> };
  database?: { reachable: boolean; growth?: ReadonlyArray<{ table: string; tableBytes: number; indexBytes: number }>; bytesPerRecord?: number; bytesPerSimulatedDay?: number; reason?: string };
  findMax?: { steps: ReadonlyArray<{ targetSyncsPerSecond: number; p99Ms: number; errorRate: number; pass: boolean }>; fleet: { text: string } };
  generator?: { cpuMicrosPerUpload: number; cpuCores: number; saturated: boolean };

}

/**
 * The load report page. `live`: the dashboard's page, which starts from `data` and
 * follows `/events` (server-sent events: `window` points, then the final `summary`).
 * Otherwise the exported report: the same page with the whole summary embedded and no
 * network use. Pure.
 */
export function renderLoadHtml(data: LoadReportData, options: { live?: boolean } = {}): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fleetbed load: ${esc(data.plan.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${REPORT_CSS}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
figure{margin:0}svg.chart{width:100%;height:auto;background:var(--bg,#fff)}svg .axis{stroke:#999;stroke-width:1}svg text{font:11px sans-serif;fill:#555}
svg.chart path.line{fill:none;stroke-width:1.8}svg.chart .line.s0{stroke:#2563eb}svg.chart .line.s1{stroke:#dc2626}svg.chart .line.s2{stroke:#16a34a}svg.chart .line.s3{stroke:#9333ea}
.legend span{margin-right:12px;font-size:12px}.k0{color:#2563eb}.k1{color:#dc2626}.k2{color:#16a34a}.k3{color:#9333ea}</style></head>
<body data-live="${options.live ? '1' : '0'}"><main>
<h1>fleetbed load: ${esc(data.plan.name)}</h1>
<p id="describe">${esc(data.plan.describe)} · ${esc(data.plan.devices)} devices · seed ${esc(data.plan.seed)}</p>
<p id="verdict" data-kind="${esc(data.verdict?.kind ?? 'running')}">${esc(data.verdict?.text ?? 'running…')}</p>
<section class="charts">
<figure><figcaption>Target vs achieved rate (syncs/s)</figcaption><div data-chart="rate"></div></figure>
<figure><figcaption>Latency from the intended send time (ms)</figcaption><div data-chart="latency"></div></figure>
<figure><figcaption>Saturation: rate → p99 (ms) and error rate (%)</figcaption><div data-chart="saturation"></div></figure>
<figure><figcaption>Generator health: CPU (% of a core) and start lag (ms)</figcaption><div data-chart="generator"></div></figure>
</section>
<section><h2>Latency per route (ms)</h2><table id="routes"></table></section>
<section><h2>Errors</h2><table id="errors"></table></section>
<section><h2>Database growth</h2><table id="database"></table></section>
<section id="findmax"></section>
</main>
<script type="application/json" id="load-data">${json}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

/** Writes `<dir>/report.html` atomically. Returns its path. */
export async function writeLoadHtml(dir: string, data: LoadReportData): Promise<string> {
  const path = join(dir, LOAD_HTML_FILE);
  await writeFileAtomic(path, renderLoadHtml(data));
  return path;
}

// Runs in the page. Plain ES2020, no libraries: draws SVG line charts from the data object.
const PAGE_SCRIPT = String.raw`
(function(){
var data=JSON.parse(document.getElementById('load-data').textContent);
var NS='http://www.w3.org/2000/svg';
function el(tag,attrs,text){var e=document.createElementNS(NS,tag);for(var k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;return e;}
function chart(name,xs,series,xLabel){
  var host=document.querySelector('[data-chart="'+name+'"]');host.innerHTML='';
  var W=560,H=220,L=54,R=16,T=14,B=36,pw=W-L-R,ph=H-T-B;
  var svg=el('svg',{viewBox:'0 0 '+W+' '+H,'class':'chart',role:'img','aria-label':name});
  var xmax=Math.max.apply(null,xs.concat([1])),xmin=Math.min.apply(null,xs.concat([0]));
  var ymax=0;series.forEach(function(s){s.ys.forEach(function(y){if(y!=null&&y>ymax)ymax=y;});});if(!(ymax>0))ymax=1;
  svg.appendChild(el('line',{x1:L,y1:T+ph,x2:L+pw,y2:T+ph,'class':'axis'}));svg.appendChild(el('line',{x1:L,y1:T,x2:L,y2:T+ph,'class':'axis'}));
  for(var i=0;i<=4;i++){var v=ymax*i/4,y=T+ph-ph*i/4;svg.appendChild(el('text',{x:L-4,y:y+4,'text-anchor':'end'},v>=100?Math.round(v):+v.toPrecision(2)));}
  svg.appendChild(el('text',{x:L+pw,y:H-6,'text-anchor':'end'},xLabel+' (max '+xmax+')'));
  var legend=document.createElement('div');legend.className='legend';
  series.forEach(function(s,k){
    var d='',pen=false,n=0;
    xs.forEach(function(x,j){var y=s.ys[j];if(y==null){pen=false;return;}var px=L+pw*(x-xmin)/Math.max(1e-9,xmax-xmin),py=T+ph-ph*y/ymax;d+=(pen?'L':'M')+px.toFixed(1)+' '+py.toFixed(1);pen=true;n++;});
    var p=el('path',{d:d||'M0 0','class':'line s'+k,'data-series':s.name,'data-points':n});svg.appendChild(p);
    var sp=document.createElement('span');sp.className='k'+k;sp.textContent='— '+s.name;legend.appendChild(sp);
  });
  host.appendChild(svg);host.appendChild(legend);
}
function table(id,head,rows){var t=document.getElementById(id);t.innerHTML='';var tr=document.createElement('tr');head.forEach(function(h){var th=document.createElement('th');th.textContent=h;tr.appendChild(th);});t.appendChild(tr);rows.forEach(function(r){var tr=document.createElement('tr');r.forEach(function(c){var td=document.createElement('td');td.textContent=c;tr.appendChild(td);});t.appendChild(tr);});}
function render(){
  var tl=data.timeline||[];var xs=tl.map(function(p){return p.t;});
  chart('rate',xs,[{name:'target',ys:tl.map(function(p){return p.target;})},{name:'started',ys:tl.map(function(p){return p.started;})},{name:'completed',ys:tl.map(function(p){return p.completed;})},{name:'errors',ys:tl.map(function(p){return p.errors;})}],'seconds');
  chart('latency',xs,[{name:'upload p99',ys:tl.map(function(p){return p.p99.upload==null?null:p.p99.upload;})},{name:'upload p50',ys:tl.map(function(p){return p.p50.upload==null?null:p.p50.upload;})},{name:'token p99',ys:tl.map(function(p){return p.p99.token==null?null:p.p99.token;})}],'seconds');
  var steps=(data.findMax&&data.findMax.steps||[]).slice().sort(function(a,b){return a.targetSyncsPerSecond-b.targetSyncsPerSecond;});
  if(steps.length)chart('saturation',steps.map(function(s){return s.targetSyncsPerSecond;}),[{name:'p99 ms',ys:steps.map(function(s){return s.p99Ms;})},{name:'errors %',ys:steps.map(function(s){return s.errorRate*100;})}],'syncs/s');
  else{var pts=tl.filter(function(p){return p.p99.upload!=null;}).slice().sort(function(a,b){return a.completed-b.completed;});chart('saturation',pts.map(function(p){return p.completed;}),[{name:'p99 ms',ys:pts.map(function(p){return p.p99.upload;})},{name:'errors %',ys:pts.map(function(p){return p.started?100*p.errors/Math.max(1,p.started):0;})}],'completed syncs/s');}
  chart('generator',xs,[{name:'CPU %',ys:tl.map(function(p){return p.generatorCpu*100;})},{name:'lag ms',ys:tl.map(function(p){return p.lagMaxMs;})}],'seconds');
  table('routes',['route','count','p50','p90','p99','p99.9','max'],(data.routes||[]).map(function(r){return [r.route,r.count,r.p50,r.p90,r.p99,r.p999,r.max];}));
  var e=data.errors||{rate:0,byOutcome:{}};table('errors',['outcome','requests'],Object.keys(e.byOutcome).map(function(k){return [k,e.byOutcome[k]];}));
  var db=data.database;table('database',['table','table bytes','index bytes'],db&&db.reachable?(db.growth||[]).map(function(g){return [g.table,g.tableBytes,g.indexBytes];}).concat([['per record',db.bytesPerRecord,''],['per simulated day',db.bytesPerSimulatedDay,'']]):[[db?db.reason:'measured at the end','','']]);
  document.getElementById('findmax').textContent=data.findMax?data.findMax.fleet.text:'';
  if(data.verdict){var v=document.getElementById('verdict');v.textContent=data.verdict.text;v.setAttribute('data-kind',data.verdict.kind);}
  document.body.setAttribute('data-points',String(tl.length));
}
render();
if(document.body.getAttribute('data-live')==='1'&&window.EventSource){
  var es=new EventSource('/events');
  es.addEventListener('window',function(ev){data.timeline.push(JSON.parse(ev.data));render();});
  es.addEventListener('phase',function(ev){var p=JSON.parse(ev.data);document.getElementById('verdict').textContent=p.name+': '+p.detail;});
  es.addEventListener('summary',function(ev){data=JSON.parse(ev.data);render();es.close();});
}
})();
`;
