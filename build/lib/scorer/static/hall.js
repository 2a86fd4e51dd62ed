"use strict";
// The hall grid: every station's state, contestant, time left in the module, last verdict and
// health badges, from /console/api/hall (polled every second), with live values pushed over
// Server-Sent Events (/console/api/live). Station texts only ever go through textContent.
(function () {
  const POLL_MS = 1000;
  const LIVE_STALE_S = 10;
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
    else if (h.outbox_depth) b.append(BS.el("span", "badge warn", BS.t("health.backlog", { n: h.outbox_depth })));
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
    h.append(BS.el("span", "id", st.id), BS.el("span", "badge state " + state, BS.t("state." + state)));
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
    if (run) {
      r.append(BS.outcome(run.outcome), " ", BS.el("span", "meta", run.run_id));
      if (run.reason) r.append(BS.el("div", "reason", run.reason));
    } else {
      r.append(BS.el("span", "meta", BS.t("hall.no_run")));
    }
    c.append(r);
    if (st.reason && state === "fault") c.append(BS.el("div", "reason", st.reason));
    c.append(badges(st.health));
    const live = st.live ? liveBox(st.live, now) : BS.el("div", "live");
    live.dataset.live = st.id;
    c.append(live);
    return c;
  }

  window.BS.pages.hall = function () {
    const BS = window.BS;
    let cards = new Map();
    const grid = BS.el("div", "grid");
    grid.id = "hall";
    const summary = BS.el("p", "summary");
    BS.content(summary, grid);

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
        if (!c) continue;
        const old = c.querySelector("[data-live]");
        const box = liveBox(s, now);
        box.dataset.live = s.station;
        if (old) old.replaceWith(box); else c.append(box);
      }
    });
  };
})();
