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

  BS.locale = document.documentElement.lang || "en";
  const plurals = new Intl.PluralRules(BS.locale);
  const numbers = {};

  // A text of the page's catalogue; a plural text picks its form by vars.n (CLDR categories).
  BS.t = function (key, vars) {
    let s = Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key;
    vars = vars || {};
    if (s && typeof s === "object") {
      const n = typeof vars.n === "number" ? vars.n : 0;
      s = s[plurals.select(n)] || s.other || Object.values(s).pop();
      vars = Object.assign({}, vars, { n: BS.num(n) });
    }
    for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
    return s;
  };
  BS.has = function (key) { return Object.prototype.hasOwnProperty.call(I18N, key); };

  BS.el = function (tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };

  // A number with up to 4 significant digits in the page's number format.
  BS.num = function (v, digits) {
    if (v === null || v === undefined) return "—";
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e7 || a < 1e-4)) return v.toExponential(3);
    const d = digits || 4;
    const fmt = numbers[d] || (numbers[d] = new Intl.NumberFormat(BS.locale,
      { maximumSignificantDigits: d, numberingSystem: "latn" }));
    return a >= 10 ** d ? Math.round(v).toLocaleString(BS.locale) : fmt.format(v);
  };

  BS.dur = function (s) {
    if (s === null || s === undefined) return "—";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
  };

  // One date format everywhere: the reader's locale, local time.
  const dates = new Intl.DateTimeFormat(BS.locale, { dateStyle: "medium", timeStyle: "medium" });
  BS.time = function (ts) {
    if (typeof ts !== "number") return "—";
    return dates.format(new Date(ts * 1000));
  };

  BS.ago = function (now, t) {
    if (typeof t !== "number") return "—";
    const s = Math.max(0, Math.round(now - t));
    if (s < 60) return BS.t("unit.s", { n: s });
    if (s < 3600) return BS.t("unit.min", { n: Math.floor(s / 60) });
    return BS.t("unit.h", { n: Math.floor(s / 3600) });
  };

  // a verdict decided inside the uncertainty: a limit within [value - u, value + u]
  BS.insideU = function (m) {
    if (m.u == null || m.value == null || !m.limits) return false;
    return ["low", "high", "marginal_low", "marginal_high"].some(
      (k) => m.limits[k] != null && Math.abs(m.value - m.limits[k]) <= m.u * (1 + 1e-12));
  };

  BS.limits = function (l, unit, passOnly) {
    if (!l) return "";
    const u = unit ? " " + unit : "";
    const none = (x) => x === undefined || x === null;
    const band = (lo, hi) => {
      if (none(lo) && none(hi)) return "";
      if (none(hi)) return "≥ " + BS.num(lo) + u;
      if (none(lo)) return "≤ " + BS.num(hi) + u;
      return BS.num(lo) + " – " + BS.num(hi) + u;
    };
    const marginal = passOnly ? "" : band(l.marginal_low, l.marginal_high);
    return band(l.low, l.high) + (marginal ? " (" + marginal + ")" : "");
  };

  // "work_mean_lx" -> ["mean illuminance (work scene)" in the page's language, "lx"]
  const UNITS = { _v: "V", _a: "A", _w: "W", _lx: "lx", _c: "°C", _s: "s", _wh: "Wh", _mah: "mAh",
    _pct: "%", _k: "K", _hz: "Hz" };
  const PARTS = ["work", "meeting", "warm", "cool", "check"];
  BS.quantity = function (name) {
    let base = name.toLowerCase();
    let unit = "";
    for (const suffix of Object.keys(UNITS)) {
      if (base.endsWith(suffix)) {
        base = base.slice(0, -suffix.length);
        unit = UNITS[suffix];
        break;
      }
    }
    if (BS.has("q." + base)) return [BS.t("q." + base), unit];
    const cut = base.indexOf("_");
    const part = cut > 0 ? base.slice(0, cut) : "";
    if (PARTS.includes(part) && BS.has("q." + base.slice(cut + 1))) {
      return [BS.t("q." + base.slice(cut + 1)) + " (" + BS.t("part." + part) + ")", unit];
    }
    return [name, unit];
  };

  BS.phase = function (p) {
    return BS.has("phase." + p) ? BS.t("phase." + p) : p;
  };

  // A station's reason in the reader's language: reason.<code> with its parameters, else the
  // station's English text. Numbers are formatted, a "quantity" parameter is named.
  BS.reason = function (code, params, english) {
    const key = "reason." + code;
    if (!code || !BS.has(key)) return english || "";
    const shown = {};
    for (const [k, v] of Object.entries(params || {})) {
      shown[k] = typeof v === "number" ? BS.num(v) : (k === "quantity" ? BS.quantity(String(v))[0] : v);
    }
    const text = BS.t(key, shown);
    return /\{\w+\}/.test(text) ? (english || "") : text;
  };

  // Why a measurement failed, from its fields (code and parameters) rather than its English text.
  BS.measurementReason = function (m) {
    if (m.code) return BS.reason(m.code, m.params, m.reason);
    const l = m.limits;
    if (!l || typeof m.value !== "number") return m.reason || "";
    const unit = BS.quantity(m.name)[1] || m.unit || "";
    const range = BS.limits(l, unit, true);
    if (l.low !== undefined && l.low !== null && m.value < l.low) {
      return BS.reason("too_low", { quantity: m.name, value: m.value, unit: unit, range: range }, m.reason);
    }
    if (l.high !== undefined && l.high !== null && m.value > l.high) {
      return BS.reason("too_high", { quantity: m.name, value: m.value, unit: unit, range: range }, m.reason);
    }
    return m.reason || "";
  };

  // A run's reason: its failed measurements in words, else the station's text.
  BS.runReason = function (run) {
    if (run.code) return BS.reason(run.code, run.params, run.reason);
    const bad = (run.measurements || []).filter((m) => m.outcome === "fail" && m.limits);
    if (bad.length) return bad.map(BS.measurementReason).join(" · ");
    return run.reason || "";
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

  // A refusal from the server in the reader's language (error.<code>), else its English text.
  BS.errorText = function (data) {
    data = data || {};
    if (data.code && BS.has("error." + data.code)) {
      const params = {};
      for (const [k, v] of Object.entries(data.params || {})) params[k] = typeof v === "number" ? BS.num(v) : v;
      return BS.t("error." + data.code, params);
    }
    return data.error || BS.t("common.error");
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
    if (sw) sw.addEventListener("change", () => {
      document.cookie = "bs_lang=" + sw.value + "; path=/; max-age=31536000; samesite=lax";
      const url = new URL(location.href);
      url.searchParams.delete("lang");
      location.href = url.toString();
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

  // ---- public board: a scoreboard of the marks that count (locked, or labelled provisional).
  // ?large=1: a wall display (no header, big type). Long lists rotate page by page.
  BS.pages.board = function () {
    const params = new URLSearchParams(location.search);
    const large = params.get("large") === "1";
    if (large) document.body.classList.add("board-large");
    const ROTATE_MS = Number(params.get("rotate_s") || 10) * 1000;
    let page = 0;
    let data = null;

    function rowsPerPage(list) {
      const first = list.querySelector(".brow[data-competitor]");
      const room = window.innerHeight - list.getBoundingClientRect().top - 24 -
        (document.querySelector(".pager") || { offsetHeight: 40 }).offsetHeight - 24;
      if (!first) return 1;
      return Math.max(1, Math.floor(room / (first.getBoundingClientRect().height + 6)));
    }

    function boardRow(row) {
      const r = BS.el("div", "brow" + (row.provisional ? " provisional" : ""));
      r.dataset.competitor = row.competitor;
      r.append(BS.el("span", "rank", String(row.rank)));
      const who = BS.el("span", "who");
      const name = BS.el("bdi", "name", row.name);
      who.append(name);
      if (row.member) who.append(BS.el("bdi", "team", row.member));
      const prog = BS.el("span", "progress");
      const bar = BS.el("span", "bar");
      const fill = BS.el("span");
      fill.style.width = Math.round(row.progress * 100) + "%";
      bar.append(fill);
      prog.append(bar, BS.el("span", "pct", BS.t("board.scored", { done: row.scored, count: row.count })));
      const total = BS.el("span", "score");
      const points = BS.el("span", "points");
      points.dir = "ltr";
      points.append(BS.el("strong", "", BS.num(row.total)), BS.el("span", "max", " / " + BS.num(row.max)));
      total.append(points);
      if (row.provisional) total.append(BS.el("span", "tag prov", BS.t("board.provisional")));
      else if (row.scored) total.append(BS.el("span", "tag final", BS.t("board.final")));
      if (row.discussing) {
        total.append(BS.el("span", "tag discuss", BS.t("board.discussing", { n: row.discussing })));
      }
      r.append(who, prog, total);
      return r;
    }

    function render() {
      if (!data) return;
      if (!data.event) { BS.content(BS.el("p", "meta", BS.t("common.event_none"))); return; }
      const head = BS.el("div", "bhead");
      head.append(BS.el("h2", "", data.event.name));
      const mods = BS.el("span", "mods");
      for (const m of data.modules || []) {
        mods.append(BS.el("span", "mod " + (m.locked ? "locked" : "open"),
          m.name + " · " + BS.t(m.locked ? "board.module_final" : "board.module_open")));
      }
      head.append(mods);
      const note = BS.el("p", "bnote", BS.t("board.note"));
      const list = BS.el("div", "blist");
      list.id = "board";
      const cols = BS.el("div", "brow bcols");
      for (const k of ["common.rank", "common.contestant", "common.progress", "board.points"]) {
        cols.append(BS.el("span", "", BS.t(k)));
      }
      list.append(cols);
      const pager = BS.el("p", "pager");
      BS.content(head, note, list, pager);
      if (!data.rows.length) { list.append(BS.el("p", "meta", BS.t("board.empty"))); return; }
      list.append(boardRow(data.rows[0]));
      const per = rowsPerPage(list);
      const pages = Math.max(1, Math.ceil(data.rows.length / per));
      page = page % pages;
      list.lastChild.remove();
      for (const row of data.rows.slice(page * per, (page + 1) * per)) list.append(boardRow(row));
      if (pages > 1) pager.textContent = BS.t("board.page", { page: page + 1, pages: pages });
      list.dataset.pages = String(pages);
      list.dataset.page = String(page + 1);
    }

    BS.every(5000, async () => {
      const r = await BS.api("/console/api/board");
      if (!r.ok) return;
      data = r.data;
      render();
    });
    setInterval(() => { page += 1; render(); }, ROTATE_MS);
    window.addEventListener("resize", render);
  };

  // ---- judgement entry and the mark sheet
  BS.pages.judge = async function () {
    const meta = await BS.api("/console/api/marks");
    if (!meta.ok) { BS.content(BS.message(BS.errorText(meta.data), true)); return; }
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
      if (!r.ok) { sheet.replaceChildren(BS.message(BS.errorText(r.data), true)); return; }
      const d = r.data;
      const parts = [];
      if (note) parts.push(note);
      let module = null;
      let table = null;
      for (const row of d.rows) {
        if (row.module !== module) {
          module = row.module;
          const h = BS.el("h2", "", BS.t("common.module") + ": " + ((d.modules || {})[module] || module));
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
      const scores = row.judges.map((j) => BS.num(j.score)).join(", ");
      if (row.status === "spread") {
        const values = row.judges.map((j) => j.score);
        status.append(BS.el("div", "warn", BS.t("judge.spread_words", { scores: scores,
          spread: BS.num(Math.max(...values) - Math.min(...values)), max: BS.num(row.max_spread) })));
      } else if (row.type === "J" && row.judges.length) {
        status.append(BS.el("div", "meta", BS.t("judge.scores_words", { scores: scores })));
      } else if (row.detail && row.type !== "J") {
        status.append(BS.el("div", "meta", row.detail));
      }
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
        const note = BS.el("div", "field-msg");
        note.setAttribute("role", "alert");
        const say = (text) => {
          note.replaceChildren(BS.message(text, true));
          note.scrollIntoView({ block: "nearest" });
        };
        const save = BS.button("common.save", async () => {
          if (chosen === null) { say(BS.t(row.type === "J" ? "judge.choose_score" : "judge.enter_mark")); return; }
          if (mine && mine.score !== chosen && !reason.value.trim()) {
            say(BS.t("judge.reason_for_change"));
            reason.focus();
            return;
          }
          const r = await BS.api("/console/api/judgements", { method: "POST", body: {
            competitor: select.value, aspect: row.aspect, score: chosen, reason: reason.value } });
          if (!r.ok) { sayBS.errorText(r.data); return; }
          load(BS.message(BS.t("common.saved") + " " + row.aspect, false));
        }, "save");
        save.disabled = row.locked;
        entry.append(group, reason, save, note);
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
          load(BS.message(r.ok ? BS.t("common.saved") : BS.errorText(r.data), !r.ok));
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
  // The clock actions each clock state allows (the engine refuses the others too).
  const CLOCK_ACTIONS = {
    pending: ["start", "self_check"],
    running: ["freeze", "stop", "measure", "self_check"],
    frozen: ["resume", "stop", "self_check"],
    stopped: ["self_check"],
  };
  BS.pages.control = function () {
    let busy = false;
    async function act(module, action, bodyData) {
      const r = await BS.api("/console/api/competition/" + encodeURIComponent(module) + "/" + action,
        { method: "POST", body: bodyData || {} });
      let text = r.ok ? BS.t("common.saved") : BS.errorText(r.data);
      if (r.ok && r.data.warning) text += " " + BS.t("control.no_mqtt");
      render(BS.message(text, !r.ok || !!r.data.warning));
    }
    async function render(note) {
      busy = true;
      const r = await BS.api("/console/api/competition");
      busy = false;
      if (!r.ok) { BS.content(BS.message(BS.errorText(r.data), true)); return; }
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
        const allowed = CLOCK_ACTIONS[m.clock.state] || [];
        for (const [key, action] of [["control.start", "start"], ["control.freeze", "freeze"],
          ["control.resume", "resume"], ["control.stop", "stop"], ["control.measure", "measure"],
          ["control.self_check", "self_check"]]) {
          const b = BS.button(key, () => {
            if (action !== "self_check" &&
                !window.confirm(BS.t("control.confirm_" + action, { module: m.name }))) return;
            act(m.id, action);
          });
          b.disabled = !allowed.includes(action);
          if (b.disabled) b.title = BS.t("control.not_now", { state: BS.t("clock." + m.clock.state) });
          buttons.append(b);
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
          st.sw_current === false
            ? BS.el("span", "badge warn", st.sw + " · " + BS.t("fleet.outdated", { version: d.scorer_sw }))
            : (st.sw || "—"),
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
    if (!r.ok) { BS.content(BS.message(BS.errorText(r.data), true)); return; }
    const v = r.data.verify;
    const banner = v.ok ? BS.message(BS.t("audit.verify_ok", { n: v.count, head: v.head.slice(0, 16) + "…" }), false)
      : BS.message(BS.t("audit.verify_bad", { problem: v.problem }), true);
    banner.id = "verify";
    const exp = BS.el("a", "button", BS.t("audit.export"));
    exp.href = "/console/api/audit/export";
    exp.id = "export";
    const value = (v) => {
      if (v === null || v === undefined || v === "") return "—";
      let x = v;
      if (typeof v === "string") { try { x = JSON.parse(v); } catch (err) { return v; } }
      if (x === null) return "—";
      if (typeof x === "number") return BS.num(x);
      if (typeof x === "boolean") return BS.t(x ? "common.yes" : "common.no");
      if (typeof x !== "object") return String(x);
      return Object.entries(x).map(([k, y]) => {
        const label = BS.has("audit.field." + k) ? BS.t("audit.field." + k) : k;
        let shown = y;
        if (typeof y === "number") shown = /(_at|_ts)$/.test(k) ? BS.time(y) : BS.num(y);
        else if (typeof y === "boolean") shown = BS.t(y ? "common.yes" : "common.no");
        else if (y === null) shown = "—";
        else if (typeof y === "object") shown = JSON.stringify(y);
        if (k === "time_limit_s" && typeof y === "number") shown = BS.dur(y);
        if (k === "state" && BS.has("clock." + y)) shown = BS.t("clock." + y);
        return label + ": " + shown;
      }).join(" · ");
    };
    const rows = r.data.entries.map((e) => {
      const what = BS.has("audit.act." + e.action) ? BS.t("audit.act." + e.action) : e.action;
      const change = BS.el("span", "change");
      change.append(value(e.old), " → ", BS.el("strong", "", value(e.new)));
      const tr = BS.row(e.id, BS.time(e.ts), e.actor, what, e.subject, change, e.reason || "");
      tr.title = e.hash;
      return tr;
    });
    BS.content(banner, exp, BS.table(["#", "common.when", "common.who", "audit.action", "audit.subject",
      "audit.change", "common.reason"], rows, "audit"));
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
      // the least-privileged staff role unless the chief picks another
      if (r.data.roles.includes("viewer")) role.value = "viewer";
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
          : BS.errorText(a.data), !a.ok));
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
      if (!r.ok) { BS.content(BS.message(BS.errorText(r.data), true)); return; }
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
        const h = BS.el("h3", "", run.station + " · " + BS.time(run.ended_at) +
          (run.marked === false ? " · " + BS.t("report.self_check") : "") + " ");
        h.append(BS.outcome(run.outcome));
        const rows = run.measurements.map((m) => BS.row(BS.quantity(m.name)[0], BS.num(m.value), m.unit,
          m.limits ? BS.limits(m.limits) : BS.el("span", "meta hidden-limits", BS.t("meas.limits_hidden")),
          BS.outcome(m.outcome)));
        parts.push(h, BS.table(["meas.name", "meas.value", "meas.unit", "meas.limits", "common.outcome"],
          rows, "measurements"));
      }
      BS.content(...parts);
    });
  };

  // ---- the evidence report (HTML): the PDF link shows its progress while Chromium prints
  BS.pages.report = function () {
    const link = document.getElementById("pdf-link");
    const progress = document.getElementById("pdf-progress");
    if (!link || !progress) return;
    link.addEventListener("click", async (ev) => {
      ev.preventDefault();
      const started = Date.now();
      const tick = () => {
        progress.textContent = BS.t("report.pdf_wait", { s: Math.round((Date.now() - started) / 1000) });
      };
      tick();
      const timer = setInterval(tick, 500);
      try {
        const resp = await fetch(link.href, { credentials: "same-origin" });
        if (!resp.ok) throw new Error(String(resp.status));
        const blob = await resp.blob();
        progress.textContent = "";
        location.href = URL.createObjectURL(blob);
      } catch (err) {
        progress.textContent = BS.t("report.pdf_failed");
      } finally {
        clearInterval(timer);
      }
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
