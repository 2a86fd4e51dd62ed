"use strict";
// The hall grid: every station's state, contestant, time left in the module, last verdict and
// health badges, from /console/api/hall (polled every second), with live values pushed over
// Server-Sent Events (/console/api/live). Station texts only ever go through textContent.
(function () {
  const POLL_MS = 1000;
  const LIVE_STALE_S = 10;
  const STATE_ICON = { idle: "●", ready: "●", running: "▶", done: "■", fault: "⚠", offline: "○" };
  function liveBox(lv, now) {
    const BS = window.BS;
    const stale = typeof lv.received_at === "number" && now - lv.received_at > LIVE_STALE_S;
    const box = BS.el("div", "live" + (stale ? " stale" : ""));
    if (lv.phase) box.append(BS.el("span", "phase", BS.phase(lv.phase)));
    for (const [name, value] of Object.entries(lv.values || {})) {
      const [label, unit] = BS.quantity(name);
      const item = BS.el("span", "value");
      item.dataset.name = name;
      item.append(label + " ", BS.el("span", "v", BS.num(value)), unit ? " " + unit : "");
      box.append(item);
    }
    return box;
  }

  function badges(h) {
    const BS = window.BS;
    const b = BS.el("div", "badges");
    b.append(BS.el("span", "badge " + (h.online ? "ok" : "bad"),
      BS.t(h.online ? "health.online" : "health.offline")));
    if (h.clock_synced === true) b.append(BS.el("span", "badge ok", BS.t("health.clock_ok")));
    else if (h.clock_synced === false) b.append(BS.el("span", "badge bad", BS.t("health.clock_bad")));
    if (h.bus_errors) b.append(BS.el("span", "badge bad", BS.t("health.bus_errors", { n: h.bus_errors })));
    if (h.outbox_full) b.append(BS.el("span", "badge bad", BS.t("health.outbox_full")));
    // a few records waiting to be sent is normal: shown quietly, never in an alarm colour
    else if (h.outbox_depth) b.append(BS.el("span", "badge quiet", BS.t("health.backlog", { n: h.outbox_depth })));
    if (typeof h.cpu_temp_c === "number" && h.cpu_temp_c >= 70) {
      b.append(BS.el("span", "badge warn", BS.t("health.cpu", { c: BS.num(h.cpu_temp_c) })));
    }
    return b;
  }

  function card(st, now) {
    const BS = window.BS;
    const state = st.state || "unknown";
    const c = BS.el("a", "card state-" + state + (st.online === false ? " is-offline" : ""));
    c.href = "/console/station/" + encodeURIComponent(st.id);
    c.dataset.station = st.id;
    const h = BS.el("h2");
    h.append(BS.el("span", "id", st.id), BS.el("span", "badge state " + state,
      (STATE_ICON[state] || "") + " " + BS.t("state." + state)));
    c.append(h);
    const ctx = st.context;
    const who = BS.el("div", "who", ctx ? ctx.competitor + " · " + ctx.name : BS.t("hall.unassigned"));
    c.append(who);
    if (ctx && ctx.clock) {
      const clock = BS.el("div", "clock clock-" + ctx.clock.state, BS.t("common.time_left") + ": " +
        BS.clockText(ctx.clock));
      c.append(clock);
    }
    const run = st.last_run;
    const r = BS.el("div", "run");
    if (state === "running") {
      // testing now: the last verdict would contradict the live phase, so it waits
      r.append(BS.el("span", "meta", BS.t("screen.testing")));
    } else if (run) {
      r.append(BS.outcome(run.outcome), " ", BS.el("span", "meta", BS.time(run.ended_at)));
      const why = state === "fault" && st.reason ? st.reason : BS.runReason(run);
      if (why) r.append(BS.el("div", "reason", why));  // the reason once
    } else {
      r.append(BS.el("span", "meta", BS.t("hall.no_run")));
      if (st.reason && state === "fault") r.append(BS.el("div", "reason", st.reason));
    }
    c.append(r);
    c.append(badges(st.health));
    c.dataset.state = state;
    // live values only while a run is on: a finished run's last phase would contradict its state
    const live = st.live && state === "running" ? liveBox(st.live, now) : BS.el("div", "live");
    live.dataset.live = st.id;
    c.append(live);
    return c;
  }

  window.BS.pages.hall = function () {
    const BS = window.BS;
    if (new URLSearchParams(location.search).get("screen") === "1") {  // the wall display
      location.replace("/console/screen" + location.search.replace(/([?&])screen=1&?/, "$1"));
      return;
    }
    let cards = new Map();
    const grid = BS.el("div", "grid");
    grid.id = "hall";
    const summary = BS.el("p", "summary");
    const screen = BS.el("a", "button", BS.t("hall.screen"));
    screen.href = "/console/screen";
    screen.id = "screen-link";
    BS.content(screen, summary, grid);

    async function poll() {
      try {
        const resp = await BS.api("/console/api/hall");
        if (resp.ok) {
          const data = resp.data;
          cards = new Map();
          const nodes = data.stations.map((st) => {
            const c = card(st, data.now);
            cards.set(st.id, c);
            return c;
          });
          if (!nodes.length) nodes.push(BS.el("p", "meta", BS.t("hall.empty")));
          grid.replaceChildren(...nodes);
          summary.textContent = BS.t("hall.stations", { n: data.stations.length });
        }
      } finally {
        setTimeout(poll, POLL_MS);
      }
    }
    poll();

    const source = new EventSource("/console/api/live");
    source.addEventListener("live", (ev) => {
      const now = Date.now() / 1000;
      for (const s of JSON.parse(ev.data).samples) {
        const c = cards.get(s.station);
        if (!c || c.dataset.state !== "running") continue;
        const old = c.querySelector("[data-live]");
        const box = liveBox(s, now);
        box.dataset.live = s.station;
        if (old) old.replaceWith(box); else c.append(box);
      }
    });
  };
})();

