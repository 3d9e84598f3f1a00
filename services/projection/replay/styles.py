"""The replay document's stylesheet: screen and A4-landscape print, no external assets."""

CSS = """
:root { --police: #1d4f91; --edt: #7a3e9d; --health: #0f7b5f; --education: #9a5b00;
  --children_social_care: #a3245e; --red: #c62828;
  --dark-red: #8e1b1b; --amber: #8a5a00; --ink: #1d1d1b; --muted: #5b5b57; --rule: #d9d9d3; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; color: var(--ink);
  font-size: 14px; line-height: 1.42; }
body { margin: 0 auto; max-width: 1540px; padding: 24px 28px 40px; }
h1 { font-size: 28px; margin: 2px 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--ink); }
h2 small { font-weight: 400; color: var(--muted); font-size: 13px; margin-left: 8px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 11.5px; color: var(--muted);
  margin: 0; }
.lede { font-size: 15px; max-width: 70em; margin: 4px 0 12px; }
.cover { display: grid; grid-template-columns: 1fr auto; gap: 18px; align-items: end;
  border-bottom: 1px solid var(--rule); padding-bottom: 12px; }
dl.meta { display: grid; grid-template-columns: auto auto; gap: 2px 14px; margin: 0;
  font-size: 12.5px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; font-weight: 600; }
.chips { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0 0; padding: 0; list-style: none; }
.chip { border-radius: 999px; padding: 2px 10px; font-size: 12px; font-weight: 700;
  border: 1px solid currentColor; }
.chip.open { color: var(--red); } .chip.met_late { color: var(--amber); }
.chip.resolved { color: var(--muted); } .chip.none { color: var(--health); }
figure { margin: 8px 0 0; } svg.timeline { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
.agency { font-weight: 700; white-space: nowrap; }
.agency.police { color: var(--police); } .agency.edt { color: var(--edt); }
.agency.health { color: var(--health); } .agency.education { color: var(--education); }
.agency.children_social_care { color: var(--children_social_care); }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 7px; text-align: left;
  vertical-align: top; }
thead th { background: #efefea; font-size: 11.5px; text-transform: uppercase;
  letter-spacing: .04em; color: #3b3b37; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; width: 2.5em; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
code, .type { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; }
.type { color: var(--muted); display: block; }
.detail { color: #3b3b37; display: block; margin-top: 2px; }
tr.event.has-finding td:first-child { box-shadow: inset 4px 0 0 var(--red); }
tr.finding-row td { background: #fdecea; color: var(--dark-red); border-bottom-color: #f3c4bf; }
tr.finding-row td.what { font-weight: 600; }
.late { color: var(--dark-red); font-weight: 700; display: block; font-size: 11.5px; }
.flag { display: inline-block; background: var(--red); color: #fff; border-radius: 3px;
  padding: 0 5px; margin: 1px 2px 1px 0; font-size: 11px; font-weight: 700; }
.flag.met_late { background: var(--amber); } .flag.resolved { background: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(430px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--rule); border-left: 5px solid var(--red); padding: 8px 11px;
  border-radius: 3px; background: #fff; }
.card.met_late { border-left-color: var(--amber); } .card.resolved { border-left-color: #999; }
.card h3 { margin: 0 0 3px; font-size: 14px; } .card h3 .label { color: var(--red); }
.card p { margin: 4px 0; } .card .facts { color: var(--muted); font-size: 12px; }
.sev { text-transform: uppercase; font-size: 10.5px; font-weight: 800; letter-spacing: .05em;
  padding: 1px 6px; border-radius: 3px; color: #fff; background: #777; margin-left: 6px; }
.sev.critical { background: #6d0f0f; } .sev.high { background: var(--red); }
.sev.medium { background: var(--amber); } .sev.low { background: #595959; }
code.rule-id { font-size: 10.5px; color: #555; font-weight: 400; }
.matrix td.known { font-variant-numeric: tabular-nums; white-space: nowrap; }
.matrix td.author { font-weight: 700; }
.matrix td.author.police { background: #e6edf6; } .matrix td.author.edt { background: #f1e9f5; }
.matrix td.author.health { background: #e4f2ee; }
.matrix td.author.education { background: #f6efe4; }
.matrix td.author.children_social_care { background: #f6e6ee; }
.matrix td.slow { color: var(--dark-red); font-weight: 700; }
.matrix td.none { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f5f5f2 4px,
  #f5f5f2 8px); }
.state { font-weight: 700; } .state.overdue, .state.open { color: var(--red); }
.state.met_late { color: var(--amber); } .state.met, .state.pending { color: var(--health); }
.conflict { color: var(--red); font-weight: 700; }
.two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 22px; }
footer { margin-top: 28px; font-size: 11.5px; color: var(--muted);
  border-top: 1px solid var(--rule); padding-top: 8px; }
@page { size: A4 landscape; margin: 11mm 11mm 13mm; }
@media print {
  html { font-size: 10.5px; } body { max-width: none; padding: 0; }
  .cover { padding-bottom: 4px; gap: 10px; } h1 { font-size: 20px; margin: 0 0 2px; }
  .lede { font-size: 11px; margin: 2px 0 4px; } dl.meta { font-size: 10px; }
  .timeline-page h2 { margin: 6px 0 4px; font-size: 14px; }
  svg.timeline { max-height: 138mm; } figcaption { font-size: 9px; margin-top: 2px; }
  .timeline-page { break-after: page; }
  section { break-before: auto; } h2 { break-after: avoid; }
  tr, .card { break-inside: avoid; } thead { display: table-header-group; }
  .cards { grid-template-columns: 1fr 1fr 1fr; gap: 6px; } .card { padding: 4px 8px; }
  .card h3 { font-size: 12px; } .card p { margin: 2px 0; } .card .facts { font-size: 9.5px; }
  section.chronology, section.knowledge { break-before: page; }
}
"""
