  // --- citegraph serve: live actions, progress over server-sent events, updates in place ----------------
  // (a Jinja include: no double braces here)
  const LIVE = JSON.parse(document.getElementById("citegraph-live").textContent);
  const live = {progress: null, version: DATA.version || 0, busy: 0, update: null, messages: []};
  const liveMsg = document.getElementById("live-message"), liveProg = document.getElementById("live-progress"),
        cancelButton = document.getElementById("live-cancel");
  function say(text, cls) { liveMsg.textContent = text; liveMsg.className = cls || "muted"; live.messages.push(text); }
  // every call carries the token in a header; the server refuses anything else
  async function api(path, body) {
    const init = {method: body === undefined ? "GET" : "POST", cache: "no-store", credentials: "omit",
                  headers: {"X-Citegraph-Token": LIVE.token}};
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const r = await fetch(path, init);
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || (r.status + " " + r.statusText));
    return j;
  }

  // where each new paper starts: beside a paper it is linked to that is already shown, else in the middle
  function anchorOf(key, links, pos) {
    for (const l of links) {
      const other = l.source === key ? l.target : (l.target === key ? l.source : null);
      if (other && pos[other]) return pos[other];
    }
    const xs = Object.values(pos);
    if (!xs.length) return {x: 0, y: 0};
    return {x: xs.reduce((a, p) => a + p.x, 0) / xs.length, y: xs.reduce((a, p) => a + p.y, 0) / xs.length};
  }

  // replace the data, keep every node already shown where it is, lay out only the new ones
  // the server keeps each paper's place, so a reload or another window draws the same map
  let savingPositions = null;
  function savePositions() {
    if (savingPositions) return;
    savingPositions = setTimeout(() => {
      savingPositions = null;
      const pos = network.getPositions(), out = {};
      for (const [key, at] of Object.entries(pos)) { const p = papers.get(key); if (p) out[p.id] = [at.x, at.y]; }
      api("/api/positions", {positions: out}).then(() => { document.body.dataset.positionsSaved = String(live.version); })
        .catch(e => say("could not keep the layout: " + e.message, "error"));
    }, 0);
  }
  hooks.settled = savePositions;
  network.on("dragEnd", params => { if (params.nodes.length) savePositions(); });

  // what entered and left the map, in words; the papers that entered are listed first by name
  const changes = document.getElementById("live-changes");
  function sayChanges(entered, left) {
    const names = ps => ps.slice(0, 3).map(p => p.label).join(", ") + (ps.length > 3 ? " and " + (ps.length - 3) + " more" : "");
    const parts = [];
    if (entered.length) parts.push(entered.length + " entered the map (" + names(entered) + ")");
    if (left.length) parts.push(left.length + " left it (" + names(left) + ")");
    changes.textContent = parts.length ? parts.join("; ") : "the map kept the same papers";
    changes.title = [...entered.map(p => "+ " + (p.title || p.id)), ...left.map(p => "− " + (p.title || p.id))].join("\n");
    live.changes = {entered: entered.map(p => p.id), left: left.map(p => p.id)};
  }

  function update(next) {
    const pos = network.getPositions();
    const before = new Map([...papers.values()].map(p => [p.id, p]));
    const nextIds = new Set(next.papers.map(p => p.id));
    const entered = next.papers.filter(p => !before.has(p.id)), left = [...before.values()].filter(p => !nextIds.has(p.id));
    const newSeeds = next.papers.filter(p => p.is_seed && !(before.get(p.id) || {}).is_seed);
    DATA = next;
    papers.clear(); keyOf.clear(); clusters.clear();
    for (const p of next.papers) { papers.set(p.key, p); keyOf.set(p.id, p.key); }
    for (const c of next.clusters) clusters.set(c.id, c);
    const keep = new Set(next.papers.map(p => p.key));
    nodes.remove(nodes.getIds().filter(id => !keep.has(id)));
    const fresh = next.papers.filter(p => !pos[p.key]);
    nodes.update(next.papers.map(p => {
      const n = visNode(p);
      if (pos[p.key]) { n.fixed = true; n.x = pos[p.key].x; n.y = pos[p.key].y; }
      else { const a = anchorOf(p.key, next.links, pos); n.x = a.x + (Math.random() - 0.5) * 80; n.y = a.y + (Math.random() - 0.5) * 80; }
      return n;
    }));
    edges.clear();
    edges.add(visEdges(next.links));
    const oldLo = lo, oldHi = hi;
    [lo, hi] = next.year_range;
    if (parseInt(yMin.value, 10) === oldLo || yMin.value === "") yMin.value = lo;
    if (parseInt(yMax.value, 10) === oldHi || yMax.value === "") yMax.value = hi;
    const chosen = clusterFilter.value;
    clusterFilter.replaceChildren(Object.assign(el("option", "all clusters"), {value: "all"}));
    for (const c of next.clusters) { const o = el("option", c.label); o.value = String(c.id); clusterFilter.appendChild(o); }
    clusterFilter.value = [...clusterFilter.options].some(o => o.value === chosen) ? chosen : "all";
    recolour();
    applyFilters();
    if (state.selected && !papers.has(state.selected)) deselect();
    else if (state.selected) { showCard(papers.get(state.selected), false); focusOn(state.selected); }
    showStatus();
    sayChanges(entered, left);
    live.version = next.version;
    const finish = () => {
      network.setOptions({physics: false});
      nodes.update(next.papers.map(p => ({id: p.key, fixed: false})));
      // a new seed is highlighted and brought into view
      if (newSeeds.length) select(newSeeds[0].key, true);
      declutter();
      savePositions();
      // "done" is said once the page shows what was done
      if (live.progress && live.progress.state === "done" && live.progress.version === next.version) showDone(live.progress);
      document.body.dataset.version = String(next.version);
    };
    if (fresh.length) {
      network.setOptions({physics: {enabled: true, stabilization: {fit: false}}});
      network.once("stabilizationIterationsDone", finish);
      network.stabilize(200);
    } else finish();
  }
  live.update = update;

  let fetching = null;
  async function refresh() {
    if (fetching) return fetching;
    fetching = api("/api/map").then(next => { if (next.version !== live.version) update(next); })
      .catch(e => say("could not load the map: " + e.message, "error")).finally(() => { fetching = null; });
    return fetching;
  }

  function showDone(p) {
    liveProg.textContent = p.action + ": done, " + p.requests + " request" + (p.requests === 1 ? "" : "s") +
      (p.planned ? " (" + p.planned + " planned)" : "");
  }

  function showProgress(p) {
    live.progress = p;
    const working = p.state === "working";
    cancelButton.hidden = !working;
    if (working) {
      // no request planned (yet): the work is reading the store and analysing, not waiting on "0 of 0"
      liveProg.textContent = p.action + (p.stage ? " — " + p.stage : "") + (p.planned ? ": " + p.done + " of " +
        p.planned + " planned requests done (" + p.requests + " sent)" : ": working from the store…");
    } else if (p.state === "done" && p.action) {
      // the map of this version may not be drawn yet: "done" waits for it (update() says it)
      if (p.version === live.version) showDone(p);
      else liveProg.textContent = p.action + ": drawing the map…";
    } else if (p.state === "cancelled" || p.state === "failed") {
      liveProg.textContent = p.action + ": " + p.state;
      say(p.message, p.state === "failed" ? "error" : "muted");
    }
    document.body.dataset.progressSeq = String(p.seq);
    if (p.version !== live.version && !working) refresh();
  }

  async function act(path, body, doing) {
    live.busy++;
    say(doing + "…");
    try {
      const r = await api(path, body);
      say(r.message || "done");
      await refresh();
      return r;
    } catch (e) {
      say(e.message, "error");
    } finally {
      live.busy--;
    }
  }
  live.act = act;

  const addInput = document.getElementById("live-add");
  function addTyped() {
    const v = addInput.value.trim();
    if (!v) return;
    addInput.value = "";
    act("/api/seeds", {add: [v]}, "adding " + v);
  }
  document.getElementById("live-add-button").addEventListener("click", addTyped);
  addInput.addEventListener("keydown", e => { if (e.key === "Enter") addTyped(); });
  cancelButton.addEventListener("click", () => api("/api/cancel", {}).catch(e => say(e.message, "error")));
  document.getElementById("live-save-text").addEventListener("click", () => act("/api/save", {to: "text"}, "saving"));
  const saveList = document.getElementById("live-save-list");
  if (LIVE.reading_list) {
    saveList.hidden = false;
    saveList.title = "append the seeds added here to " + LIVE.reading_list;
    saveList.addEventListener("click", () => act("/api/save", {to: "reading-list"}, "saving"));
  }
  document.getElementById("live-save-text").title = "write the seeds to " + LIVE.seed_file;
  const downloads = document.getElementById("live-downloads");
  downloads.appendChild(el("span", "Download: ", "muted"));
  for (const [fmt, label] of LIVE.exports) {
    const a = el("a", label);
    a.href = "/api/export/" + encodeURIComponent(fmt) + "?token=" + encodeURIComponent(LIVE.token);
    a.setAttribute("download", "");
    a.dataset.format = fmt;
    downloads.appendChild(a);
  }

  // the card of any paper (on the map or in the prior/derivative lists) offers the actions
  hooks.card = (card, p, isWork) => {
    const bar = el("div", undefined, "live-actions");
    const button = (id, text, fn) => { const b = el("button", text); b.type = "button"; b.id = id; b.addEventListener("click", fn); bar.appendChild(b); };
    if (!isWork && p.is_seed) button("live-remove-seed", "Remove from seeds", () => act("/api/seeds", {remove: [p.id]}, "removing a seed"));
    else button("live-add-seed", "Make it a seed", () => act("/api/seeds", {add: [p.id]}, "adding a seed"));
    if (!isWork) button("live-expand", "Expand", () => act("/api/expand", {paper_id: p.id}, "expanding"));
    card.appendChild(bar);
  };
  if (state.selected) showCard(papers.get(state.selected), false);

  // progress (and changes made from another window) arrive as server-sent events
  const events = new EventSource("/api/events?token=" + encodeURIComponent(LIVE.token));
  events.addEventListener("progress", e => showProgress(JSON.parse(e.data)));
  events.addEventListener("error", () => { if (events.readyState === EventSource.CLOSED) say("the server has stopped", "error"); });
  live.events = events;
  document.body.dataset.version = String(live.version);
