"use strict";
// One station: live curves of the running procedure (uPlot, fed by Server-Sent Events), the
// last run's measurements against limits (when the role may see limits), run history, the
// curves of a finished run, health, and the commands the role may send.
(function () {
  const MAX_POINTS = 600;
  const COLOURS = ["#1d4ed8", "#b91c1c", "#15803d", "#b45309", "#7e22ce", "#0e7490"];

  function chart(el, title, label, colour, width) {
    // eslint-disable-next-line no-undef
    return new uPlot({
      title: title,
      width: width,
      height: 170,
      scales: { x: { time: true } },
      series: [{}, { label: label, stroke: colour, width: 1.5, points: { show: false } }],
      axes: [{}, { size: 60 }],
    }, [[], []], el);
  }

  window.BS.pages.station = function () {
    const BS = window.BS;
    const station = document.body.dataset.station;
    const live = BS.el("section", "live-curves");
    live.id = "live-curves";
    live.append(BS.el("h2", "", BS.t("station.live_curve")));
    const waiting = BS.el("p", "meta", BS.t("station.waiting"));
    live.append(waiting);
    const info = BS.el("section", "info");
    info.id = "info";
    const commands = BS.el("section", "commands");
    commands.id = "commands";
    const runsBox = BS.el("section", "runs");
    runsBox.id = "runs";
    const curvesBox = BS.el("section", "curves");
    curvesBox.id = "curves";
    BS.content(info, live, commands, runsBox, curvesBox);

    // ---- live curves: one small chart per quantity, shared time axis
    const series = new Map(); // name -> {plot, xs, ys, box}
    let points = 0;
    function add(samples) {
      for (const s of samples) {
        for (const [name, value] of Object.entries(s.values || {})) {
          if (typeof value !== "number") continue;
          let ser = series.get(name);
          if (!ser) {
            if (waiting.parentNode) waiting.remove();
            const box = BS.el("div", "chart");
            box.dataset.series = name;
            live.append(box);
            const [label, unit] = BS.quantity(name);
            const width = Math.max(320, Math.min(900, live.clientWidth - 20));
            ser = { plot: chart(box, label + (unit ? " (" + unit + ")" : ""), label,
              COLOURS[series.size % COLOURS.length], width), xs: [], ys: [], box: box };
            series.set(name, ser);
          }
          ser.xs.push(s.ts);
          ser.ys.push(value);
          if (ser.xs.length > MAX_POINTS) { ser.xs.shift(); ser.ys.shift(); }
        }
        points += 1;
      }
      for (const ser of series.values()) {
        ser.plot.setData([ser.xs, ser.ys]);
        ser.box.dataset.points = String(ser.xs.length);
      }
      live.dataset.points = String(points);
      if (samples.length) live.dataset.lastTs = String(samples[samples.length - 1].ts);
    }
    const source = new EventSource("/console/api/live?station=" + encodeURIComponent(station));
    let primed = false;
    source.addEventListener("history", (ev) => {
      if (!primed) add(JSON.parse(ev.data).samples);
      primed = true;
    });
    source.addEventListener("live", (ev) => add(JSON.parse(ev.data).samples));

    // ---- status, runs, commands: refreshed every 3 s
    let shownCurves = "";
    async function refresh() {
      const r = await BS.api("/console/api/station/" + encodeURIComponent(station));
      if (!r.ok) { info.replaceChildren(BS.message(r.data.error || BS.t("common.error"), true)); return; }
      const d = r.data;
      const st = d.station;
      const h = d.health;
      const head = BS.el("div", "station-head");
      head.append(BS.el("span", "badge state " + (st.state || "unknown"), BS.t("state." + (st.state || "unknown"))));
      const ctx = d.context;
      head.append(" ", BS.el("strong", "", ctx ? ctx.competitor + " · " + ctx.name : BS.t("hall.unassigned")));
      if (ctx && ctx.clock) head.append(" · ", BS.el("span", "clock", BS.t("common.time_left") + ": " + BS.clockText(ctx.clock)));
      if (st.reason) head.append(BS.el("div", "reason", st.reason));
      const health = BS.el("p", "meta", [
        BS.t(h.online ? "health.online" : "health.offline"),
        h.clock_offset_s !== null && h.clock_offset_s !== undefined ? BS.t("fleet.clock") + " " + (h.clock_offset_s * 1000).toFixed(1) + " ms" : BS.t("health.clock_unknown"),
        BS.t("health.bus_errors", { n: h.bus_errors || 0 }),
        BS.t("health.backlog", { n: h.outbox_depth || 0 }),
        st.sw ? BS.t("fleet.sw") + " " + st.sw : "",
      ].filter(Boolean).join(" · "));
      info.replaceChildren(head, health);

      commands.replaceChildren();
      const allowed = Object.entries(d.can).filter(([, ok]) => ok);
      if (allowed.length) {
        commands.append(BS.el("h2", "", BS.t("station.commands")));
        for (const [cmd] of allowed) {
          commands.append(BS.button("station.cmd." + cmd, async () => {
            const a = await BS.api("/console/api/station/" + encodeURIComponent(station) + "/command",
              { method: "POST", body: { command: cmd } });
            commands.append(BS.message(a.ok ? BS.t("station.cmd.sent") + " " + a.data.cmd_id : (a.data.error || BS.t("common.error")), !a.ok));
          }));
        }
        if (d.reply) commands.append(BS.el("p", "meta", BS.t("station.reply") + ": " + (d.reply.ok ? "ok" : "✗") + " " + d.reply.detail));
      }

      const parts = [];
      const last = d.runs[0];
      if (last) {
        const h2 = BS.el("h2", "", BS.t("station.measurements") + " ");
        h2.append(BS.outcome(last.outcome));
        parts.push(h2);
        if (last.reason) parts.push(BS.el("p", "reason", last.reason));
        const heads = ["meas.name", "meas.value", "meas.unit"];
        if (d.limits_visible) heads.push("meas.limits");
        heads.push("common.outcome");
        const rows = last.measurements.map((m) => {
          const cells = [m.name, BS.num(m.value), m.unit];
          if (d.limits_visible) cells.push(BS.limits(m.limits));
          cells.push(BS.outcome(m.outcome));
          return BS.row(...cells);
        });
        const t = BS.table(heads, rows, "measurements");
        t.id = "measurements";
        parts.push(t);
      }
      parts.push(BS.el("h2", "", BS.t("station.history")));
      parts.push(BS.table(["meas.run", "common.when", "common.outcome"], d.runs.map((run) =>
        BS.row(run.run_id + (run.marked === false ? " (" + BS.t("report.self_check") + ")" : ""),
          BS.time(run.ended_at), BS.outcome(run.outcome))), "history"));
      runsBox.replaceChildren(...parts);

      const key = JSON.stringify(d.curves);
      if (key !== shownCurves) {
        shownCurves = key;
        curvesBox.replaceChildren();
        for (const [runId, names] of Object.entries(d.curves)) {
          if (!names.length) continue;
          curvesBox.append(BS.el("h2", "", BS.t("station.curves") + " " + runId));
          for (const name of names) {
            const c = await BS.api("/console/api/station/" + encodeURIComponent(station) + "/curve?run_id=" +
              encodeURIComponent(runId) + "&name=" + encodeURIComponent(name));
            if (!c.ok) continue;
            const cols = Object.keys(c.data.columns);
            if (cols.length < 2) continue;
            const box = BS.el("div", "chart");
            box.dataset.curve = name;
            curvesBox.append(box);
            const data = cols.map((k) => c.data.columns[k]);
            // eslint-disable-next-line no-undef
            new uPlot({
              title: name,
              width: Math.max(320, Math.min(900, curvesBox.clientWidth - 20)),
              height: 200,
              scales: { x: { time: false } },
              series: [{ label: cols[0] }].concat(cols.slice(1).map((k, i) => ({
                label: k, stroke: COLOURS[i % COLOURS.length], width: 1.5, points: { show: false },
              }))),
            }, data, box);
          }
        }
      }
    }
    BS.every(3000, refresh);
  };
})();
