// Cairn studio: live updates (server-sent events), the step panel, log tail and search, zoom,
// and the cancel/rerun actions. Plain JavaScript, no dependencies. Text from the server is set
// with textContent; only fragments the server rendered (and escaped) are set as HTML.
"use strict";

(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function listen(url, handlers) {
    const source = new EventSource(url);
    for (const [event, handle] of Object.entries(handlers)) {
      source.addEventListener(event, (e) => handle(JSON.parse(e.data), source));
    }
    source.addEventListener("end", () => source.close());
    return source;
  }

  // -- the jobs list -----------------------------------------------------------------------
  function jobsList() {
    const table = document.getElementById("jobs");
    if (!table || !table.dataset.live) return;
    listen(table.dataset.live, {
      jobs: (data) => {
        for (const [name, state] of Object.entries(data)) {
          const row = table.querySelector(`tr[data-job="${CSS.escape(name)}"]`);
          if (!row) continue;
          const badge = row.querySelector(".status");
          badge.dataset.status = state.status;
          badge.textContent = state.status;
          row.querySelector(".duration").textContent = state.duration;
        }
      },
    });
  }

  // -- the job page ------------------------------------------------------------------------
  let logSource = null;

  function jobPage() {
    const root = document.getElementById("job");
    if (!root) return;
    let lastStatus = null;
    let failed = new Set();
    // Start following once the page has drawn: the page is current when it arrives.
    const follow = () => listen(root.dataset.live, {
      job: (data) => {
        const badge = document.getElementById("job-status");
        badge.dataset.status = data.status;
        badge.textContent = data.status;
        const nowFailed = new Set();
        for (const [step, state] of Object.entries(data.steps)) {
          const node = document.querySelector(`#graph g.node[data-step="${CSS.escape(step)}"]`);
          if (state.status === "Failed") nowFailed.add(step);
          if (!node) continue;
          node.dataset.status = state.status;
          node.querySelector(".detail").textContent =
            state.detail ? `${state.status} · ${state.detail}` : state.status;
        }
        // The page was drawn from the same state the first event reports: only later changes
        // call for a fresh summary and panel.
        const newFailure = lastStatus !== null && [...nowFailed].some((s) => !failed.has(s));
        failed = nowFailed;
        if ((lastStatus !== null && lastStatus !== data.status) || newFailure) {
          refresh(root.dataset.summary, document.getElementById("summary"));
          refreshPanel(root);
        }
        if (data.terminal) {
          const cancel = document.getElementById("cancel");
          if (cancel) cancel.disabled = true;
        }
        lastStatus = data.status;
      },
    });
    if (document.readyState === "complete") setTimeout(follow, 100);
    else window.addEventListener("load", () => setTimeout(follow, 100));
    root.addEventListener("click", (event) => {
      if (event.metaKey || event.ctrlKey) return;
      const node = event.target.closest("#graph g.node[data-step]:not(.group)");
      const link = event.target.closest("a[data-step-link]");
      if (!node && !link) return;
      event.preventDefault();
      openStep(root, node ? node.dataset.step : link.dataset.stepLink);
    });
    wirePanel();
    zoom();
    actions();
  }

  async function refresh(url, target) {
    if (!url || !target) return;
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) target.innerHTML = await response.text();
  }

  function refreshPanel(root) {
    const panel = document.getElementById("step-panel");
    if (panel) openStep(root, panel.dataset.step, false);
  }

  async function openStep(root, step, push = true) {
    const url = `${root.dataset.panel}${root.dataset.panel.includes("?") ? "&" : "?"}step=${encodeURIComponent(step)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const html = await response.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = doc.getElementById("step-panel");
    const target = document.getElementById("panel");
    target.replaceChildren(...(fresh ? [document.adoptNode(fresh)] : []));
    for (const node of document.querySelectorAll("#graph g.node.selected")) node.classList.remove("selected");
    const node = document.querySelector(`#graph g.node[data-step="${CSS.escape(step)}"]`);
    if (node) node.classList.add("selected");
    if (push) {
      const page = new URL(root.dataset.page, location.href);
      page.searchParams.set("step", step);
      history.replaceState(null, "", page.pathname + page.search);
    }
    wirePanel();
  }

  function wirePanel() {
    if (logSource) { logSource.close(); logSource = null; }
    const log = document.getElementById("log");
    if (log && log.dataset.live && !log.dataset.terminal) {
      logSource = listen(log.dataset.live, {
        lines: (lines) => {
          const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
          log.append(document.createTextNode(lines.join("\n") + "\n"));
          if (stick) log.scrollTop = log.scrollHeight;
        },
      });
    }
    const form = document.querySelector("form.log-search");
    if (form) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const q = form.querySelector("input").value;
        const out = form.parentElement.querySelector(".log-results");
        const response = await fetch(`${form.dataset.search}&q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
        const text = await response.text();
        out.hidden = false;
        out.textContent = text || `no line contains “${q}”`;
      });
    }
  }

  function zoom() {
    const svg = document.getElementById("graph");
    if (!svg) return;
    const width = Number(svg.getAttribute("width"));
    const height = Number(svg.getAttribute("height"));
    let scale = 1;
    const apply = () => {
      svg.setAttribute("width", String(Math.round(width * scale)));
      svg.setAttribute("height", String(Math.round(height * scale)));
    };
    for (const button of document.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => {
        const how = button.dataset.zoom;
        if (how === "in") scale = Math.min(scale * 1.25, 4);
        else if (how === "out") scale = Math.max(scale / 1.25, 0.1);
        else scale = Math.min(1, svg.parentElement.clientWidth / width);
        apply();
      });
    }
  }

  function actions() {
    for (const button of document.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", async () => {
        if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
        const message = document.getElementById("action-message");
        button.disabled = true;
        const response = await fetch(button.dataset.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
        });
        let body = {};
        try { body = await response.json(); } catch (e) { body = {}; }
        if (response.ok) {
          message.textContent = body.name && body.name !== document.getElementById("job").dataset.job
            ? `started ${body.name}` : `${button.textContent.trim()}: ${body.status || "done"}`;
          if (body.name && body.name !== document.getElementById("job").dataset.job) {
            const link = document.createElement("a");
            const ws = document.getElementById("job").dataset.ws;
            link.href = `/jobs/${encodeURIComponent(body.name)}${ws ? `?ws=${encodeURIComponent(ws)}` : ""}`;
            link.textContent = " open";
            message.append(link);
          }
        } else {
          message.textContent = body.message || `refused (${response.status})`;
          button.disabled = false;
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    jobsList();
    jobPage();
  });
})();
