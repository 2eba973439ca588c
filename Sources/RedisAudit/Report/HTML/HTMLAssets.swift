/// The HTML report's style sheet and script, inlined in every report so it opens from disk or a
/// CI artifact without the network.
enum HTMLAssets {
    /// No resource from anywhere: styles, scripts and images only from the page itself.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

    static let style = """
        :root { --fg: #1d232a; --muted: #5b6670; --line: #d8dee4; --bg: #ffffff; --panel: #f6f8fa;
          --critical: #8e0f1c; --high: #c62828; --medium: #b26a00; --low: #1f6f8b; --info: #6b7280;
          --pass: #1b7a34; --fail: #b3261e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 64px; }
        h1 { font-size: 22px; margin: 0 0 6px; }
        h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        h3 { font-size: 15px; margin: 20px 0 8px; }
        code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
        pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow: auto; white-space: pre-wrap; word-break: break-word; margin: 8px 0; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: var(--panel); font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        nav { display: flex; flex-wrap: wrap; gap: 14px; margin: 12px 0 0; font-size: 13px; }
        nav a { color: var(--low); text-decoration: none; }
        .muted { color: var(--muted); }
        .verdict { display: inline-block; padding: 2px 12px; border-radius: 4px; color: #fff; font-weight: 700; letter-spacing: .04em; }
        .verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
        .head { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; }
        .counts { display: flex; gap: 8px; flex-wrap: wrap; margin: 12px 0; }
        .count { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; min-width: 84px; }
        .count b { font-size: 18px; display: block; }
        .sev { display: inline-block; min-width: 72px; text-align: center; border-radius: 3px; padding: 0 6px; color: #fff; font-size: 11.5px; font-weight: 700; }
        .sev.critical { background: var(--critical); } .sev.high { background: var(--high); } .sev.medium { background: var(--medium); }
        .sev.low { background: var(--low); } .sev.info { background: var(--info); }
        .notes p { margin: 4px 0; padding-left: 10px; border-left: 3px solid var(--line); color: var(--muted); }
        details.finding { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; }
        details.finding > summary { cursor: pointer; padding: 6px 10px; list-style-position: inside; }
        details.finding > div { padding: 0 12px 8px; }
        details.finding .facts { color: var(--muted); font-size: 12.5px; }
        details.evidence > summary { cursor: pointer; color: var(--low); font-size: 13px; }
        .differs td:first-child { font-weight: 600; }
        tr.differs { background: #fff6e0; }
        .faultmap { overflow-x: auto; max-width: 100%; }
        .faultmap table { font-size: 12px; } .faultmap thead th { padding: 3px 4px; }
        .faultmap th.point { font-weight: 400; white-space: nowrap; max-width: 460px; overflow: hidden; text-overflow: ellipsis; }
        .faultmap thead th { position: sticky; top: 0; z-index: 1; }
        .faultmap th.group { text-align: center; }
        .cell { width: 56px; min-width: 56px; padding: 3px 2px; text-align: center; cursor: pointer; font-weight: 600; font-size: 11px; }
        .cell:focus { outline: 2px solid var(--fg); outline-offset: -2px; }
        .cell.none { cursor: default; background: repeating-linear-gradient(45deg, #fafafa, #fafafa 4px, #f0f0f0 4px, #f0f0f0 8px); }
        .o-survived { background: #cdebd3; color: #14532d; }
        .o-stopped { background: #d6e8fa; color: #1e3a5f; }
        .o-partial-apply { background: #ffc078; color: #5c2c00; }
        .o-silent-corruption { background: #9b1c1c; color: #fff; }
        .o-error-swallowed { background: #d8b4fe; color: #3b0764; }
        .o-double-apply { background: #f28b82; color: #4a0a0a; }
        .o-lost-write { background: #6d1442; color: #fff; }
        .o-applied-told-failed { background: #fde68a; color: #5b4300; }
        .o-hang { background: #fbbf24; color: #3d2a00; }
        .o-not-reached { background: #eceff1; color: #6b7280; }
        .faultmap.dense td, .faultmap.dense tbody th { padding: 0 4px; font-size: 10.5px; line-height: 1.3; }
        .hung { box-shadow: inset 0 -4px 0 #f59e0b; }
        .faultmap.dense .hung { box-shadow: inset 0 -2px 0 #f59e0b; }
        .maps { display: flex; flex-wrap: wrap; gap: 4px 28px; align-items: flex-start; }
        .mapblock { max-width: 100%; }
        .legend { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 0; font-size: 12px; }
        .legend span { padding: 2px 8px; border-radius: 3px; }
        .maptools { font-size: 13px; margin: 6px 0; }
        table.onlyfailing tr.clean { display: none; }
        #trial { position: fixed; right: 16px; top: 16px; bottom: 16px; width: min(720px, 92vw); background: var(--bg); border: 1px solid var(--line); border-radius: 8px; box-shadow: 0 8px 30px rgba(0,0,0,.18); padding: 14px 16px; overflow: auto; z-index: 10; }
        #trial[hidden] { display: none; }
        #trial button { float: right; }
        .ttl svg { display: block; }
        .replay td.side { width: 38%; }
        .replay tr.same td { color: var(--muted); }
        .replay tr.diff td.side { background: #fff3f0; }
        .replay pre { margin: 0; padding: 4px 6px; }
        @media print {
          body { font-size: 11px; } main { max-width: none; padding: 0; }
          nav, .maptools, #trial { display: none !important; }
          details > summary { list-style: none; }
          .faultmap { overflow: visible; } .faultmap thead th { position: static; }
          .cell { width: auto; min-width: 0; }
          tr, details.finding { break-inside: avoid; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }
        """

