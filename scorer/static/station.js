"use strict";
// One station: live curves of the running procedure (uPlot, fed by Server-Sent Events), the
// last run's measurements against limits (when the role may see limits), run history, the
// curves of a finished run, health, and the commands the role may send.
(function () {
  const MAX_POINTS = 600;
  const COLOURS = ["#1d4ed8", "#b91c1c", "#15803d", "#b45309", "#7e22ce", "#0e7490"];

  // Tick labels that never repeat a value (enough digits for the range).
  function ticks(u, splits) {
    const BS = window.BS;
    const span = Math.abs(splits[splits.length - 1] - splits[0]) || 1;
    const digits = Math.min(8, Math.max(3, Math.ceil(Math.log10(Math.abs(splits[0] || 1) / span * 10)) + 2));
    return splits.map((v) => BS.num(v, digits));
  }

  // Limits drawn as a band behind the curve: [{low, high}] in the y scale.
  function bandsPlugin(bands) {
    return { hooks: { drawClear: [(u) => {
      const ctx = u.ctx;
      ctx.save();
      ctx.fillStyle = "rgba(21, 128, 61, 0.12)";
      for (const b of bands) {
        const lo = b.low === undefined || b.low === null ? u.scales.y.min : b.low;
        const hi = b.high === undefined || b.high === null ? u.scales.y.max : b.high;
        const top = u.valToPos(Math.min(hi, u.scales.y.max), "y", true);
        const bottom = u.valToPos(Math.max(lo, u.scales.y.min), "y", true);
        if (bottom > top) ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
      }
      ctx.restore();
    }] } };
  }

  // The y range: a flat curve (a steady value) gets a band around it instead of no axis at all.
  function yRange(u, min, max) {
    if (min === null || max === null) return [0, 1];
    if (max - min <= Math.abs(max) * 1e-9) {
      const pad = Math.abs(max) * 0.01 || 1;
      return [min - pad, max + pad];
    }
    const pad = (max - min) * 0.08;
    return [min - pad, max + pad];
  }

  // A line chart: x in seconds from the run's start, one y axis (one unit), labelled.
  function chart(el, opts) {
    const BS = window.BS;
    // eslint-disable-next-line no-undef
    return new uPlot({
      title: opts.title,
      width: opts.width,
      height: opts.height || 190,
      scales: { x: { time: false }, y: { range: yRange } },
      series: [{ label: opts.xLabel }].concat(opts.series.map((s, i) => ({
        label: s, stroke: COLOURS[((opts.colour || 0) + i) % COLOURS.length], width: 1.5,
        points: { show: false } }))),
      axes: [{ label: opts.xLabel, values: ticks }, { label: opts.yLabel, size: 70, values: ticks }],
      plugins: opts.bands && opts.bands.length ? [bandsPlugin(opts.bands)] : [],
      legend: { live: true },
    }, opts.data, el);
  }

  function axisLabel(name) {
    const [label, unit] = window.BS.quantity(name);
    return unit ? label + " (" + unit + ")" : label;
  }

  function limitsOf(runs, runId) {
    const run = runs.find((r) => r.run_id === runId);
    const out = {};
    for (const m of (run && run.measurements) || []) if (m.limits) out[m.name] = m.limits;
    return out;
  }

  // A stored curve: the first column is x (time made relative to the run's start); the other
  // columns grouped by unit, one chart per unit; columns without a number are left out; the
  // limits of a measurement of the same name are drawn as a band. Returns the charts made.
  function storedCharts(box, name, columns, limits) {
    const BS = window.BS;
    const cols = Object.keys(columns);
    if (cols.length < 2) return 0;
    let xs = columns[cols[0]].map(Number);
    const isTime = /^t(_s)?$|_s$/.test(cols[0]) && cols[0] !== "level_pct";
    if (isTime && xs.length && isFinite(xs[0])) { const x0 = xs[0]; xs = xs.map((x) => x - x0); }
    const xLabel = isTime ? BS.t("report.time") : axisLabel(cols[0]);
    const byUnit = new Map();
    for (const col of cols.slice(1)) {
      const ys = columns[col];
      if (!ys.some((v) => typeof v === "number" && isFinite(v))) continue;
      const unit = BS.quantity(col)[1];
      if (!byUnit.has(unit)) byUnit.set(unit, []);
      byUnit.get(unit).push(col);
    }
    let made = 0;
    for (const [unit, group] of byUnit) {
      const el = BS.el("div", "chart");
      el.dataset.curve = name;
      el.dataset.unit = unit;
      box.append(el);
      const labels = group.map((col) => BS.quantity(col)[0]);
      const yLabel = labels.join(", ") + (unit ? " (" + unit + ")" : "");
      const bands = group.map((col) => limits[col]).filter(Boolean);
      chart(el, { title: name + " · " + yLabel, width: Math.max(320, Math.min(900, box.clientWidth - 20)),
        height: 200, xLabel: xLabel, yLabel: yLabel, series: labels, bands: bands,
        data: [xs].concat(group.map((col) => columns[col])) });
      made += 1;
    }
    return made;
  }

  window.BS.pages.station = function () {
    const BS = window.BS;
    const station = document.body.dataset.station;
    const live = BS.el("section", "live-curves");
    live.id = "live-curves";
    live.append(BS.el("h2", "", BS.t("station.live_curve")));
    const waiting = BS.el("p", "meta", BS.t("station.no_data"));
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

    // ---- live curves: one chart per quantity (so one unit per axis), time from the first
    // sample of the run in seconds; a chart appears once its quantity has two readings
    const series = new Map(); // name -> {plot, xs, ys, box}
    let points = 0;
    let run = null;
    let t0 = null;
    function add(samples) {
      for (const s of samples) {
        if (s.run_id !== run || t0 === null) {  // a new run: its curves start again at 0 s
          run = s.run_id;
          t0 = s.ts;
          for (const ser of series.values()) { ser.xs = []; ser.ys = []; }
        }
        for (const [name, value] of Object.entries(s.values || {})) {
          if (typeof value !== "number" || !isFinite(value)) continue;
          let ser = series.get(name);
          if (!ser) {
            ser = { plot: null, xs: [], ys: [], box: null };
            series.set(name, ser);
          }
          ser.xs.push(s.ts - t0);
          ser.ys.push(value);
          if (ser.xs.length > MAX_POINTS) { ser.xs.shift(); ser.ys.shift(); }
        }
        points += 1;
      }
      for (const [name, ser] of series) {
        if (!ser.plot && ser.xs.length >= 2) {
          if (waiting.parentNode) waiting.remove();
          ser.box = BS.el("div", "chart");
          ser.box.dataset.series = name;
          live.append(ser.box);
          const width = Math.max(320, Math.min(900, live.clientWidth - 20));
          ser.plot = chart(ser.box, { title: axisLabel(name), width: width, height: 170,
            xLabel: BS.t("report.time"), yLabel: axisLabel(name), series: [BS.quantity(name)[0]],
            colour: [...series.keys()].indexOf(name) % COLOURS.length, data: [[], []] });
        }
        if (ser.plot) {
          ser.plot.setData([ser.xs, ser.ys]);
          ser.box.dataset.points = String(ser.xs.length);
          ser.box.hidden = ser.xs.length < 2;  // never an empty chart
        }
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

    // The station's open operator prompt: a judge answers it (a signed "answer" command).
    function promptBox(p) {
      const box = BS.el("div", "prompt");
      const text = p.code && BS.has("prompt." + p.code) ? BS.t("prompt." + p.code, p.params || {}) : p.text;
      box.append(BS.el("h3", "", BS.t("station.prompt")), BS.el("p", "", text));
      const send = async (value) => {
        const a = await BS.api("/console/api/station/" + encodeURIComponent(station) + "/command",
          { method: "POST", body: { command: "answer", prompt: p.id, value: value } });
        box.append(BS.message(a.ok ? BS.t("station.cmd.sent") + " " + a.data.cmd_id : BS.errorText(a.data), !a.ok));
      };
      if (p.kind === "yes_no") {
        box.append(BS.button("station.answer_yes", () => send(true)),
          BS.button("station.answer_no", () => send(false)));
      } else if (p.kind === "instruction") {
        box.append(BS.button("station.answer_done", () => send(true)));
      } else {
        const input = BS.input("number", "prompt_value", "");
        if (typeof p.default === "number") input.value = p.default;
        box.append(input, BS.button("station.answer_number", () => send(Number(input.value))));
      }
      return box;
    }

    // The prompts of a run with their answers: what was asked, the answer, who gave it, when.
    function promptsList(prompts) {
      const box = BS.el("div", "prompts");
      box.id = "prompts";
      box.append(BS.el("h3", "", BS.t("station.prompts")));
      const ul = BS.el("ul", "");
      for (const p of prompts) {
        const text = p.code && BS.has("prompt." + p.code) ? BS.t("prompt." + p.code, p.params || {}) : p.text;
        let value = "—";
        if (p.kind === "instruction" && p.value === true) value = BS.t("prompt.value.done");
        else if (p.value === true) value = BS.t("prompt.value.yes");
        else if (p.value === false) value = BS.t("prompt.value.no");
        else if (typeof p.value === "number") value = BS.num(p.value);
        const by = BS.has("prompt.by." + p.by) ? BS.t("prompt.by." + p.by, { judge: p.judge || "" }) : p.by;
        ul.append(BS.el("li", "", text + " → " + value + " (" + by + ", " + BS.time(p.answered_at) + ")"));
      }
      box.append(ul);
      return box;
    }

    // ---- status, runs, commands: refreshed every 3 s
    let shownCurves = "";
    async function refresh() {
      const r = await BS.api("/console/api/station/" + encodeURIComponent(station));
      if (!r.ok) { info.replaceChildren(BS.message(BS.errorText(r.data), true)); return; }
      const d = r.data;
      const st = d.station;
      const h = d.health;
      const head = BS.el("div", "station-head");
      head.append(BS.el("span", "badge state " + (st.state || "unknown"), BS.t("state." + (st.state || "unknown"))));
      const ctx = d.context;
      head.append(" ", BS.el("strong", "", ctx ? ctx.competitor + " · " + ctx.name : BS.t("hall.unassigned")));
      if (ctx && ctx.clock) head.append(" · ", BS.el("span", "clock", BS.t("common.time_left") + ": " + BS.clockText(ctx.clock)));
      if (st.reason && st.state === "fault") head.append(BS.el("div", "reason", st.reason));
      const health = BS.el("p", "meta", [
        BS.t(h.online ? "health.online" : "health.offline"),
        h.clock_offset_s !== null && h.clock_offset_s !== undefined ? BS.t("fleet.clock") + " " + (h.clock_offset_s * 1000).toFixed(1) + " ms" : BS.t("health.clock_unknown"),
        BS.t("health.bus_errors", { n: h.bus_errors || 0 }),
        h.outbox_depth ? BS.t("health.backlog", { n: h.outbox_depth }) : "",
        st.sw ? BS.t("fleet.sw") + " " + st.sw : "",
      ].filter(Boolean).join(" · "));
      info.replaceChildren(head, health);

      commands.replaceChildren();
      const allowed = Object.entries(d.can).filter(([, ok]) => ok);
      if (allowed.length) {
        commands.append(BS.el("h2", "", BS.t("station.commands")));
        for (const [cmd] of allowed) {
          if (cmd === "answer") continue;  // the prompt's own buttons, below
          commands.append(BS.button("station.cmd." + cmd, async () => {
            const a = await BS.api("/console/api/station/" + encodeURIComponent(station) + "/command",
              { method: "POST", body: { command: cmd } });
            commands.append(BS.message(a.ok ? BS.t("station.cmd.sent") + " " + a.data.cmd_id : BS.errorText(a.data), !a.ok));
          }));
        }
        if (d.prompt && d.can.answer) commands.append(promptBox(d.prompt));
        if (d.reply) commands.append(BS.el("p", "meta", BS.t("station.reply") + ": " + (d.reply.ok ? "ok" : "✗") + " " + d.reply.detail));
      }

      const parts = [];
      const last = d.runs[0];
      if (last) {
        const h2 = BS.el("h2", "", BS.t("station.measurements") + " ");
        h2.append(BS.outcome(last.outcome));
        parts.push(h2);
        const why = BS.runReason(last);
        if (why) parts.push(BS.el("p", "reason", why));
        const heads = ["meas.name", "meas.value", "meas.unit"];
        if (d.limits_visible) heads.push("meas.limits");
        heads.push("common.outcome");
        const rows = last.measurements.map((m) => {
          const name = BS.el("span", "", BS.quantity(m.name)[0]);
          name.title = m.name;
          const value = BS.el("span", "", BS.num(m.value) + (m.u != null ? " ± " + BS.num(Number(m.u.toPrecision(2))) : ""));
          value.dir = "ltr";
          if (d.limits_visible && BS.insideU(m)) {
            value.className = "inside-u";
            value.title = BS.t("meas.inside_u");
            value.append(BS.el("span", "inside-u-mark", " ≈U"));
          }
          const cells = [name, value, m.unit];
          if (d.limits_visible) cells.push(BS.limits(m.limits));
          cells.push(BS.outcome(m.outcome));
          return BS.row(...cells);
        });
        const t = BS.table(heads, rows, "measurements");
        t.id = "measurements";
        parts.push(t);
        if (last.prompts && last.prompts.length) parts.push(promptsList(last.prompts));
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
          // evidence pictures first, the white field (every finding) before the others
          const ordered = names.filter((n) => n.startsWith("image_")).sort().reverse()
            .concat(names.filter((n) => !n.startsWith("image_")));
          for (const name of ordered) {
            if (name.startsWith("image_")) {  // an evidence picture (benchscore/image_curve.py)
              const img = BS.el("img", "evidence");
              img.alt = name;
              img.title = name;
              img.src = "/console/api/station/" + encodeURIComponent(station) + "/image?run_id=" +
                encodeURIComponent(runId) + "&name=" + encodeURIComponent(name);
              img.style.maxWidth = "100%";
              img.style.display = "block";
              img.style.margin = "0.5em 0";
              const fig = BS.el("figure", "evidence");
              fig.append(img, BS.el("figcaption", "", name));
              curvesBox.append(fig);
              continue;
            }
            if (name.startsWith("ledmap_") || name === "camera_matrix") continue;  // raw data
            const c = await BS.api("/console/api/station/" + encodeURIComponent(station) + "/curve?run_id=" +
              encodeURIComponent(runId) + "&name=" + encodeURIComponent(name));
            if (!c.ok) continue;
            const made = storedCharts(curvesBox, name, c.data.columns, limitsOf(d.runs, runId));
            if (!made) curvesBox.append(BS.el("p", "meta", name + ": " + BS.t("station.no_data")));
          }
        }
      }
    }
    BS.every(3000, refresh);
  };
})();
