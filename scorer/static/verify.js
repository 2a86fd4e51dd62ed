// The public certificate check (/verify): read the chosen file, POST it to /verify/check, show
// the verdict in the page's language (texts from the frame's bs-i18n block).
(function () {
  "use strict";
  const texts = JSON.parse(document.getElementById("bs-i18n").textContent);
  const t = (key) => texts[key] || key;
  const has = (key) => key in texts;
  const lang = document.documentElement.lang || "en";

  function when(iso) {
    // a credential's date-time in the reader's language and time zone; as given if unreadable
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return iso;
    return d.toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
  }

  function revocation(c) {
    // the status in the page's language; the verifier's English line if the code is unknown
    const key = "ver.state." + c.status_code;
    return has(key) ? t(key).replace("{date}", when(c.status_date)) : c.status;
  }
  const out = () => document.getElementById("verdict");

  function row(label, value, dir = "ltr") {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = label;
    const td = document.createElement("td");
    const bdi = document.createElement("bdi");
    bdi.dir = dir; // marks, dates and ids left to right; a name in its own script
    bdi.textContent = value;
    td.appendChild(bdi);
    tr.append(th, td);
    return tr;
  }

  function show(result) {
    const box = out();
    box.replaceChildren();
    const head = document.createElement("p");
    head.className = result.valid ? "verdict valid" : "verdict invalid";
    head.id = "verdict-head";
    head.textContent = t(result.valid ? "ver.valid" : "ver.invalid");
    box.appendChild(head);
    if (!result.valid && result.code && has("ver.why." + result.code)) {
      const kind = document.createElement("p");  // the kind of failure, in the page's language
      kind.id = "verdict-kind";
      kind.className = "verdict-kind";
      kind.textContent = t("ver.why." + result.code);
      box.appendChild(kind);
    }
    if (!result.valid) {
      const why = document.createElement("p");
      why.id = "verdict-reason";
      why.dir = "ltr";
      why.textContent = result.reason;
      box.appendChild(why);
      return;
    }
    for (const c of result.credentials) {
      const table = document.createElement("table");
      table.className = "credential";
      table.append(
        row(t("ver.holder"), c.holder, "auto"),
        row(t("ver.standard"), c.standard),
        row(t("ver.issuer"), c.issuer),
        row(t("ver.issued"), when(c.issued), "auto"), // words of the reader's language
        row(t("ver.status"), revocation(c), "auto"),
        ...(c.results || []).map(([name, value]) => row(`${t("ver.results")}: ${name}`, value)),
      );
      box.appendChild(table);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const input = document.getElementById("credential-file");
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      const body = await file.text();
      try {
        const resp = await fetch("/verify/check", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        });
        const data = await resp.json();
        show(resp.ok ? data : { valid: false, reason: data.error || String(resp.status) });
      } catch (err) {
        show({ valid: false, reason: String(err) });
      }
    });
  });
})();
