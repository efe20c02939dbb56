/** The element's stylesheet (inside its shadow root). */
export const STYLES = `
:host {
  --ok: #15803d; --ok-bg: #ecfdf3;
  --run: #1d4ed8; --run-bg: #eff4ff;
  --bad: #b91c1c; --bad-bg: #fef2f2;
  --warn: #a16207; --warn-bg: #fefce8;
  --muted: #64748b; --line: #d5dae3; --ink: #1d2330; --card: #ffffff; --page: #f6f7f9;
  --critical: #ea580c;
  display: block; color: var(--ink); background: var(--page);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
* { box-sizing: border-box; }
button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--line); background: var(--card);
  padding: 5px 12px; color: var(--ink); }
button:hover { border-color: #94a3b8; }
button:disabled { opacity: .5; cursor: default; }
button.primary { background: var(--ok); border-color: var(--ok); color: #fff; font-weight: 600; }
button.danger { color: var(--bad); border-color: #fca5a5; }
input, textarea { font: inherit; border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; width: 100%;
  background: #fff; color: var(--ink); }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; min-height: 110px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; background: #f1f4f8; border-radius: 6px;
  padding: 8px; max-height: 260px; overflow: auto; }
header { display: flex; align-items: center; gap: 14px; padding: 14px 20px; background: var(--card);
  border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0; font-weight: 650; flex: 1 1 320px; min-width: 0; }
header .meta { color: var(--muted); font-size: 13px; display: flex; gap: 12px; flex-wrap: wrap; }
.badge { display: inline-block; font-size: 12px; font-weight: 650; padding: 2px 10px; border-radius: 999px;
  text-transform: uppercase; letter-spacing: .03em; background: #e2e8f0; color: #334155; }
.badge.completed, .badge.done { background: var(--ok-bg); color: var(--ok); }
.badge.executing, .badge.running, .badge.planning, .badge.replanning { background: var(--run-bg); color: var(--run); }
.badge.failed, .badge.budget-exceeded, .badge.missing, .badge.lost { background: var(--bad-bg); color: var(--bad); }
.badge.cancelled, .badge.approving, .badge.cut { background: var(--warn-bg); color: var(--warn); }
.banner { margin: 12px 20px 0; padding: 10px 14px; border-radius: 8px; border: 1px solid var(--line);
  background: var(--card); display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.banner.error { border-color: #fca5a5; background: var(--bad-bg); color: #7f1d1d; }
.banner.warning { border-color: #fde68a; background: var(--warn-bg); color: #713f12; }
.banner.info { border-color: #bfdbfe; background: var(--run-bg); color: #1e3a8a; }
.banner .grow { flex: 1 1 auto; }
.approval { margin: 12px 20px 0; padding: 12px 14px; border-radius: 8px; border: 2px solid #f59e0b;
  background: #fffbeb; display: grid; gap: 8px; }
.approval .title { font-weight: 650; font-size: 15px; }
.approval .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.approval .row input { flex: 1 1 240px; width: auto; }
.approval .error { color: var(--bad); white-space: pre-wrap; }
.revisions { display: flex; gap: 8px; align-items: center; padding: 10px 20px 0; flex-wrap: wrap; }
.revisions .label { color: var(--muted); font-size: 13px; }
.revisions button.active { background: var(--ink); color: #fff; border-color: var(--ink); }
.diff { margin: 8px 20px 0; font-size: 13px; color: var(--muted); display: flex; gap: 14px; flex-wrap: wrap; }
.diff b { color: var(--ink); }
.diff .why { flex-basis: 100%; }
.diff .removed b { color: var(--bad); } .diff .added b { color: var(--ok); }
.body { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 14px; padding: 12px 20px 20px; align-items: start; }
@media (max-width: 900px) { .body { grid-template-columns: minmax(0, 1fr); } }
.graph { position: relative; overflow: auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  min-height: 220px; max-height: 76vh; }
.canvas { position: relative; }
.canvas svg { position: absolute; left: 0; top: 0; overflow: visible; pointer-events: none; }
.edge { fill: none; stroke: #b6bfcc; stroke-width: 1.5; }
.edge.critical { stroke: var(--critical); stroke-width: 2.75; }
.empty { padding: 40px; color: var(--muted); text-align: center; }
.node { position: absolute; border-radius: 9px; background: var(--card); border: 1.5px solid #cbd3df;
  border-left-width: 5px; padding: 6px 10px 6px 9px; cursor: pointer; display: grid; gap: 1px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, .06); overflow: hidden; }
.node:hover { box-shadow: 0 2px 8px rgba(15, 23, 42, .14); }
.node.selected { outline: 3px solid #6366f1; outline-offset: 2px; }
.node.critical { box-shadow: 0 0 0 2px var(--critical); }
.node .top { display: flex; gap: 6px; align-items: baseline; min-width: 0; }
.node .id { font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; flex: 1 1 auto; }
.node .kind { font-size: 11px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 55%; }
.node .desc { font-size: 12px; color: #475569; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.node .state { font-size: 12px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; display: flex; gap: 6px; }
.node .tag { font-size: 10.5px; font-weight: 700; padding: 0 6px; border-radius: 999px; text-transform: uppercase; }
.node .tag.added { background: var(--ok-bg); color: var(--ok); }
.node .tag.kept { background: #f1f5f9; color: var(--muted); }
.node .tag.removed { background: var(--bad-bg); color: var(--bad); }
.node .tag.edited { background: #ede9fe; color: #6d28d9; }
.node.pending { border-color: #cbd3df; border-style: dashed; border-left-style: solid; }
.node.pending .state { color: var(--muted); }
.node.running { border-color: var(--run); background: var(--run-bg); }
.node.running .state { color: var(--run); }
.node.running .state::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--run);
  align-self: center; animation: pulse 1s ease-in-out infinite; }
.node.done { border-color: var(--ok); }
.node.done .state { color: var(--ok); }
.node.failed { border-color: var(--bad); background: var(--bad-bg); }
.node.failed .state { color: var(--bad); }
.node.cancelled { border-color: var(--warn); background: var(--warn-bg); }
.node.cancelled .state { color: var(--warn); }
.node.skipped { border-color: #cbd5e1; background: repeating-linear-gradient(135deg, #fff, #fff 6px, #f1f5f9 6px, #f1f5f9 12px); }
.node.skipped .state { color: var(--muted); }
.node.gone { opacity: .55; }
@keyframes pulse { 50% { opacity: .25; } }
.legend { display: flex; gap: 12px; flex-wrap: wrap; padding: 8px 12px; font-size: 12px; color: var(--muted);
  border-top: 1px solid var(--line); position: sticky; left: 0; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 5px;
  vertical-align: -1px; border: 2px solid var(--c); }
.details { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px; display: grid; gap: 10px;
  max-height: 76vh; overflow: auto; }
.details h2 { margin: 0; font-size: 16px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.details .hint { color: var(--muted); }
.details dl { margin: 0; display: grid; grid-template-columns: 122px minmax(0, 1fr); gap: 4px 10px; font-size: 13px; }
.details dt { color: var(--muted); }
.details dd { margin: 0; min-width: 0; word-break: break-word; }
.details section { display: grid; gap: 4px; }
.details section > .label { font-size: 12px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.details .err { color: var(--bad); }
.details a { color: #4338ca; cursor: pointer; text-decoration: underline; }
.form { display: grid; gap: 8px; border-top: 1px dashed var(--line); padding-top: 10px; }
.form label { display: grid; gap: 3px; font-size: 12px; color: var(--muted); font-weight: 600; }
.form .deps { display: flex; flex-wrap: wrap; gap: 4px 12px; font-weight: 400; color: var(--ink); }
.form .deps label { display: flex; gap: 4px; align-items: center; font-weight: 400; color: var(--ink); font-size: 13px; }
.form .deps input { width: auto; }
.form .error { color: var(--bad); font-size: 13px; white-space: pre-wrap; }
.notices { margin: 12px 20px 0; display: grid; gap: 4px; font-size: 13px; }
.notices div { padding: 4px 10px; border-radius: 6px; }
.notices .warning { background: var(--warn-bg); color: #713f12; }
.notices .error { background: var(--bad-bg); color: #7f1d1d; }
.notices .info { background: #f1f5f9; color: #334155; }
.outcome { margin: 12px 20px 0; padding: 10px 14px; border-radius: 8px; background: var(--card); border: 1px solid var(--line); }
`;
