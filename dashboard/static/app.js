// Jaring city dashboard: renders the snapshots the server pushes (server-sent events).
// Plain JavaScript and hand-drawn SVG, so there is nothing to build and nothing to fetch
// from elsewhere. Every value is put in the page as text (textContent), never as HTML.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("config").textContent);
  const L = config.labels;
  const SVG = "http://www.w3.org/2000/svg";
  const number = new Intl.NumberFormat(L.locale);
  const compactNumber = new Intl.NumberFormat(L.locale, { notation: "compact", maximumFractionDigits: 1 });
  const monthName = new Intl.DateTimeFormat(L.locale, { month: "short", year: "2-digit", timeZone: "UTC" });
  const moment = new Intl.DateTimeFormat(L.locale, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: "Asia/Makassar",
  });

  const rupiah = (v) => "Rp " + number.format(v);
  const rupiahShort = (v) => "Rp " + compactNumber.format(v);
  const month = (period) => monthName.format(new Date(period + "-01T00:00:00Z"));
  const occupation = (key) => L.occupations[key] || key;
  // Kemendagri's name ("Wua-Wua"); the code only for a district the table lacks.
  const district = (code, name) => L.district.replace("{name}", () => name || code);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ headings

  const headings = {
    "h-people": L.people_over_time, "h-money": L.money_over_time, "h-district": L.by_district,
    "h-occupation": L.by_occupation, "h-sponsors": L.sponsors, "h-runway": L.runway_over_time,
    "h-recent": L.recent, "h-states": L.money_by_state, "h-fairness": L.fairness,
  };
  for (const [id, text] of Object.entries(headings)) document.getElementById(id).textContent = text;
  document.title = L.title;

  // ------------------------------------------------------------------ stats

  const STATS = [
    ["covered", "covered"], ["waiting", "waiting"], ["registering", "registering"], ["lapsed", "lapsed"],
    ["ever_covered", "ever"], ["rejected", "rejected"],
    ["withdrawn", "lapsed"], ["claims_jkm", "lapsed"], ["claims_jkk", "lapsed"],
  ];

  // Money by state: billed = paid + due + in arrears + written off; refunds are the payers'.
  const MONEY_STATES = [
    ["paid_idr", "paid"], ["due_idr", "due"], ["arrears_idr", "arrears"], ["written_off_idr", "written_off"],
    ["refunds_owed_idr", "refunds_owed"], ["refunded_idr", "refunded"],
  ];

  function renderMoneyStates(money) {
    const root = document.getElementById("money-states");
    const now = money.length ? money[money.length - 1] : null;
    root.replaceChildren(el("div", { class: "state billed" },
      el("span", { class: "stat-label" }, L.billed),
      el("strong", { "data-money": "billed_idr" }, rupiah(now ? now.billed_idr : 0)),
    ), ...MONEY_STATES.map(([field, tone]) => el("div", { class: "state " + tone },
      el("span", { class: "stat-label" }, L[tone]),
      el("strong", { "data-money": field }, rupiah(now ? now[field] : 0)),
    )));
  }

  function renderStats(totals) {
    const root = document.getElementById("stats");
    root.replaceChildren(...STATS.map(([key, tone]) => el("div", { class: "stat " + tone },
      el("span", { class: "stat-label" }, L[key]),
      el("strong", { class: "stat-value", "data-stat": key }, number.format(totals[key])),
    )));
  }

  // ------------------------------------------------------------------ charts

  function niceMax(value) {
    if (value <= 0) return 1;
    const step = Math.pow(10, Math.floor(Math.log10(value)));
    for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * step >= value) return m * step;
    return 10 * step;
  }

  // One SVG unit is one CSS pixel of the card, so labels stay 12px on a phone as on a desk.
  function frame(holder, periods, max, formatY) {
    const W = Math.max(280, Math.round(holder.clientWidth || 600));
    const H = W < 500 ? 200 : 250, left = 72, right = 26, top = 14, bottom = 30;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "plot" });
    const x = (i) => periods.length === 1 ? (left + W - right) / 2
      : left + (i * (W - left - right)) / (periods.length - 1);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      root.append(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: k ? "gridline" : "axis" }));
      root.append(svg("text", { x: left - 8, y: y(v) + 4, class: "tick", "text-anchor": "end" }, formatY(v)));
    }
    // evenly spaced month labels, counted back from the latest month so it is always named
    const every = Math.max(1, Math.ceil(periods.length / Math.max(3, Math.floor(W / 64))));
    periods.forEach((p, i) => {
      if ((periods.length - 1 - i) % every === 0) {
        root.append(svg("text", { x: x(i), y: H - 8, class: "tick", "text-anchor": "middle" }, month(p)));
      }
    });
    return { root, x, y, W, H, left, right, top, bottom };
  }

  function lineChart(id, legendId, points, series, formatY) {
    const holder = document.getElementById(id);
    if (!points.length) {
      holder.replaceChildren(el("p", { class: "empty" }, L.empty));
      return;
    }
    const periods = points.map((p) => p.period);
    const max = niceMax(Math.max(...series.flatMap((s) => points.map((p) => p[s.field]))));
    const f = frame(holder, periods, max, formatY);
    for (const s of series) {
      const coords = points.map((p, i) => `${f.x(i).toFixed(1)},${f.y(p[s.field]).toFixed(1)}`);
      f.root.append(svg("polyline", { points: coords.join(" "), class: "line " + s.tone }));
      points.forEach((p, i) => {
        const dot = svg("circle", { cx: f.x(i), cy: f.y(p[s.field]), r: 3.5, class: "dot " + s.tone });
        dot.append(svg("title", {}, `${s.label} · ${month(p.period)}: ${formatY(p[s.field], true)}`));
        f.root.append(dot);
      });
    }
    holder.replaceChildren(f.root);
    const last = points[points.length - 1];
    document.getElementById(legendId).replaceChildren(...series.map((s) => el("span", { class: "key " + s.tone },
      el("i", { "aria-hidden": "true" }), s.label + " ", el("b", {}, formatY(last[s.field], true)),
    )));
  }

  function barChart(id, points) {
    const holder = document.getElementById(id);
    if (!points.length) {
      holder.replaceChildren(el("p", { class: "empty" }, L.empty));
      return;
    }
    // whole months on the axis: four gridlines, so a multiple of 4
    const max = Math.max(4, 4 * Math.ceil(Math.max(...points.map((p) => p.runway_months)) / 4));
    const unit = (v) => `${number.format(v)} ${L.months_unit}`;
    const f = frame(holder, points.map((p) => p.period), max, unit);
    const slot = (f.W - f.left - f.right) / Math.max(points.length, 1);
    const width = Math.min(36, slot * 0.6);
    points.forEach((p, i) => {
      const cx = points.length === 1 ? f.x(0) : f.left + slot * (i + 0.5);
      const bar = svg("rect", {
        x: cx - width / 2, y: f.y(p.runway_months), width,
        height: Math.max(0, f.y(0) - f.y(p.runway_months)), rx: 3, class: "bar runway",
      });
      bar.append(svg("title", {}, `${month(p.period)}: ${unit(p.runway_months)}`));
      f.root.append(bar);
    });
    // month labels under the bars rather than at line positions
    for (const t of f.root.querySelectorAll("text[text-anchor=middle]")) t.remove();
    const every = Math.max(1, Math.ceil(points.length / Math.max(3, Math.floor(f.W / 64))));
    points.forEach((p, i) => {
      if ((points.length - 1 - i) % every === 0) {
        const cx = points.length === 1 ? f.x(0) : f.left + slot * (i + 0.5);
        f.root.append(svg("text", { x: cx, y: f.H - 8, class: "tick", "text-anchor": "middle" }, month(p.period)));
      }
    });
    holder.replaceChildren(f.root);
  }

  function breakdown(id, rows, labelOf) {  // labelOf(row): the row's words
    const holder = document.getElementById(id);
    if (!rows.length) {
      holder.replaceChildren(el("p", { class: "empty" }, L.empty));
      return;
    }
    // A count under min_cell is null: merged into the last row (r.merged), never shown alone.
    const max = Math.max(...rows.map((r) => (r.covered || 0) + (r.waiting || 0)));
    const count = (n) => (n === null ? el("span", { class: "merged-cell", title: L.merged_cell }, "·") : number.format(n));
    holder.replaceChildren(el("div", { class: "bar-legend" },
      el("span", { class: "key covered" }, el("i"), L.covered),
      el("span", { class: "key waiting" }, el("i"), L.waiting),
    ), ...rows.map((r) => {
      const covered = el("span", { class: "seg covered" });
      const waiting = el("span", { class: "seg waiting" });
      covered.style.width = `${(100 * (r.covered || 0)) / max}%`;
      waiting.style.width = `${(100 * (r.waiting || 0)) / max}%`;
      return el("div", { class: r.merged ? "row merged" : "row", "data-key": r.key },
        el("span", { class: "row-label" }, r.merged ? L.merged_row : labelOf(r)),
        el("span", { class: "track" }, covered, waiting),
        el("span", { class: "row-value" },
          el("b", { class: "covered-text" }, count(r.covered)), " / ",
          el("span", { class: "waiting-text" }, count(r.waiting))),
      );
    }), el("p", { class: "note" }, L.min_cell_note.replace("{n}", () => number.format(minCell))));
  }

  // ------------------------------------------------------------------ tables

  function table(headers, rows, numeric) {
    const head = el("tr", {}, ...headers.map((h, i) => el("th", numeric[i] ? { class: "num" } : {}, h)));
    const body = rows.map((cells) => el("tr", {}, ...cells.map((c, i) => el("td", numeric[i] ? { class: "num" } : {}, c))));
    return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
  }

  function seats(filled, total) {
    const meter = el("span", { class: "meter" }, el("span"));
    meter.firstChild.style.width = total ? `${(100 * filled) / total}%` : "0%";
    return el("span", { class: "seats" }, `${number.format(filled)} / ${number.format(total)}`, meter);
  }

  function renderSponsors(sponsors, pledges) {
    const holder = document.getElementById("sponsors");
    if (!pledges.length) {
      holder.replaceChildren(el("p", { class: "empty" }, L.empty));
      return;
    }
    const months = (v) => `${number.format(v)} ${L.months_unit}`;
    const sponsorTable = table(
      [L.sponsor, L.seats, L.pledged, L.committed, L.paid, L.remaining, L.runway],
      sponsors.map((s) => [
        el("b", {}, s.sponsor_id), seats(s.seats_filled, s.seats), rupiah(s.pledged_idr),
        rupiah(s.committed_idr), rupiah(s.paid_idr), rupiah(s.remaining_idr), months(s.runway_months),
      ]),
      [false, false, true, true, true, true, true],
    );
    const pledgeTable = table(
      [L.pledge, L.sponsor, L.payer, L.status, L.seats, L.pledged, L.paid, L.arrears, L.written_off,
        L.returned, L.runway],
      pledges.map((p) => [
        p.pledge_id, p.sponsor_id, p.payer_id,
        el("span", { class: "badge " + p.status, title: p.reason || "" }, L["status_" + p.status] || p.status),
        seats(p.seats_filled, p.seats), rupiah(p.pledged_idr), rupiah(p.paid_idr),
        el("span", { class: p.arrears_idr ? "late" : "", "data-arrears": p.pledge_id }, rupiah(p.arrears_idr)),
        rupiah(p.written_off_idr), rupiah(p.returned_idr), months(p.runway_months),
      ]),
      [false, false, false, false, false, true, true, true, true, true, true],
    );
    holder.replaceChildren(sponsorTable, pledgeTable);
  }

  function renderRecent(recent) {
    const holder = document.getElementById("recent");
    if (!recent.length) {
      holder.replaceChildren(el("li", { class: "empty" }, L.empty));
      return;
    }
    // No pseudonym, no occupation, and a district only where enough are covered there (the snapshot
    // decides): a list of single activations is a list of cells of one.
    holder.replaceChildren(...recent.map((a) => el("li", {},
      el("div", { class: "feed-top" },
        el("span", { class: "feed-pledge" }, `${a.sponsor_id} · ${a.pledge_id}`),
        el("span", { class: "badge " + (a.renewal ? "renewal" : "new") },
          a.renewal ? `${L.renewal} · ${L.term}${a.term_no}` : L.new_cover),
      ),
      el("div", { class: "feed-detail" },
        a.district ? `${district(a.district, a.district_name)} · ` : "",
        el("time", { datetime: a.event_time }, moment.format(new Date(a.event_time))),
      ),
    )));
  }

  // Fairness (models.fairness): per dimension, each group's share of the eligible and of the covered,
  // the gap and the coverage ratio; groups under min_cell come only together, as "_merged".
  const percent = (v) => `${(100 * v).toLocaleString(L.locale, { maximumFractionDigits: 1 })}%`;
  const points = (v) => (100 * v).toLocaleString(L.locale, { maximumFractionDigits: 1 });  // percentage points
  function groupLabel(dimension, row) {
    if (row.group === "_merged") return L.merged_row;
    if (row.group === "unknown") return L.unknown;
    if (dimension === "district") return district(row.group, row.name);
    if (dimension === "occupation") return occupation(row.group);
    if (dimension === "sex") return L["sex_" + row.group] || row.group;
    if (dimension === "decile") return L.decile_n.replace("{n}", () => row.group);
    return L["disability_" + row.group] || row.group;
  }
  function renderFairness(s) {
    const holder = document.getElementById("fairness");
    const lede = document.getElementById("fairness-lede");
    if (!s.fairness.length) {
      lede.textContent = "";
      holder.replaceChildren(el("p", { class: "empty" }, L.empty));
      return;
    }
    lede.textContent = L.fairness_lede.replace("{month}", () => month(s.fairness_period));
    holder.replaceChildren(...s.fairness.map((t) => {
      const head = el("tr", {}, ...[L.group, L.eligible, L.covered, L.share_eligible, L.share_covered, L.gap, L.ratio]
        .map((h, i) => el("th", i ? { class: "num" } : {}, h)));
      const body = t.rows.map((r) => el("tr", { "data-group": r.group, class: r.gap < 0 ? "under" : "" },
        el("td", {}, groupLabel(t.dimension, r)),
        el("td", { class: "num count" }, number.format(r.eligible)),
        el("td", { class: "num count" }, number.format(r.covered)),
        el("td", { class: "num" }, percent(r.eligible_share)),
        el("td", { class: "num" }, percent(r.covered_share)),
        el("td", { class: "num gap" }, (r.gap > 0 ? "+" : "") + points(r.gap)),
        el("td", { class: "num ratio" }, r.ratio === null ? "–" : r.ratio.toLocaleString(L.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })),
      ));
      return el("div", { class: "fair-table", "data-dimension": t.dimension },
        el("h3", {}, L["dim_" + t.dimension]),
        el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, head), el("tbody", {}, ...body))));
    }));
  }

  // ------------------------------------------------------------------ everything

  // Links to the other regions the city serves; the snapshot lists those and nothing else.
  function renderRegions(s) {
    const nav = document.getElementById("regions");
    if (s.regions.length < 2) {
      nav.replaceChildren();
      return;
    }
    const lang = config.lang === "en" ? "&lang=en" : "";
    nav.setAttribute("aria-label", L.regions);
    nav.replaceChildren(...s.regions.map((code) => {
      const link = el("a", { href: `?region=${encodeURIComponent(code)}${lang}`, "data-region": code },
        s.region_names[code] || code);
      if (code === s.region) link.setAttribute("aria-current", "page");
      return link;
    }));
  }

  let minCell = 5;
  function render(s) {
    minCell = s.min_cell;
    const place = s.region_name ? `${s.region_name} (${s.region})` : s.region;
    document.getElementById("where").textContent =
      `${L.region} ${place}` + (s.period ? ` · ${L.period} ${month(s.period)}` : "");
    renderRegions(s);
    renderStats(s.totals);
    lineChart("chart-people", "legend-people", s.people, [
      { field: "covered", label: L.covered, tone: "covered" },
      { field: "waiting", label: L.waiting, tone: "waiting" },
      { field: "registering", label: L.registering, tone: "registering" },
      { field: "lapsed", label: L.lapsed, tone: "lapsed" },
    ], (v) => number.format(Math.round(v)));
    lineChart("chart-money", "legend-money", s.money, [
      { field: "pledged_idr", label: L.pledged, tone: "pledged" },
      { field: "committed_idr", label: L.committed, tone: "committed" },
      { field: "paid_idr", label: L.paid, tone: "paid" },
      { field: "remaining_idr", label: L.remaining, tone: "remaining" },
    ], (v, exact) => (exact ? rupiah(v) : rupiahShort(v)));
    barChart("chart-runway", s.money);
    renderMoneyStates(s.money);
    lineChart("chart-states", "legend-states", s.money,
      MONEY_STATES.map(([field, tone]) => ({ field, label: L[tone], tone })),
      (v, exact) => (exact ? rupiah(v) : rupiahShort(v)));
    breakdown("bars-district", s.districts, (r) => district(r.key, r.name));
    breakdown("bars-occupation", s.occupations, (r) => occupation(r.key));
    renderSponsors(s.sponsors, s.pledges);
    renderFairness(s);
    renderRecent(s.recent);
    document.getElementById("events").textContent = `${number.format(s.events)} ${L.events}`;
    document.body.dataset.events = String(s.events);
  }

  let latest = null;
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => latest && render(latest), 150);
  });

  const status = document.getElementById("status");
  function connect() {
    const query = config.region ? "?region=" + encodeURIComponent(config.region) : "";
    const source = new EventSource("/v1/stream" + query);
    source.onopen = () => { status.dataset.state = "live"; status.textContent = L.live; };
    source.onerror = () => { status.dataset.state = "offline"; status.textContent = L.offline; };
    source.onmessage = (event) => {
      status.dataset.state = "live";
      status.textContent = L.live;
      latest = JSON.parse(event.data);
      render(latest);
    };
  }
  status.textContent = L.offline;
  connect();
})();