    /// Opens a trial's transcript from the fault map (click, Enter), filters the map to failing
    /// rows, and opens every collapsed section before printing.
    static let script = """
        (function () {
          "use strict";
          var source = document.getElementById("trials");
          var trials = source ? JSON.parse(source.textContent) : [];
          var panel = document.getElementById("trial");
          function text(id, value) { var e = document.getElementById(id); if (e) { e.textContent = value; } }
          function show(index) {
            var t = trials[index];
            if (!t || !panel) { return; }
            var c = t.trial;
            text("trial-title", t.scenario + " on " + t.endpoint + ": " + t.kind + " at " + t.point);
            text("trial-outcome", c.summary === c.outcome ? c.summary : c.outcome + ": " + c.summary);
            text("trial-fault", c.fault);
            text("trial-reproducer", c.reproducer || "A server fault: no --fault rule repeats it; run the exploration again with --server-faults.");
            text("trial-transcript", c.transcript.join("\\n"));
            panel.hidden = false;
            panel.focus();
          }
          document.addEventListener("click", function (event) {
            var cell = event.target.closest("[data-trial]");
            if (cell) { show(Number(cell.getAttribute("data-trial"))); return; }
            if (event.target.closest("[data-close]") && panel) { panel.hidden = true; }
          });
          document.addEventListener("keydown", function (event) {
            if (event.key === "Escape" && panel) { panel.hidden = true; return; }
            if (event.key === "Enter" && event.target.hasAttribute && event.target.hasAttribute("data-trial")) {
              show(Number(event.target.getAttribute("data-trial")));
            }
          });
          Array.prototype.forEach.call(document.querySelectorAll("input[data-only-failing]"), function (box) {
            box.addEventListener("change", function () {
              var table = document.getElementById(box.getAttribute("data-only-failing"));
              if (table) { table.classList.toggle("onlyfailing", box.checked); }
            });
          });
          window.addEventListener("beforeprint", function () {
            Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
          });
          // A link to #trial-N opens that trial, as a click on its cell does.
          function follow() {
            var linked = /^#trial-([0-9]+)$/.exec(window.location.hash);
            if (linked) { show(Number(linked[1])); }
          }
          window.addEventListener("hashchange", follow);
          follow();
          document.body.setAttribute("data-ready", String(trials.length));
        })();
        """
}
