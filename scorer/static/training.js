// The trainer's form on a group page: POST the time limit and the target (seconds; empty
// clears one) with the session's CSRF token, then reload to redraw the page with them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("limits");
    if (!form) return;
    const msg = document.getElementById("limits-msg");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const value = (name) => {
        const raw = form.elements[name].value.trim();
        return raw === "" ? null : Number(raw);
      };
      const resp = await fetch(`/console/api/training/group/${encodeURIComponent(form.dataset.group)}/limits`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf },
        body: JSON.stringify({ time_limit_s: value("time_limit_s"), target_s: value("target_s") }),
      });
      if (resp.ok) {
        window.location.reload();
        return;
      }
      const data = await resp.json().catch(() => ({}));
      msg.textContent = data.error || String(resp.status);
      msg.className = "warn";
    });
  });
})();
