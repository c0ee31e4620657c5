"use strict";
// syndup report: reads the embedded data (see htmlreport/__init__.py), no network.
(function () {
  const PAGE = 100;
  const $ = (id) => document.getElementById(id);
  const meta = JSON.parse($("meta").textContent);
  const outlets = meta.outlets;
  const chunks = new Map();
  let index = [];
  let shown = [];
  let page = 0;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  const day = (ms) => (ms == null ? "" : new Date(ms).toISOString().slice(0, 10));
  const stamp = (ms) => (ms == null ? "" : new Date(ms).toISOString().slice(0, 16).replace("T", " "));
  function hours(h) {
    if (h == null) return "";
    return h < 48 ? h.toFixed(1) + " h" : (h / 24).toFixed(1) + " d";
  }
  const num = (n) => (n == null ? "" : Number(n).toLocaleString("en"));

  async function unpack(id) {
    const text = $(id).textContent.trim();
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  function cards() {
    const o = meta.overview;
    const span = o.first_published ? `${o.first_published.slice(0, 10)} → ${o.last_published.slice(0, 10)}` : "no dates";
    const items = [
      [num(o.articles), "articles"], [num(o.clusters), "clusters (2+)"],
      [num(o.duplicates), "duplicates"], [(100 * o.duplication_rate).toFixed(1) + "%", "duplication rate"],
      [num(o.articles_in_clusters), "articles in clusters"],
      [o.span_days == null ? "–" : o.span_days.toFixed(1) + " days", span],
    ];
    if (o.not_clustered) items.push([num(o.not_clustered), "not clustered (no text)"]);
    $("cards").innerHTML = items.map(([b, s]) => `<div class="card"><b>${esc(b)}</b><span>${esc(s)}</span></div>`).join("");
    $("generated").textContent = "generated " + meta.generated;
  }

  function roles() {
    const table = (rows, key, other) => {
      let h = `<tr><th>outlet</th><th class="n">${key}</th><th class="n">${other}</th><th class="n">median lag</th></tr>`;
      for (const r of rows) {
        h += `<tr><td title="${esc(r.outlet)}">${esc(r.outlet)}</td><td class="n">${num(r[key])}</td>` +
          `<td class="n">${num(r[other])}</td><td class="n">${hours(r.median_lag_hours)}</td></tr>`;
      }
      return h;
    };
    $("originators").innerHTML = table(meta.originators, "originated", "republished");
    $("republishers").innerHTML = table(meta.republishers, "republished", "originated");
    $("charts").innerHTML = meta.charts.sizes + meta.charts.lags; // SVG made by syndup, text escaped
  }

  function matrix() {
    const rows = meta.matrix.origins, cols = meta.matrix.copiers;
    if (!rows.length || !cols.length) { $("matrix-section").hidden = true; return; }
    const grid = rows.map(() => cols.map(() => 0));
    let peak = 1;
    for (const [i, j, n] of meta.matrix.cells) { grid[i][j] = n; peak = Math.max(peak, n); }
    let h = '<tr><th class="row">first filed by ↓ / copied by →</th>' + cols.map((n) => `<th class="col" title="${esc(n)}">${esc(n)}</th>`).join("") + "</tr>";
    rows.forEach((n, i) => {
      h += `<tr><th class="row">${esc(n)}</th>` + grid[i].map((v, j) => {
        const a = v ? 0.12 + 0.88 * v / peak : 0;
        return `<td style="background:rgba(59,110,165,${a.toFixed(2)});color:${a > 0.55 ? "#fff" : "inherit"}" title="${esc(n)} → ${esc(cols[j])}: ${v}">${v || ""}</td>`;
      }).join("") + "</tr>";
    });
    $("matrix").innerHTML = h;
  }

  function filters() {
    $("outlet-list").innerHTML = outlets.slice(0, 5000).map((o) => `<option value="${esc(o)}">`).join("");
    $("rule").innerHTML += meta.rules.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`).join("");
    for (const id of ["q", "outlet", "from", "to", "rule", "minsize"]) {
      $(id).addEventListener("input", () => { page = 0; apply(); });
    }
    $("prev").addEventListener("click", () => { page = Math.max(0, page - 1); render(); });
    $("next").addEventListener("click", () => { page += 1; render(); });
  }

  function apply() {
    const q = $("q").value.trim().toLowerCase();
    const outlet = $("outlet").value.trim().toLowerCase();
    const from = $("from").value ? Date.parse($("from").value) : null;
    const to = $("to").value ? Date.parse($("to").value) + 86400000 : null;
    const rule = meta.rules.indexOf($("rule").value);
    const minsize = parseInt($("minsize").value, 10) || 0;
    const hit = (c) => {
      if (c[1] < minsize) return false;
      if (rule >= 0 && !c[6].includes(rule)) return false;
      if (from != null && (c[4] == null || c[4] < from)) return false;
      if (to != null && (c[3] == null || c[3] >= to)) return false;
      if (outlet && !c[5].some((o) => outlets[o].toLowerCase().includes(outlet))) return false;
      if (q && !(c[2].toLowerCase().includes(q) || c[0].toLowerCase() === q ||
        c[5].some((o) => outlets[o].toLowerCase().includes(q)))) return false;
      return true;
    };
    shown = [];
    for (let k = 0; k < index.length; k++) if (hit(index[k])) shown.push(k);
    render();
  }

  function render() {
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    const body = $("clusters").tBodies[0];
    const rows = shown.slice(page * PAGE, (page + 1) * PAGE).map((k) => {
      const c = index[k];
      const span = c[3] != null && c[4] != null ? hours((c[4] - c[3]) / 3600000) : "";
      return `<tr class="row" data-k="${k}" data-cluster="${esc(c[0])}"><td>${esc(c[0])}</td><td class="n">${c[1]}</td>` +
        `<td class="n">${c[5].length}</td><td>${day(c[3])}</td><td class="n">${span}</td><td class="h" title="${esc(c[2])}">${esc(c[2])}</td></tr>`;
    });
    body.innerHTML = rows.join("");
    $("count").textContent = `${num(shown.length)} of ${num(index.length)} shown, largest first`;
    $("page").textContent = `page ${page + 1} of ${pages}`;
    $("prev").disabled = page === 0;
    $("next").disabled = page >= pages - 1;
  }

  async function detail(k) {
    const starts = meta.chunk_starts;
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= k) lo = mid; else hi = mid - 1; }
    if (!chunks.has(lo)) chunks.set(lo, await unpack("chunk-" + lo));
    return chunks.get(lo)[k - starts[lo]];
  }

  async function toggle(tr) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); tr.classList.remove("open"); return; }
    const k = Number(tr.dataset.k);
    const d = await detail(k);
    const row = document.createElement("tr");
    row.className = "detail";
    row.innerHTML = `<td colspan="6">${clusterHtml(index[k], d)}</td>`;
    row.addEventListener("toggle", (e) => {
      const box = e.target.querySelector(".body");
      if (e.target.open && box && !box.childElementCount) box.innerHTML = diffBody(d, e.target.dataset.id);
    }, true);
    tr.after(row);
    tr.classList.add("open");
  }

  function evidence(values) {
    return values.map((v, i) => (v == null ? "" : `${meta.evidence[i]}=${i === 4 ? Math.round(v) : v}`)).filter(Boolean).join(" ");
  }

  function badges(flags) {
    return (flags & 2 ? '<span class="badge first">first</span>' : "") + (flags & 1 ? '<span class="badge canon">canonical</span>' : "");
  }

  function clusterHtml(c, d) {
    const ms = d.members;
    let h = `<div class="note">${ms.length} articles from ${c[5].length} outlets; evidence is the edge each member joined by.</div>`;
    h += "<h3>Spread over time</h3>" + timeline(ms);
    h += '<h3>Members <small>earliest first</small></h3><table class="members"><tr><th>id</th><th>outlet</th><th>published</th>' +
      '<th class="n">lag</th><th class="n">similarity</th><th>rule</th><th>evidence</th><th>headline</th></tr>';
    for (const m of ms) {
      const link = m[8] ? `<a href="${esc(m[8])}" rel="noreferrer">${esc(m[7])}</a>` : esc(m[7]);
      h += `<tr class="${m[9] & 1 ? "canon" : ""}"><td>${esc(m[0])}</td><td>${esc(outlets[m[1]] || "")}</td><td>${stamp(m[2])}</td>` +
        `<td class="n">${m[9] & 2 ? "" : hours(m[3])}</td><td class="n">${m[4] == null ? "" : m[4].toFixed(2)}</td>` +
        `<td>${badges(m[9])}${m[9] & 1 ? "" : esc(m[5])}</td><td class="ev">${esc(evidence(m[6]))}</td><td class="hl">${link}</td></tr>`;
    }
    h += "</table>";
    const versions = d.chain || ms.filter((m) => /write_through|update/.test(m[5] || "") || m[9] & 1);
    if (versions.length > 1) {
      h += '<h3>Versions <small>write-throughs and updates in order of publication</small></h3><ol class="versions">' +
        versions.map((m) => `<li>${stamp(m[2])} · ${esc(outlets[m[1]] || "")} · ${esc(m[5])} · ${esc(m[7])}</li>`).join("") + "</ol>";
    }
    if (d.diffs) h += diffsHtml(d);
    else h += '<p class="note">Text diffs are embedded for the largest ' + meta.full + " clusters only.</p>";
    return h;
  }

  function timeline(ms) {
    const dated = ms.filter((m) => m[2] != null);
    const lanes = [];
    for (const m of ms) if (!lanes.includes(m[1])) lanes.push(m[1]);
    const byLane = lanes.length <= 40;
    const n = byLane ? lanes.length : ms.length;
    const step = byLane ? 16 : Math.max(2, Math.min(16, 480 / n));
    const left = 170, width = 900, top = 10, height = top + n * step + 28;
    const t0 = dated.length ? Math.min(...dated.map((m) => m[2])) : 0;
    const t1 = dated.length ? Math.max(...dated.map((m) => m[2])) : 1;
    const span = Math.max(t1 - t0, 1);
    const undatedX = width - 20;
    const x = (m) => (m[2] == null ? undatedX : left + (width - left - 60) * (m[2] - t0) / span);
    let s = `<svg class="timeline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
    if (byLane) {
      lanes.forEach((o, i) => {
        const y = top + i * step + step / 2;
        s += `<text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="11">${esc((outlets[o] || "(no outlet)").slice(0, 26))}</text>` +
          `<line x1="${left}" x2="${width - 40}" y1="${y}" y2="${y}" stroke="#eef1f4"/>`;
      });
    }
    ms.forEach((m, i) => {
      const y = top + (byLane ? lanes.indexOf(m[1]) : i) * step + step / 2;
      const fill = m[9] & 2 ? "#d99a00" : m[9] & 1 ? "#3b6ea5" : "#c0603a";
      s += `<circle class="mark" data-id="${esc(m[0])}" cx="${x(m).toFixed(1)}" cy="${y.toFixed(1)}" r="${byLane ? 5 : 3}" fill="${fill}" fill-opacity="0.85">` +
        `<title>${esc(m[0])} · ${esc(outlets[m[1]] || "")} · ${stamp(m[2]) || "no date"} · ${m[9] & 2 ? "first" : "+" + hours(m[3])}</title></circle>`;
    });
    const yAxis = top + n * step + 12;
    s += `<text x="${left}" y="${yAxis}" font-size="11">${stamp(t0)}</text>` +
      `<text x="${width - 60}" y="${yAxis}" font-size="11" text-anchor="end">${stamp(t1)}</text>`;
    if (dated.length < ms.length) s += `<text x="${undatedX}" y="${yAxis}" font-size="11" text-anchor="middle">no date</text>`;
    return s + "</svg>";
  }

  function diffBody(d, id) {
    const base = d.canon.paras;
    let body = "";
    for (const op of d.diffs[id].ops) {
      if (op[0] === "=") body += `<p class="same">${esc(base[op[1]])}</p>`;
      else if (op[0] === "+") body += `<p class="added">${esc(op[1])}</p>`;
      else if (op[0] === "-") body += `<p class="${op[2] ? "trimmed" : "removed"}">${esc(base[op[1]])}</p>`;
      else body += "<p class=\"edited\">" + op[2].map(([t, s]) => (t === "=" ? esc(s) : t === "+" ? `<ins>${esc(s)}</ins>` : `<del>${esc(s)}</del>`)).join("") + "</p>";
    }
    return body;
  }

  function diffsHtml(d) {
    let h = `<h3>Each member against the canonical <small>${esc(d.canon.id)}</small></h3>` +
      '<div class="legend"><span class="same">shared</span><span style="background:var(--add)">added by the member</span>' +
      '<span style="background:var(--del)">removed</span><span style="background:var(--trim)">trimmed tail</span></div>';
    const ids = Object.keys(d.diffs);
    if (!ids.length) h += '<p class="note">No body text to compare (headline-only records).</p>';
    ids.forEach((id, i) => {
      const { counts } = d.diffs[id];
      const m = d.members.find((x) => String(x[0]) === id);
      const label = `${esc(id)} · ${esc(outlets[m[1]] || "")} · ${counts.shared} shared, ${counts.edited} edited, ` +
        `${counts.added} added, ${counts.trimmed} trimmed, ${counts.removed} removed paragraphs`;
      // The first three are open; the others are rendered when opened.
      const body = i < 3 ? diffBody(d, id) : "";
      h += `<details class="diff" data-id="${esc(id)}"${i < 3 ? " open" : ""}><summary>${label}</summary><div class="body">${body}</div></details>`;
    });
    if (d.members.length - 1 > ids.length) h += `<p class="note">${d.members.length - 1 - ids.length} more members not diffed (limit ${meta.max_diffs}).</p>`;
    return h;
  }

  async function main() {
    cards(); roles(); matrix(); filters();
    index = await unpack("index");
    $("clusters").tBodies[0].addEventListener("click", (e) => {
      const tr = e.target.closest("tr.row");
      if (tr && !e.target.closest("a")) toggle(tr);
    });
    apply();
    document.body.dataset.ready = "1";
    window.__syndupReadyMs = performance.now();
  }
  main().catch((err) => { console.error(err); document.body.dataset.ready = "error"; });
})();
