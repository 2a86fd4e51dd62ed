// The contestant's screen: polls the station's view twice a second and shows its state, the
// module clock and the open prompt, in the language the page was served in (texts in #cfg).
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("cfg").textContent);
  const T = cfg.texts;
  const locale = cfg.lang === "zh" ? "zh-CN" : cfg.lang;
  const nf = new Intl.NumberFormat(locale, { maximumSignificantDigits: 4, numberingSystem: "latn", useGrouping: false });
  const UNITS = ["_v", "_a", "_w", "_lx", "_c", "_s", "_wh", "_mah", "_pct", "_k", "_hz"];
  let view = null;
  let fetchedAt = 0;
  let shown = "";
  let failures = 0;

  function t(key, params) {
    let s = T[key];
    if (s === undefined) return key;
    for (const [k, v] of Object.entries(params || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // A measured quantity's name in words: "warm_current_a" -> "Current (warm)".
  function quantity(name) {
    let base = String(name).toLowerCase();
    for (const u of UNITS) if (base.endsWith(u)) { base = base.slice(0, -u.length); break; }
    if (("q." + base) in T) return T["q." + base];
    const cut = base.indexOf("_");
    if (cut > 0 && ("q." + base.slice(cut + 1)) in T) {
      return T["q." + base.slice(cut + 1)] + " (" + base.slice(0, cut) + ")";
    }
    return name;
  }

  // reason.<code> with its parameters in this language, else the station's English text.
  function reason(code, params, english) {
    const key = "reason." + code;
    if (!code || !(key in T)) return english || "";
    const shownParams = {};
    for (const [k, v] of Object.entries(params || {})) {
      shownParams[k] = typeof v === "number" ? nf.format(v) : (k === "quantity" ? quantity(v) : v);
    }
    const text = t(key, shownParams);
    return /\{\w+\}/.test(text) ? (english || "") : text;
  }

  function phase(p) {
    if (!p) return "";
    if (p.startsWith("channel_")) return t("phase.channel", { name: p.slice(8) });
    return ("phase." + p) in T ? T["phase." + p] : p;
  }

  function stationNow() {
    return view.now + (Date.now() / 1000 - fetchedAt);
  }

  function mmss(s) {
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(sec);
  }

  async function answer(prompt, value, note) {
    let resp;
    try {
      resp = await fetch("answer", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Screen-Token": cfg.token },
        body: JSON.stringify({ prompt: prompt.id, value: value }),
      });
    } catch (err) {
      note.textContent = t("screen.no_link");
      return;
    }
    if (!resp.ok) {
      const data = await resp.json().catch(() => ({}));
      note.textContent = data.detail || t("screen.no_link");
    }
  }

  function promptPanel(p) {
    const box = el("section", "prompt");
    box.id = "prompt";
    box.dataset.kind = p.kind;
    box.append(el("h2", "", t("prompt.title")));
    const text = p.code && ("prompt." + p.code) in T ? t("prompt." + p.code, p.params) : p.text;
    box.append(el("p", "question", text));
    const row = el("div", "answers");
    const note = el("p", "note");
    const button = (label, cls, value) => {
      const b = el("button", "answer " + cls, label);
      b.type = "button";
      b.addEventListener("click", () => answer(p, value, note));
      return b;
    };
    if (p.kind === "yes_no") {
      row.append(button(t("prompt.yes"), "yes", true), button(t("prompt.no"), "no", false));
      box.append(row, el("p", "hint", t("prompt.buttons_yes_no")));
    } else if (p.kind === "instruction") {
      row.append(button(t("prompt.done"), "yes", true));
      box.append(row, el("p", "hint", t("prompt.buttons_done")));
    } else {
      const input = el("input", "number");
      input.type = "number";
      input.inputMode = "decimal";
      input.step = "any";
      if (p.min !== undefined) input.min = p.min;
      if (p.max !== undefined) input.max = p.max;
      if (typeof p.default === "number") input.value = p.default;
      const ok = el("button", "answer yes", t("prompt.ok"));
      ok.type = "button";
      ok.addEventListener("click", () => {
        const v = Number(input.value);
        const low = typeof p.min === "number" ? p.min : -Infinity;
        const high = typeof p.max === "number" ? p.max : Infinity;
        if (input.value === "" || !Number.isFinite(v) || v < low || v > high) {
          note.textContent = t("prompt.bad_number", {
            min: typeof p.min === "number" ? nf.format(p.min) : "−∞",
            max: typeof p.max === "number" ? nf.format(p.max) : "∞",
          });
          return;
        }
        answer(p, v, note);
      });
      row.append(input, ok);
      box.append(row);
    }
    const countdown = el("p", "countdown");
    countdown.id = "countdown";
    box.append(countdown, note);
    return box;
  }

  function defaultWord(p) {
    if (p.kind === "yes_no") return p.default ? t("prompt.yes") : t("prompt.no");
    if (p.kind === "instruction") return t("prompt.done");
    return typeof p.default === "number" ? nf.format(p.default) : "—";
  }

  function runReasons(run) {
    const out = [];
    if (run.code) out.push(reason(run.code, run.params, run.reason));
    else if (run.failed && run.failed.length) {
      for (const m of run.failed) out.push(reason(m.code, m.params, m.reason));
    } else if (run.reason) out.push(run.reason);
    if (run.more_failed) out.push("+" + nf.format(run.more_failed));
    return out.filter((s) => s);
  }

  function banner(v) {
    const state = v.state;
    const run = v.run;
    let cls = "state-" + state, icon = "", title = t("state." + state), lines = [], list = [];
    let call = "";
    if (state === "ready") {
      icon = "▶";
      lines.push(v.jig_closed === false ? t("state.jig_open") : t("state.ready_hint"));
      if (v.code) lines.push(reason(v.code, v.params, v.reason));
    } else if (state === "running") {
      icon = "↻";
      lines.push(t("state.running_hint"));
    } else if (state === "done" && run) {
      const pass = run.outcome === "pass";
      cls = pass ? "state-pass" : "state-fail";
      icon = pass ? "✓" : "✗";
      title = t(pass ? "state.pass" : "state.fail");
      if (pass) lines.push(t("reason.all_within"));
      else list = runReasons(run);
      if (v.code && v.code !== "all_within") lines.push(reason(v.code, v.params, v.reason));
      lines.push(t("state.again"));
    } else if (state === "fault") {
      icon = "⚠";
      call = t("state.fault_hint");
      list = run && run.outcome === "fault" ? runReasons(run) : [reason(v.code, v.params, v.reason)];
    } else {
      icon = "…";
    }
    const box = el("section", "banner " + cls);
    box.id = "banner";
    box.dataset.state = cls.slice(6);
    const head = el("div", "head");
    head.append(el("span", "icon", icon), el("h1", "title", title));
    box.append(head);
    if (call) box.append(el("p", "call", call));
    if (state === "running") {
      box.append(el("p", "phase", phase(v.phase)));
      if (typeof v.progress_pct === "number") {
        const bar = el("div", "bar");
        const fill = el("div", "fill");
        fill.style.inlineSize = Math.min(100, Math.max(0, v.progress_pct)) + "%";
        bar.append(fill);
        box.append(bar, el("p", "pct", t("progress.done", { pct: nf.format(Math.round(v.progress_pct)) })));
      }
    }
    if (list.length) {
      const ul = el("ul", "reasons");
      for (const r of list.filter((s) => s)) ul.append(el("li", "", r));
      box.append(ul);
    }
    for (const line of lines) if (line) box.append(el("p", "hint", line));
    return box;
  }

  function render() {
    const v = view;
    const key = JSON.stringify([v.state, v.run && v.run.run_id, v.code, v.reason, v.phase,
      v.progress_pct, v.jig_closed, v.prompt && v.prompt.id]);
    if (key !== shown) {
      shown = key;
      const main = document.getElementById("main");
      main.replaceChildren(banner(v));
      if (v.prompt) main.append(promptPanel(v.prompt));
      document.getElementById("who").textContent = t("screen.title", { station: v.station }) +
        (v.task ? " · " + v.task : "");
    }
    tick();
  }

  function tick() {
    if (!view) return;
    const clock = document.getElementById("clock");
    if (typeof view.time_limit_end === "number") {
      const left = view.time_limit_end - stationNow();
      clock.textContent = left > 0 ? t("screen.time_left") + " " + mmss(left) : t("screen.time_up");
      clock.className = "clock" + (left < 300 ? " low" : "");
    } else {
      clock.textContent = "";
    }
    const cd = document.getElementById("countdown");
    const p = view.prompt;
    if (cd && p && typeof p.expires_at === "number") {
      cd.textContent = t("prompt.default_in", { s: nf.format(Math.max(0, Math.ceil(p.expires_at - stationNow()))), answer: defaultWord(p) });
    }
    const conn = document.getElementById("conn");
    conn.textContent = failures > 3 ? t("screen.no_link") : (view.connected === false ? t("screen.offline") : "");
  }

  async function poll() {
    try {
      const resp = await fetch("view", { cache: "no-store" });
      if (!resp.ok) throw new Error(String(resp.status));
      view = await resp.json();
      fetchedAt = Date.now() / 1000;
      failures = 0;
      render();
    } catch (err) {
      failures += 1;
      tick();
    }
    setTimeout(poll, 500);
  }

  const nav = document.getElementById("langs");
  for (const [code, name] of Object.entries(cfg.langs)) {
    const a = el("a", code === cfg.lang ? "current" : "", name);
    a.href = "?lang=" + code;
    a.lang = code;
    nav.append(a);
  }
  setInterval(tick, 250);
  poll();
})();
