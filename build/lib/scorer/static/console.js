"use strict";
// The console's shared code and its pages (hall.js and station.js add theirs).
// Every text from the server or a station goes through textContent: nothing is parsed as HTML.
// Interface texts come from the page's catalogue (<script type="application/json" id="bs-i18n">).
(function () {
  const body = document.body;
  const I18N = JSON.parse(document.getElementById("bs-i18n").textContent || "{}");
  const BS = (window.BS = {
    page: body.dataset.page,
    csrf: body.dataset.csrf || "",
    lang: body.dataset.lang || "en",
    user: body.dataset.user || "",
    role: body.dataset.role || "",
    perms: new Set((body.dataset.perms || "").split(" ").filter(Boolean)),
    pages: {},
  });

  BS.t = function (key, vars) {
    let s = Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  };

  BS.el = function (tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };

  BS.num = function (v) {
    if (v === null || v === undefined) return "—";
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    if (a >= 1e4) return v.toFixed(0);
    const s = v.toPrecision(4);
    return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  };

  BS.dur = function (s) {
    if (s === null || s === undefined) return "—";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
  };

  BS.time = function (ts) {
    if (typeof ts !== "number") return "—";
    return new Date(ts * 1000).toLocaleString(BS.lang === "zh" ? "zh-CN" : "en-GB");
  };

  BS.ago = function (now, t) {
    if (typeof t !== "number") return "—";
    const s = Math.max(0, Math.round(now - t));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    return Math.floor(s / 3600) + " h";
  };

  BS.limits = function (l) {
    if (!l) return "";
    const band = (lo, hi) => {
      if (lo === undefined && hi === undefined) return "";
      if (hi === undefined) return "≥ " + BS.num(lo);
      if (lo === undefined) return "≤ " + BS.num(hi);
      return BS.num(lo) + " … " + BS.num(hi);
    };
    const marginal = band(l.marginal_low, l.marginal_high);
    return band(l.low, l.high) + (marginal ? " (" + marginal + ")" : "");
  };

  // "voltage_v" -> ["voltage" in the page's language, "V"]
  const UNITS = { _v: "V", _a: "A", _w: "W", _lx: "lx", _c: "°C", _s: "s", _wh: "Wh", _mah: "mAh",
    _pct: "%" };
  BS.quantity = function (name) {
    let base = name;
    let unit = "";
    for (const suffix of Object.keys(UNITS)) {
      if (name.toLowerCase().endsWith(suffix)) {
        base = name.slice(0, -suffix.length);
        unit = UNITS[suffix];
        break;
      }
    }
    const key = "q." + base.toLowerCase();
    return [Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : base, unit];
  };

  BS.phase = function (p) {
    const key = "phase." + p;
    return Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : p;
  };

  BS.outcome = function (o) {
    return BS.el("span", "outcome " + (o || ""), o ? BS.t("outcome." + o) : "—");
  };

  // JSON requests; a POST carries the CSRF token. Resolves to {ok, status, data}.
  BS.api = async function (path, opts) {
    opts = opts || {};
    const init = { method: opts.method || "GET", credentials: "same-origin", cache: "no-store",
      headers: {} };
    if (init.method !== "GET") {
      init.headers["X-CSRF-Token"] = BS.csrf;
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body || {});
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (err) {
      BS.conn(false);
      return { ok: false, status: 0, data: { error: String(err) } };
    }
    BS.conn(true);
    let data = null;
    try { data = await resp.json(); } catch (err) { data = null; }
    if (resp.status === 401 && BS.page !== "login" && BS.page !== "board") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
    }
    return { ok: resp.ok, status: resp.status, data: data || {} };
  };

  BS.conn = function (ok) {
    const c = document.getElementById("conn");
    if (c) c.hidden = ok;
  };

  BS.content = function (...children) {
    const c = document.getElementById("content");
    c.replaceChildren(...children);
    return c;
  };

  BS.table = function (headKeys, rows, cls) {
    const t = BS.el("table", cls || "");
    const head = BS.el("tr");
    for (const k of headKeys) head.append(BS.el("th", "", BS.t(k)));
    t.append(head);
    for (const r of rows) t.append(r);
    return t;
  };

  BS.row = function (...cells) {
    const tr = BS.el("tr");
    for (const c of cells) {
      if (c instanceof Node) {
        if (c.tagName === "TD") tr.append(c);
        else { const td = BS.el("td"); td.append(c); tr.append(td); }
      } else tr.append(BS.el("td", typeof c === "number" ? "num" : "", c === null ? "—" : c));
    }
    return tr;
  };

  BS.button = function (key, onClick, cls) {
    const b = BS.el("button", cls || "", BS.t(key));
    b.type = "button";
    b.dataset.action = key;
    b.addEventListener("click", onClick);
    return b;
  };

  BS.input = function (type, name, placeholder) {
    const i = BS.el("input");
    i.type = type;
    i.name = name;
    if (placeholder) i.placeholder = placeholder;
    return i;
  };

  BS.message = function (text, bad) {
    const m = BS.el("p", "msg" + (bad ? " bad" : " good"), text);
    m.setAttribute("role", "status");
    return m;
  };

  BS.every = function (ms, fn) {
    let stopped = false;
    async function tick() {
      if (stopped) return;
      try { await fn(); } finally { if (!stopped) setTimeout(tick, ms); }
    }
    tick();
    return () => { stopped = true; };
  };

  BS.clockText = function (clock) {
    if (!clock) return "—";
    const state = BS.t("clock." + clock.state);
    if (clock.state === "pending") return state + " · " + BS.dur(clock.time_limit_s);
    return state + " · " + BS.dur(clock.remaining_s);
  };

  // ---- header: language switch and logout
  function header() {
    const sw = document.getElementById("lang-switch");
    if (sw) sw.addEventListener("click", () => {
      document.cookie = "bs_lang=" + sw.dataset.to + "; path=/; max-age=31536000; samesite=lax";
      location.reload();
    });
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", async () => {
      await BS.api("/console/api/logout", { method: "POST" });
      location.href = "/";
    });
  }

  // ---- login
  BS.pages.login = function () {
    const form = BS.el("form", "login");
    form.method = "post";
    form.action = "/login";
    const user = BS.input("text", "username");
    user.id = "username";
    user.autocomplete = "username";
    user.required = true;
    const pass = BS.input("password", "password");
    pass.id = "password";
    pass.autocomplete = "current-password";
    pass.required = true;
    const lu = BS.el("label", "", BS.t("login.username"));
    lu.append(user);
    const lp = BS.el("label", "", BS.t("login.password"));
    lp.append(pass);
    const submit = BS.el("button", "primary", BS.t("login.submit"));
    submit.type = "submit";
    submit.id = "login-submit";
    const msg = BS.el("div", "", "");
    msg.id = "login-msg";
    form.append(lu, lp, submit, msg);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const r = await BS.api("/console/api/login", { method: "POST",
        body: { username: user.value, password: pass.value, next: body.dataset.next || null } });
      if (r.ok) { location.href = r.data.home; return; }
      const text = r.status === 429 ? BS.t("login.limited", { s: r.data.retry_after_s || "?" })
        : BS.t("login.failed");
      msg.replaceChildren(BS.message(text, true));
    });
    BS.content(form);
    user.focus();
  };

  // ---- public board: ranks and progress
  BS.pages.board = function () {
    BS.every(5000, async () => {
      const r = await BS.api("/console/api/board");
      if (!r.ok) return;
      const d = r.data;
      if (!d.event) { BS.content(BS.el("p", "meta", BS.t("common.event_none"))); return; }
      const rows = d.rows.map((row) => {
        const bar = BS.el("div", "bar");
        const fill = BS.el("span");
        fill.style.width = Math.round(row.progress * 100) + "%";
        bar.append(fill);
        const pct = BS.el("span", "meta", Math.round(row.progress * 100) + " %");
        const prog = BS.el("div", "progress");
        prog.append(bar, pct);
        const tr = BS.row(row.rank, row.name, row.member || "", prog, BS.num(row.total));
        tr.dataset.competitor = row.competitor;
        return tr;
      });
      const h = BS.el("h2", "", d.event.name);
      BS.content(h, rows.length ? BS.table(["common.rank", "common.contestant", "board.member",
        "common.progress", "common.total"], rows, "board") : BS.el("p", "meta", BS.t("board.empty")));
    });
  };

  // ---- judgement entry and the mark sheet
  BS.pages.judge = async function () {
    const meta = await BS.api("/console/api/marks");
    if (!meta.ok) { BS.content(BS.message(meta.data.error || BS.t("common.event_none"), true)); return; }
    const select = BS.el("select");
    select.id = "competitor";
    for (const c of meta.data.competitors) {
      const o = BS.el("option", "", c.id + " · " + c.name);
      o.value = c.id;
      select.append(o);
    }
    const wanted = new URLSearchParams(location.search).get("competitor");
    if (wanted) select.value = wanted;
    const label = BS.el("label", "inline", BS.t("judge.choose"));
    label.append(select);
    const sheet = BS.el("div");
    sheet.id = "sheet";
    BS.content(label, sheet);
    select.addEventListener("change", () => load());

    async function load(note) {
      const r = await BS.api("/console/api/marks/" + encodeURIComponent(select.value));
      if (!r.ok) { sheet.replaceChildren(BS.message(r.data.error, true)); return; }
      const d = r.data;
      const parts = [];
      if (note) parts.push(note);
      let module = null;
      let table = null;
      for (const row of d.rows) {
        if (row.module !== module) {
          module = row.module;
          const h = BS.el("h2", "", BS.t("common.module") + " " + module);
          if (row.locked) h.append(" ", BS.el("span", "badge locked", BS.t("common.locked")));
          table = BS.table(["judge.aspect", "judge.status", "judge.my_score", "judge.others",
            "common.mark"], [], "marks");
          parts.push(h, table);
        }
        table.append(aspectRow(d, row));
      }
      const total = BS.el("p", "total", BS.t("common.total") + ": " + BS.num(d.total) + " / " +
        BS.num(d.max));
      total.id = "total";
      parts.push(total);
      sheet.replaceChildren(...parts);
    }

    function aspectRow(d, row) {
      const tr = BS.el("tr", "aspect status-" + row.status);
      tr.dataset.aspect = row.aspect;
      const what = BS.el("td");
      what.append(BS.el("strong", "", row.aspect + " "), row.description,
        BS.el("div", "meta", row.type === "J" ? BS.t("judge.judged") : BS.t("judge.measured")));
      if (row.type === "J") {
        const list = BS.el("ul", "descriptors");
        const texts = row.descriptors || ["judge.desc0", "judge.desc1", "judge.desc2",
          "judge.desc3"].map((k) => BS.t(k));
        for (const tx of texts) list.append(BS.el("li", "", tx));
        what.append(list);
      }
      const status = BS.el("td");
      status.append(BS.el("span", "status " + row.status, BS.t("status." + row.status)));
      if (row.status === "spread") status.append(BS.el("div", "warn", BS.t("judge.spread")));
      if (row.detail) status.append(BS.el("div", "meta", row.detail));
      if (row.override) {
        status.append(BS.el("div", "override", BS.t("judge.overridden",
          { reason: row.override.reason }) + " — " + row.override.entered_by));
      }
      const entry = BS.el("td", "entry");
      if (row.entered && d.can_enter) {
        const mine = row.judges.find((j) => j.judge === d.me);
        const group = BS.el("div", "scores");
        let chosen = mine ? mine.score : null;
        const max = row.type === "J" ? 3 : row.max_mark;
        if (row.type === "J") {
          for (let s = 0; s <= 3; s++) {
            const b = BS.el("button", "score" + (chosen === s ? " chosen" : ""), String(s));
            b.type = "button";
            b.dataset.score = String(s);
            b.disabled = row.locked;
            b.addEventListener("click", () => {
              chosen = s;
              for (const o of group.children) o.classList.toggle("chosen", o === b);
            });
            group.append(b);
          }
        } else {
          const i = BS.input("number", "mark");
          i.min = "0"; i.max = String(max); i.step = "0.01";
          if (chosen !== null) i.value = String(chosen);
          i.disabled = row.locked;
          i.addEventListener("input", () => { chosen = i.value === "" ? null : Number(i.value); });
          group.append(i);
        }
        const reason = BS.input("text", "reason", BS.t("judge.change_reason"));
        reason.disabled = row.locked;
        const save = BS.button("common.save", async () => {
          if (chosen === null) return;
          const r = await BS.api("/console/api/judgements", { method: "POST", body: {
            competitor: select.value, aspect: row.aspect, score: chosen, reason: reason.value } });
          load(BS.message(r.ok ? BS.t("common.saved") + " " + row.aspect : (r.data.error || BS.t("common.error")), !r.ok));
        }, "save");
        save.disabled = row.locked;
        entry.append(group, reason, save);
      } else if (row.locked) {
        entry.append(BS.el("span", "meta", BS.t("judge.locked")));
      }
      const others = BS.el("td");
      for (const j of row.judges) others.append(BS.el("div", "judge", j.judge + ": " + BS.num(j.score)));
      const mark = BS.el("td", "num");
      mark.append(BS.el("strong", "", BS.num(row.mark)), " / " + BS.num(row.max_mark));
      if (d.can_override && !row.locked) {
        const box = BS.el("details", "override-box");
        box.append(BS.el("summary", "", BS.t("judge.override")));
        const val = BS.input("number", "override_mark", BS.t("judge.override_mark"));
        val.step = "0.01"; val.min = "0"; val.max = String(row.max_mark);
        const why = BS.input("text", "override_reason", BS.t("common.reason"));
        const apply = BS.button("common.save", async () => {
          if (!why.value.trim()) { box.append(BS.message(BS.t("common.reason_needed"), true)); return; }
          const r = await BS.api("/console/api/overrides", { method: "POST", body: {
            competitor: select.value, aspect: row.aspect,
            mark: val.value === "" ? null : Number(val.value), reason: why.value } });
          load(BS.message(r.ok ? BS.t("common.saved") : (r.data.error || BS.t("common.error")), !r.ok));
        }, "save");
        box.append(val, why, apply);
        mark.append(box);
      }
      tr.append(what, status, entry, others, mark);
      return tr;
    }
    load();
  };

  // ---- chief expert: clocks, time limits, locks, reports
  BS.pages.control = function () {
    let busy = false;
    async function act(module, action, bodyData) {
      const r = await BS.api("/console/api/competition/" + encodeURIComponent(module) + "/" + action,
        { method: "POST", body: bodyData || {} });
      let text = r.ok ? BS.t("common.saved") : (r.data.error || BS.t("common.error"));
      if (r.ok && r.data.warning) text += " " + BS.t("control.no_mqtt");
      render(BS.message(text, !r.ok || !!r.data.warning));
    }
    async function render(note) {
      busy = true;
      const r = await BS.api("/console/api/competition");
      busy = false;
      if (!r.ok) { BS.content(BS.message(r.data.error || BS.t("common.event_none"), true)); return; }
      const d = r.data;
      const parts = [];
      if (note) parts.push(note);
      if (!d.mqtt) parts.push(BS.message(BS.t("control.no_mqtt"), true));
      parts.push(BS.el("h2", "", d.event.name + " · " + BS.t("control.modules")));
      const rows = d.modules.map((m) => {
        const tr = BS.el("tr");
        tr.dataset.module = m.id;
        const clock = BS.el("td", "clock", BS.clockText(m.clock));
        clock.dataset.state = m.clock.state;
        const buttons = BS.el("td", "buttons");
        for (const [key, action] of [["control.start", "start"], ["control.freeze", "freeze"],
          ["control.resume", "resume"], ["control.stop", "stop"], ["control.measure", "measure"],
          ["control.self_check", "self_check"]]) {
          buttons.append(BS.button(key, () => act(m.id, action)));
        }
        const limit = BS.el("td", "limit");
        const minutes = BS.input("number", "minutes");
        minutes.value = String(Math.round(m.clock.time_limit_s / 60));
        minutes.min = "0";
        const reason = BS.input("text", "reason", BS.t("common.reason"));
        const apply = BS.button("control.apply", () => {
          if (!reason.value.trim()) { render(BS.message(BS.t("common.reason_needed"), true)); return; }
          act(m.id, "time_limit", { minutes: Number(minutes.value), reason: reason.value });
        });
        limit.append(minutes, reason, apply);
        const lock = BS.el("td", "lock");
        lock.append(BS.el("span", "badge " + (m.locked ? "locked" : "open"),
          BS.t(m.locked ? "common.locked" : "common.open")), " ");
        const lockReason = BS.input("text", "lock_reason", BS.t("common.reason"));
        lock.append(lockReason, BS.button(m.locked ? "control.unlock" : "control.lock",
          () => act(m.id, m.locked ? "unlock" : "lock", { reason: lockReason.value })));
        tr.append(BS.el("td", "", m.id + " · " + m.name), clock, limit, buttons, lock);
        return tr;
      });
      parts.push(BS.table(["common.module", "control.state", "control.limit_min",
        "station.commands", "control.marks"], rows, "control"));
      parts.push(BS.el("h2", "", BS.t("control.reports")));
      const list = BS.el("ul", "reports");
      for (const c of d.competitors) {
        const li = BS.el("li", "", c.id + " · " + c.name + " ");
        const html = BS.el("a", "", "HTML");
        html.href = "/console/report/" + encodeURIComponent(c.id);
        const pdf = BS.el("a", "", "PDF");
        pdf.href = "/console/report/" + encodeURIComponent(c.id) + ".pdf";
        li.append(html, " · ", pdf);
        list.append(li);
      }
      parts.push(list);
      parts.push(BS.el("p", "meta", BS.t("control.audit_head") + ": " + d.audit_head.hash.slice(0, 16) +
        "… (" + d.audit_head.count + ")"));
      BS.content(...parts);
    }
    render();
    // keep the clocks ticking without disturbing an input being typed in
    setInterval(() => {
      const active = document.activeElement;
      if (!busy && !(active && active.tagName === "INPUT")) render();
    }, 5000);
  };

  // ---- fleet health
  BS.pages.fleet = function () {
    BS.every(5000, async () => {
      const r = await BS.api("/console/api/fleet");
      if (!r.ok) return;
      const d = r.data;
      const s = d.summary;
      const rows = d.stations.map((st) => {
        const tr = BS.row(
          st.id,
          BS.el("span", "badge " + (st.online ? "ok" : "bad"), BS.t(st.online ? "health.online" : "health.offline")),
          st.state ? BS.t("state." + st.state) : "—",
          st.clock_offset_s === null || st.clock_offset_s === undefined ? (st.clock_synced === false ? BS.t("health.clock_bad") : "—")
            : (st.clock_offset_s * 1000).toFixed(1) + " ms" + (st.clock_synced === false ? " ⚠" : ""),
          st.bus_errors ? BS.el("span", "badge bad", String(st.bus_errors)) : "0",
          st.outbox_depth === null || st.outbox_depth === undefined ? "—"
            : (st.outbox_full ? BS.el("span", "badge bad", BS.t("health.outbox_full")) : String(st.outbox_depth)),
          st.cpu_temp_c === null || st.cpu_temp_c === undefined ? "—" : BS.num(st.cpu_temp_c) + " °C",
          Object.entries(st.calibration || {}).map(([k, v]) => k + ": " + v).join(", ") || "—",
          st.sw || "—",
          BS.ago(d.now, st.last_seen));
        tr.dataset.station = st.id;
        return tr;
      });
      BS.content(BS.el("p", "summary", BS.t("fleet.summary", { online: s.online, total: s.total,
        errors: s.bus_errors, backlog: s.backlog })),
      BS.table(["common.station", "fleet.online", "common.state", "fleet.clock", "fleet.bus_errors",
        "fleet.backlog", "fleet.cpu", "fleet.calibration", "fleet.sw", "fleet.last_seen"], rows, "fleet"));
    });
  };

  // ---- audit log
  BS.pages.audit = async function () {
    const r = await BS.api("/console/api/audit");
    if (!r.ok) { BS.content(BS.message(r.data.error, true)); return; }
    const v = r.data.verify;
    const banner = v.ok ? BS.message(BS.t("audit.verify_ok", { n: v.count, head: v.head.slice(0, 16) + "…" }), false)
      : BS.message(BS.t("audit.verify_bad", { problem: v.problem }), true);
    banner.id = "verify";
    const exp = BS.el("a", "button", BS.t("audit.export"));
    exp.href = "/console/api/audit/export";
    exp.id = "export";
    const rows = r.data.entries.map((e) => {
      const tr = BS.row(e.id, BS.time(e.ts), e.actor, e.action, e.subject, e.old || "—", e.new || "—",
        e.reason || "");
      tr.title = e.hash;
      return tr;
    });
    BS.content(banner, exp, BS.table(["#", "common.when", "common.who", "audit.action", "audit.subject",
      "audit.old", "audit.new", "common.reason"], rows, "audit"));
  };

  // ---- accounts
  BS.pages.users = async function () {
    async function render(note) {
      const r = await BS.api("/console/api/users");
      if (!r.ok) return;
      const form = BS.el("form", "add-user");
      const name = BS.input("text", "username", BS.t("login.username"));
      const role = BS.el("select");
      role.name = "role";
      for (const x of r.data.roles) { const o = BS.el("option", "", BS.t("role." + x)); o.value = x; role.append(o); }
      const display = BS.input("text", "display_name", BS.t("users.display_name"));
      const contestant = BS.input("text", "contestant", BS.t("common.contestant"));
      const submit = BS.el("button", "primary", BS.t("users.add"));
      submit.type = "submit";
      form.append(name, role, display, contestant, submit);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const a = await BS.api("/console/api/users", { method: "POST", body: { username: name.value,
          role: role.value, display_name: display.value, contestant: contestant.value || null } });
        render(BS.message(a.ok ? BS.t("users.created") + " " + name.value + ": " + a.data.password
          : (a.data.error || BS.t("common.error")), !a.ok));
      });
      const rows = r.data.users.map((u) => BS.row(u.username, BS.t("role." + u.role), u.display_name,
        u.contestant || "", u.disabled ? BS.t("users.disabled") : ""));
      BS.content(...(note ? [note] : []), form, BS.table(["login.username", "users.role",
        "users.display_name", "common.contestant", ""], rows));
    }
    render();
  };

  // ---- a contestant's own results
  BS.pages.me = function () {
    BS.every(5000, async () => {
      const r = await BS.api("/console/api/results/me");
      if (!r.ok) { BS.content(BS.message(r.data.error || BS.t("common.error"), true)); return; }
      const d = r.data;
      const parts = [BS.el("h2", "", BS.t("me.heading", { name: d.competitor.name }))];
      if (d.clock) parts.push(BS.el("p", "clock", BS.t("common.time_left") + ": " + BS.clockText(d.clock)));
      if (d.marks.length) {
        parts.push(BS.table(["judge.aspect", "common.mark", "common.max"], d.marks.map((m) =>
          BS.row(m.aspect + " " + m.description, BS.num(m.mark), BS.num(m.max_mark))), "marks"));
        parts.push(BS.el("p", "total", BS.t("common.total") + ": " + BS.num(d.total)));
      } else {
        parts.push(BS.el("p", "meta", BS.t("me.marks_pending")));
      }
      parts.push(BS.el("h2", "", BS.t("me.runs")));
      for (const run of d.runs) {
        const h = BS.el("h3", "", run.station + " · " + run.run_id + " · " + BS.time(run.ended_at) + " ");
        h.append(BS.outcome(run.outcome));
        const rows = run.measurements.map((m) => BS.row(m.name, BS.num(m.value), m.unit,
          m.limits ? BS.limits(m.limits) : BS.el("span", "meta hidden-limits", BS.t("meas.limits_hidden")),
          BS.outcome(m.outcome)));
        parts.push(h, BS.table(["meas.name", "meas.value", "meas.unit", "meas.limits", "common.outcome"],
          rows, "measurements"));
      }
      BS.content(...parts);
    });
  };

  BS.pages.denied = function () {
    BS.content(BS.message(BS.t("denied.text"), true));
  };

  document.addEventListener("DOMContentLoaded", () => {
    header();
    const page = BS.pages[BS.page];
    if (page) page();
  });
})();
