// The fleet page's adoption panel: stations waiting to be adopted (their pairing code, serial,
// board, what their bench can run) with an Adopt form each. Runs beside console.js's fleet table
// and keeps its own element above it, so the table's refresh never wipes a half-typed form.
(function () {
  "use strict";
  const BS = window.BS;
  let shown = "";

  function panel() {
    let p = document.getElementById("adoption");
    if (!p) {
      p = BS.el("section", "adoption");
      p.id = "adoption";
      const content = document.getElementById("content");
      content.parentNode.insertBefore(p, content);
    }
    return p;
  }

  function form(st) {
    const f = BS.el("form", "adopt");
    f.dataset.code = st.code;
    const id = BS.el("input");
    id.name = "station";
    id.required = true;
    id.placeholder = BS.t("fleet.adopt_as");
    id.setAttribute("aria-label", BS.t("fleet.adopt_as"));
    const task = BS.el("input");
    task.name = "task";
    task.required = true;
    task.placeholder = BS.t("fleet.task");
    task.setAttribute("aria-label", BS.t("fleet.task"));
    const go = BS.el("button", "", BS.t("fleet.adopt"));
    go.type = "submit";
    const msg = BS.el("span", "msg");
    f.append(id, task, go, msg);
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const r = await BS.api("/console/api/fleet/adopt", { method: "POST",
        body: { code: st.code, station: id.value.trim(), task: task.value.trim() } });
      msg.textContent = r.ok ? BS.t("fleet.adopted", { station: r.data.station }) : r.data.error;
      msg.className = "msg " + (r.ok ? "ok" : "bad");
    });
    return f;
  }

  async function refresh() {
    const r = await BS.api("/console/api/fleet");
    if (!r.ok) return;
    const pending = r.data.pending || [];
    const key = pending.map((p) => p.kid).join(",");
    if (key === shown) return;
    shown = key;
    const p = panel();
    const head = BS.el("h2", "", BS.t("fleet.pending"));
    if (!pending.length) {
      p.replaceChildren(head, BS.el("p", "summary", BS.t("fleet.pending_none")));
      return;
    }
    const rows = pending.map((st) => {
      const tr = BS.row(BS.el("strong", "code", st.code), st.serial, st.model,
        (st.procedures || []).join(", "), st.sw, form(st));
      tr.dataset.code = st.code;
      return tr;
    });
    p.replaceChildren(head, BS.table(["fleet.code", "fleet.serial", "fleet.model",
      "fleet.can_run", "fleet.sw", "fleet.adopt"], rows, "pending"));
  }

  if (BS.page === "fleet") {
    refresh();
    setInterval(refresh, 3000);
  }
})();