"use strict";
// The hall screen: every station as one tile on a wall display, readable from 3 m. The tiles
// fill the window without scrolling (they shrink as stations are added, the text stays at least
// 24 px on a 1080-line screen), each tile shows one state in colour, icon and word, the bar on
// top carries the totals and the module clocks. Data: /console/api/hall, polled every 2 s.
(function () {
  const POLL_MS = 2000;
  const GAP = 8; // px between tiles, at 1080 lines (scaled with the screen)
  const LINES = 3; // text lines on a tile
  const MIN_FONT = 24; // px at 1080 lines
  const ICON = { pass: "✓", marginal: "✓", fail: "✗", fault: "⚠", testing: "▶", ready: "●",
    idle: "●", offline: "○" };
  const ORDER = ["pass", "fail", "fault", "testing", "ready", "offline"];

  // One state per tile: offline, fault, testing, the last verdict, or ready.
  function stateOf(st) {
    if (st.online === false || st.state === "offline") return "offline";
    if (st.state === "fault") return "fault";
    if (st.state === "running") return "testing";
    const run = st.last_run;
    if (run && run.outcome) {
      if (run.outcome === "fault" || run.outcome === "error") return "fault";
      if (["pass", "fail", "marginal"].includes(run.outcome)) return run.outcome;
    }
    return st.state === "idle" ? "idle" : "ready";
  }

  function detailOf(st, state) {
    const BS = window.BS;
    if (state === "fault") return BS.t("screen.call_tech");
    if (state === "testing") return st.live && st.live.phase ? BS.phase(st.live.phase) : "";
    if (state === "fail" && st.last_run) return BS.runReason(st.last_run);
    if (state === "offline") return BS.t("screen.offline_hint");
    return "";
  }

  // Columns that give the largest text for n tiles in w x h.
  function layout(n, w, h, gap) {
    let best = { cols: 1, rows: n, font: 0, tileW: w, tileH: h };
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const tileW = (w - gap * (cols - 1)) / cols;
      const tileH = (h - gap * (rows - 1)) / rows;
      const font = Math.min(tileH / (LINES * 1.3 + 0.6), tileW / 10);
      if (font > best.font) best = { cols, rows, font, tileW, tileH };
    }
    return best;
  }

  function tile(st, state) {
    const BS = window.BS;
    const ctx = st.context;
    const t = BS.el("div", "tile s-" + state);
    t.dataset.station = st.id;
    t.dataset.state = state;
    const top = BS.el("div", "line top");
    top.append(BS.el("span", "sid", st.id));
    const h = st.health || {};
    if (h.outbox_full || h.clock_synced === false || h.bus_errors) {
      const check = BS.el("span", "check", "⚙");
      check.title = BS.t("screen.check_station");
      top.append(check);
    }
    top.append(BS.el("span", "icon", ICON[state] || "●"));
    const who = BS.el("div", "line who", ctx && ctx.name ? ctx.name : BS.t("hall.unassigned"));
    who.dir = "auto";
    const verdict = BS.el("div", "line verdict");
    verdict.append(BS.el("span", "word", BS.t("screen." + state)));
    const detail = detailOf(st, state);
    if (detail) verdict.append(BS.el("span", "detail", detail));
    t.append(top, who, verdict);
    t.title = [st.id, ctx ? ctx.name : "", BS.t("screen." + state), detail].filter(Boolean).join(" · ");
    return t;
  }

  function clocks(stations) {
    const BS = window.BS;
    const seen = new Map();
    for (const st of stations) {
      const c = st.context && st.context.clock;
      if (c && !seen.has(st.context.module)) seen.set(st.context.module, st.context);
    }
    const box = BS.el("div", "clocks");
    for (const ctx of [...seen.values()].slice(0, 2)) {
      const c = ctx.clock;
      const item = BS.el("div", "clock c-" + c.state);
      item.append(BS.el("span", "module", ctx.module_name || ctx.module));
      const left = c.state === "pending" ? BS.dur(c.time_limit_s) : BS.dur(c.remaining_s);
      item.append(BS.el("span", "time", left));
      item.append(BS.el("span", "cstate", BS.t("screen.clock_" + c.state)));
      box.append(item);
    }
    return box;
  }

  window.BS.pages.screen = function () {
    const BS = window.BS;
    document.body.classList.add("screen");
    const bar = BS.el("header", "sbar");
    const grid = BS.el("div", "tiles");
    grid.id = "tiles";
    BS.content(bar, grid);
    let last = null;

    function fit() {
      if (!last) return;
      const scale = window.innerHeight / 1080;
      const gap = Math.max(4, Math.round(GAP * scale));
      const n = Math.max(1, last.length);
      const w = grid.clientWidth;
      const h = grid.clientHeight;
      const l = layout(n, w, h, gap);
      const font = Math.max(MIN_FONT * scale, Math.min(l.font, 96 * scale));
      grid.style.gap = gap + "px";
      grid.style.gridTemplateColumns = "repeat(" + l.cols + ", minmax(0, 1fr))";
      grid.style.gridTemplateRows = "repeat(" + l.rows + ", minmax(0, 1fr))";
      grid.style.fontSize = Math.floor(font) + "px";
      document.documentElement.style.setProperty("--bar-font", Math.round(34 * scale) + "px");
    }

    async function poll() {
      try {
        const r = await BS.api("/console/api/hall");
        if (!r.ok) return;
        const stations = r.data.stations;
        const counts = { pass: 0, fail: 0, fault: 0, testing: 0, ready: 0, offline: 0 };
        const tiles = stations.map((st) => {
          const state = stateOf(st);
          const key = state === "marginal" ? "pass" : state === "idle" ? "ready" : state;
          counts[key] += 1;
          return tile(st, state);
        });
        const totals = BS.el("div", "totals");
        totals.id = "totals";
        for (const k of ORDER) {
          const chip = BS.el("span", "count s-" + k);
          chip.dataset.total = k;
          chip.append(BS.el("span", "icon", ICON[k]), BS.el("span", "label", BS.t("screen.total_" + k)),
            BS.el("strong", "n", BS.num(counts[k])));
          totals.append(chip);
        }
        bar.replaceChildren(clocks(stations), totals);
        if (!tiles.length) tiles.push(BS.el("p", "empty", BS.t("hall.empty")));
        grid.replaceChildren(...tiles);
        last = stations;
        fit();
      } finally {
        setTimeout(poll, POLL_MS);
      }
    }
    window.addEventListener("resize", fit);
    poll();
  };
})();
