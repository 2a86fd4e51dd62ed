"use strict";
// The judges' hall: poll /api/hall every second and draw one card per station.
// Every text from a station goes through textContent: nothing it sends is parsed as HTML.
(function () {
  const POLL_MS = 1000;
  const LIVE_STALE_S = 10;
  const UNITS = { _v: "V", _a: "A", _w: "W", _lx: "lx", _c: "°C", _s: "s", _wh: "Wh", _mah: "mAh" };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function num(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    if (a >= 1e4) return v.toFixed(0);
    const s = v.toPrecision(4);
    return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }

  function liveLabel(name) {
    for (const suffix of Object.keys(UNITS)) {
      if (name.toLowerCase().endsWith(suffix)) {
        return [name.slice(0, -suffix.length), UNITS[suffix]];
      }
    }
    return [name, ""];
  }

  function band(lo, hi) {
    if (lo === undefined && hi === undefined) return "";
    if (hi === undefined) return "≥ " + num(lo);
    if (lo === undefined) return "≤ " + num(hi);
    return num(lo) + " … " + num(hi);
  }

  function limitsText(l) {
    if (!l) return "";
    const marginal = band(l.marginal_low, l.marginal_high);
    return band(l.low, l.high) + (marginal ? " (marginal outside " + marginal + ")" : "");
  }

  function ago(now, t) {
    if (typeof t !== "number") return "never";
    const s = Math.max(0, Math.round(now - t));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    return Math.floor(s / 3600) + " h ago";
  }

  function card(st, now) {
    const state = st.state || "unknown";
    const c = el("section", "card state-" + state + (st.online === false ? " is-offline" : ""));
    c.dataset.station = st.id;
    const h = el("h2");
    h.append(el("span", "id", st.id), el("span", "badge " + state, state));
    c.append(h);

    const online = st.online === true ? "online" : st.online === false ? "offline" : "status unknown";
    const meta = [online];
    if (st.task) meta.push("task " + st.task);
    if (st.sw) meta.push("sw " + st.sw);
    meta.push("seen " + ago(now, st.last_seen));
    c.append(el("div", "meta", meta.join(" · ")));
    if (st.reason) c.append(el("div", "meta", st.reason));

    const run = st.last_run;
    const r = el("div", "run");
    if (run) {
      r.append(el("span", "outcome " + run.outcome, run.outcome), " ");
      r.append(el("span", "meta", run.task + " · " + run.run_id + (run.historical ? " · replayed" : "")));
      if (run.reason) r.append(el("div", "reason", run.reason));
      c.append(r);
      if (run.measurements && run.measurements.length) {
        const t = el("table");
        const head = el("tr");
        for (const k of ["measurement", "value", "unit", "limits", "outcome"]) head.append(el("th", "", k));
        t.append(head);
        for (const m of run.measurements) {
          const tr = el("tr");
          tr.title = m.reason || "";
          tr.append(el("td", "", m.name), el("td", "num", num(m.value)), el("td", "", m.unit),
            el("td", "", limitsText(m.limits)), el("td", "outcome " + m.outcome, m.outcome));
          t.append(tr);
        }
        c.append(t);
      }
    } else {
      r.append(el("span", "meta", "no run yet"));
      c.append(r);
    }

    const lv = st.live;
    if (lv && lv.values) {
      const stale = typeof lv.received_at === "number" && now - lv.received_at > LIVE_STALE_S;
      const box = el("div", "live" + (stale ? " stale" : ""));
      if (lv.phase) box.append(el("span", "", lv.phase));
      for (const [name, value] of Object.entries(lv.values)) {
        const [label, unit] = liveLabel(name);
        const item = el("span");
        item.append(label + " ", el("span", "v", num(value)), unit ? " " + unit : "");
        box.append(item);
      }
      box.append(el("span", "meta", ago(now, lv.received_at)));
      c.append(box);
    }
    return c;
  }

  function render(data) {
    const hall = document.getElementById("hall");
    const now = data.now;
    const cards = data.stations.map((st) => card(st, now));
    if (cards.length === 0) cards.push(el("p", "empty", "No station has reported yet."));
    hall.replaceChildren(...cards);

    const counts = {};
    for (const st of data.stations) {
      const k = st.last_run ? st.last_run.outcome : "no run";
      counts[k] = (counts[k] || 0) + 1;
    }
    const rejected = Object.values(data.rejections || {}).reduce((a, b) => a + b, 0);
    const parts = [data.stations.length + " stations"];
    for (const [k, n] of Object.entries(counts)) parts.push(n + " " + k);
    parts.push(rejected + " rejected payloads");
    document.getElementById("summary").textContent = parts.join(" · ");
  }

  async function poll() {
    const conn = document.getElementById("conn");
    try {
      const resp = await fetch("/api/hall", { cache: "no-store" });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      render(await resp.json());
      conn.hidden = true;
    } catch (err) {
      conn.hidden = false;
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
