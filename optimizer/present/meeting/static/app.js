"use strict";
// The meeting page: every control change re-solves the loaded model and redraws the plan.
// All text from the server is set with textContent (never as HTML).
(() => {
  const $ = (id) => document.getElementById(id);
  let base = null;          // controls of the base scenario
  let seq = 0;              // the newest request wins
  let timer = null;
  window.pboUpdates = 0;    // for tests and the latency benchmark
  window.pboLastUpdateMs = null;

  function token() { return sessionStorage.getItem("pbo-token") || ""; }

  async function api(path, body) {
    const res = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: {"Content-Type": "application/json", "X-PBO-Token": token()},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) { $("token-box").hidden = false; throw new Error("token"); }
    return res;
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function table(id, heads, rows, numeric) {
    const t = $(id);
    t.replaceChildren();
    const tr = el("tr");
    heads.forEach((h) => tr.appendChild(el("th", h)));
    t.appendChild(tr);
    rows.forEach((r) => {
      const row = el("tr");
      r.forEach((c, k) => row.appendChild(el("td", c, numeric && numeric[k] ? "num" : "")));
      t.appendChild(row);
    });
    if (!rows.length) { const row = el("tr"); row.appendChild(el("td", "—")); t.appendChild(row); }
  }

  function controls() {
    const page = {targets: {}, budgets: {}, red_lines_off: []};
    page.objective = $("objective-control").value;
    page.cost_sharing = $("sharing-control").value;
    document.querySelectorAll("[data-red-line]").forEach((box) => {
      if (!box.checked) page.red_lines_off.push(box.dataset.redLine);
    });
    document.querySelectorAll("[data-budget]").forEach((inp) => {
      page.budgets[inp.dataset.budget] = inp.value;
    });
    document.querySelectorAll("[data-target]").forEach((inp) => {
      const t = page.targets[inp.dataset.target] || (page.targets[inp.dataset.target] = {});
      t[inp.dataset.bound] = inp.value;
    });
    return page;
  }

  function money(x) {
    if (x === null || x === undefined) return "—";
    const sign = x < 0 ? "-" : "", a = Math.abs(x);
    if (a >= 999500) return `${sign}£${(a / 1e6).toFixed(2)}m`;
    if (a >= 1e4) return `${sign}£${Math.round(a / 1e3)}k`;
    return `${sign}£${Math.round(a)}`;
  }

  function showDeltas() {
    document.querySelectorAll("[data-budget]").forEach((inp) => {
      const d = inp.parentElement.querySelector(".delta");
      const pct = parseFloat(inp.value);
      const first = base.partners.find((p) => p.id === inp.dataset.budget).budget[0];
      d.textContent = pct ? `${pct > 0 ? "+" : ""}${pct}% (${money(first)} → `
        + `${money(first * (1 + pct / 100))} in year 1)` : "";
    });
    document.querySelectorAll("[data-target]").forEach((inp) => {
      const d = inp.parentElement.querySelector(".delta");
      const t = base.targets.find((x) => x.id === inp.dataset.target);
      const was = t[inp.dataset.bound];
      const now = inp.value.trim() === "" ? null : Number(inp.value);
      d.textContent = now === was || (now === null && was === null) ? "" : `base ${was ?? "none"}`;
    });
    document.querySelectorAll("[data-red-line]").forEach((box) => {
      box.parentElement.querySelector(".delta").textContent = box.checked ? "" : "lifted";
    });
    [["objective-control", base.objective], ["sharing-control", base.cost_sharing]]
      .forEach(([id, was]) => {
        const d = $(id).parentElement.querySelector(".delta");
        d.textContent = $(id).value === was ? "" : `base ${was}`;
      });
  }

  function buildControls(c) {
    base = c;
    $("title").textContent = c.name;
    const fill = (sel, items, value) => {
      sel.replaceChildren();
      items.forEach((o) => { const e = el("option", o.replaceAll("_", " ")); e.value = o; sel.appendChild(e); });
      sel.value = value;
      if (!sel.parentElement.querySelector(".delta")) sel.after(el("span", "", "delta"));
    };
    fill($("objective-control"), c.objectives, c.objective);
    fill($("sharing-control"), c.cost_sharing_rules, c.cost_sharing);
    const lines = $("red-line-controls"); lines.replaceChildren();
    c.red_lines.forEach((r) => {
      const lab = el("label"); const box = el("input"); box.type = "checkbox";
      box.checked = r.active; box.dataset.redLine = r.id; box.id = `rl-${r.id}`;
      lab.appendChild(box);
      lab.appendChild(document.createTextNode(` ${r.description || r.id} (${r.owner || "owner not given"}; ${r.id})`));
      lab.appendChild(el("span", "", "delta"));
      lines.appendChild(lab);
    });
    const budgets = $("budget-controls"); budgets.replaceChildren();
    c.partners.forEach((p) => {
      const lab = el("label", `${p.name || p.id} `); const inp = el("input");
      inp.value = "0"; inp.size = 5; inp.dataset.budget = p.id; inp.id = `budget-${p.id}`;
      lab.appendChild(inp); lab.appendChild(el("span", "", "delta")); budgets.appendChild(lab);
    });
    const targets = $("target-controls"); targets.replaceChildren();
    c.targets.forEach((t) => {
      ["min", "max"].forEach((bound) => {
        if (t[bound] === null && !(bound === "min" && t.max === null)) return;
        const lab = el("label", `${t.id} ${bound === "min" ? "at least" : "at most"} `);
        const inp = el("input"); inp.value = t[bound] ?? ""; inp.dataset.target = t.id;
        inp.dataset.bound = bound; inp.id = `target-${t.id}-${bound}`;
        lab.appendChild(inp); lab.appendChild(el("span", "", "delta")); targets.appendChild(lab);
      });
    });
    ["compare-a", "compare-b"].forEach((id, k) => {
      const sel = $(id); sel.replaceChildren();
      c.saved.forEach((n) => { const e = el("option", n); e.value = n; sel.appendChild(e); });
      if (c.saved.length > k) sel.value = c.saved[k];
    });
    document.querySelectorAll("#controls input, #controls select").forEach((e) => {
      if (e.closest(".control-group") && !["objective-control", "sharing-control"].includes(e.id)) return;
      e.addEventListener("change", schedule);
    });
    showDeltas();
  }

  function render(plan) {
    $("objective-name").textContent = plan.objective_name;
    $("objective").textContent = plan.objective_text;
    $("objective").dataset.value = plan.objective === null ? "" : String(plan.objective);
    $("objective-change").textContent = plan.change_text ? `(${plan.change_text} against base)` : "";
    $("status").textContent = plan.status;
    $("status").className = "status" + (plan.status === "optimal" ? "" : " bad");
    const head = $("headline"); head.replaceChildren();
    plan.headline.forEach((s) => head.appendChild(el("p", s)));
    const warn = $("warnings"); warn.replaceChildren();
    plan.warnings.forEach((w) => warn.appendChild(el("p", `warning: ${w}`, "warning")));
    table("interventions", ["intervention", "units"],
      plan.interventions.map((r) => [r.name, r.units]), [false, true]);
    table("pays", ["partner", "intervention", "pays"],
      plan.pays.map((r) => [r.partner, r.intervention, r.amount]), [false, false, true]);
    table("partners", ["partner", "pays", "cashable benefit", "net", "payback"],
      plan.partners.map((p) => [p.name, p.pays, p.benefit, p.net, p.payback ?? "—"]),
      [false, true, true, true, true]);
    table("targets", ["target", "required", "achieved", "met"],
      plan.targets.map((t) => [t.id, t.required_text, t.achieved_text,
        t.met === null ? "—" : (t.met ? "yes" : "NO")]), [false, true, true, false]);
    renderRedLines(plan);
  }

  function renderRedLines(plan) {
    table("red-lines", ["red line", "owner", "binding", "costs the plan"],
      plan.red_lines.map((r) => [r.description || r.id, r.owner || "—",
        r.binding === null ? "checking…" : (r.binding ? "yes" : "no"),
        r.binding ? costText(r) : ""]), [false, false, false, true]);
  }

  // "£18.6k", or "£18.6k to £22.6k" while the relaxed optimum is only bracketed
  function costText(r) {
    const low = money(Math.abs(r.cost || 0));
    const high = r.cost_at_most === null || r.cost_at_most === undefined ? low
      : money(Math.abs(r.cost_at_most));
    return high === low ? low : low + " to " + high;
  }

  function problems(list) {
    const box = $("problems");
    box.hidden = !list.length;
    box.textContent = list.join("\n");
  }

  function schedule() {
    showDeltas();
    clearTimeout(timer);
    const started = performance.now();
    timer = setTimeout(() => resolve(started), 50);
  }

  async function resolve(started) {
    const mine = ++seq;
    $("busy").hidden = false;
    try {
      const res = await api("/api/solve", controls());
      const body = await res.json();
      if (mine !== seq) return;
      if (!res.ok) { problems(body.problems || ["the solve failed"]); return; }
      problems([]);
      render(body);
      window.pboLastUpdateMs = performance.now() - started;
      window.pboUpdates += 1;
      bindingFor(mine);
    } finally {
      if (mine === seq) $("busy").hidden = true;
    }
  }

  // Which red lines bind takes a re-solve each: asked for once the plan is on screen.
  async function bindingFor(mine) {
    const res = await api("/api/binding", controls());
    if (mine !== seq || !res.ok) return;
    const body = await res.json();
    if (mine !== seq) return;
    renderRedLines(body);
  }

  async function post(path, body, onOk) {
    const res = await api(path, body);
    const out = await res.json();
    if (!res.ok) { problems(out.problems || ["failed"]); return null; }
    problems([]);
    return onOk(out);
  }

  async function download(kind, name) {
    const res = await api(`/api/download/${kind}`, controls());
    if (!res.ok) { problems((await res.json()).problems || ["failed"]); return; }
    const url = URL.createObjectURL(await res.blob());
    const a = el("a"); a.href = url; a.download = name; document.body.appendChild(a);
    a.click(); a.remove(); URL.revokeObjectURL(url);
  }

  function wire() {
    $("save").addEventListener("click", () => post("/api/save",
      {name: $("save-name").value, controls: controls()}, (out) => {
        $("save-message").textContent = `Saved "${out.saved}" into the scenario file.`;
        const keep = controls(); buildControls(out.controls); restore(keep);
      }));
    $("reset").addEventListener("click", () => { buildControls(base); schedule(); });
    $("compare").addEventListener("click", () => post("/api/compare",
      {a: $("compare-a").value, b: $("compare-b").value}, (out) => {
        const box = $("compare-out"); box.replaceChildren(el("h2", `Compare ${out.names[0]} and ${out.names[1]}`));
        const t = el("table"); t.id = "compare-table"; box.appendChild(t);
        const rows = [["objective", out.plans[0].objective_text, out.plans[1].objective_text],
          ["status", out.plans[0].status, out.plans[1].status],
          ["interventions", out.plans[0].interventions.map((r) => r.name).join(", "),
            out.plans[1].interventions.map((r) => r.name).join(", ")]];
        out.plans[0].partners.forEach((p, k) => rows.push([`${p.name}: net`, p.net, (out.plans[1].partners[k] || {}).net]));
        table("compare-table", ["", out.names[0], out.names[1]], rows);
      }));
    $("download-pack").addEventListener("click", () => download("pack", "pack.html"));
    $("download-workbook").addEventListener("click", () => download("workbook", "result.xlsx"));
    $("alternatives").addEventListener("click", () => post("/api/alternatives",
      {controls: controls(), slack: Number($("alt-slack").value) / 100,
       count: Number($("alt-count").value)}, (out) => {
        const box = $("alternatives-out");
        box.replaceChildren(el("h2", "Near-optimal alternatives"), el("p", out.message, "small"));
        const t = el("table"); t.id = "alternatives-table"; box.appendChild(t);
        table("alternatives-table", ["alternative", "objective"],
          out.alternatives.map((a) => [a.label, a.objective.objective_text]), [false, true]);
      }));
    $("token-go").addEventListener("click", () => {
      sessionStorage.setItem("pbo-token", $("token").value);
      $("token-box").hidden = true; start();
    });
  }

  function restore(page) {
    document.querySelectorAll("[data-red-line]").forEach((b) => { b.checked = !page.red_lines_off.includes(b.dataset.redLine); });
    document.querySelectorAll("[data-budget]").forEach((i) => { i.value = page.budgets[i.dataset.budget]; });
    document.querySelectorAll("[data-target]").forEach((i) => { i.value = page.targets[i.dataset.target][i.dataset.bound]; });
    $("objective-control").value = page.objective; $("sharing-control").value = page.cost_sharing;
    showDeltas();
  }

  async function start() {
    const res = await api("/api/state");
    const body = await res.json();
    buildControls(body.controls);
    render(body.plan);
    window.pboUpdates += 1;
  }

  wire();
  start().catch(() => {});
})();
