/** The report page's stylesheet (inlined with the page's nonce). Legacy is blue, the candidate orange. */
export const REPORT_STYLES = `
:root { --legacy: #2f6bd8; --candidate: #e0701f; --bad: #c62828; --warn: #b26a00; --good: #2e7d32; --ink: #1d2330; --muted: #5d6677; --line: #dde2ea; --bg: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header.top { display: flex; align-items: baseline; gap: 16px; padding: 12px 24px; background: #1d2330; color: #fff; }
header.top h1 { font-size: 18px; margin: 0; }
header.top #generated { color: #b8c0d0; font-size: 12px; flex: 1; }
header.top nav.periods a { color: #cfd6e4; margin-left: 10px; font-size: 13px; }
header.top .logout button { background: transparent; color: #fff; border: 1px solid #6d7890; border-radius: 4px; padding: 3px 10px; cursor: pointer; }
main { max-width: 1500px; margin: 0 auto; padding: 8px 24px 48px; }
section.route { margin-top: 18px; }
section.route > h2 { margin: 10px 0 2px; font-size: 22px; }
.headline { margin: 0 0 12px; font-size: 17px; color: var(--ink); }
.headline b.bad { color: var(--bad); } .headline b.warn { color: var(--warn); } .headline b.good { color: var(--good); }
.headline code { font-size: 15px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; margin-bottom: 12px; }
.tile { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; padding: 8px 10px; min-height: 64px; }
.tile-label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .03em; }
.tile-value { font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
.tile-sub { color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; }
.tile.good { border-left-color: var(--good); } .tile.warn { border-left-color: var(--warn); } .tile.bad { border-left-color: var(--bad); }
.tile.bad .tile-value { color: var(--bad); } .tile.good .tile-value { color: var(--good); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 10px; margin-bottom: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin-bottom: 10px; }
.card h3 { margin: 0 0 6px; font-size: 15px; }
.card h4 { margin: 10px 0 4px; font-size: 13px; }
.note { color: var(--muted); font-size: 12px; margin: 0 0 4px; }
.empty { color: var(--muted); }
.marks { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin-top: 4px; }
.mark i { display: inline-block; width: 12px; height: 3px; margin-right: 4px; vertical-align: middle; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.data th { background: #f0f2f6; font-weight: 600; white-space: nowrap; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable.desc::after { content: " ▼"; font-size: 10px; } th.sortable.asc::after { content: " ▲"; font-size: 10px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.good { color: var(--good); font-weight: 600; } td.warn { color: var(--warn); font-weight: 600; } td.bad { color: var(--bad); font-weight: 600; }
td.met { color: var(--bad); font-weight: 700; } td.not-met { color: var(--good); font-weight: 700; }
.bar-cell { display: inline-flex; align-items: center; gap: 6px; justify-content: flex-end; width: 100%; }
.bar { display: inline-block; height: 8px; background: var(--bad); border-radius: 2px; max-width: 120px; min-width: 1px; }
input.filter { margin: 0 0 6px; padding: 4px 8px; width: 260px; border: 1px solid var(--line); border-radius: 4px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f7; padding: 0 3px; border-radius: 3px; word-break: break-all; }
a.to-sample { font-size: 12px; }
details.sample { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 8px; }
details.sample > summary { cursor: pointer; }
.request { margin: 6px 0; }
.request-line .label { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin-right: 6px; }
.request-url { font-weight: 600; word-break: break-all; }
pre.request-body { font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; border: 1px solid var(--line); border-left: 3px solid #8a94a6; border-radius: 4px; padding: 6px; margin: 4px 0 0; max-height: 160px; overflow: auto; white-space: pre-wrap; word-break: break-all; }
ul.diffs { margin: 6px 0; padding-left: 18px; font-size: 12px; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.side-by-side h4.legacy { color: var(--legacy); } .side-by-side h4.candidate { color: var(--candidate); }
.body { font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #fafbfc; border: 1px solid var(--line); border-radius: 4px; padding: 6px; max-height: 420px; overflow: auto; white-space: pre; }
.body .ln.diff { background: #ffe1e1; box-shadow: inset 3px 0 0 var(--bad); font-weight: 700; }
.body .key { color: #6b3fa0; } .body .v.string { color: #1b7a3a; } .body .v.number { color: #1d4fb8; } .body .v.null, .body .v.boolean { color: #a0522d; }
.body pre.raw { margin: 0; white-space: pre-wrap; word-break: break-all; }
table.matrix { width: auto; } table.matrix td.agree { background: #e6f4ea; } table.matrix td.disagree { background: #ffe1e1; color: var(--bad); font-weight: 700; }
ol.timeline { list-style: none; padding: 0; margin: 0; }
ol.timeline li.ev { display: grid; grid-template-columns: 170px 130px 1fr; gap: 8px; padding: 4px 0; border-bottom: 1px solid var(--line); font-size: 13px; }
ol.timeline .when { color: var(--muted); font-variant-numeric: tabular-nums; }
ol.timeline .kind { border-left: 4px solid #555; padding-left: 6px; font-weight: 600; }
ul.evidence { grid-column: 3; margin: 2px 0 0; padding-left: 16px; font-size: 12px; color: var(--muted); }
ul.evidence li.bad { color: var(--bad); }
`;
