/* mtlkb: sort, filter and page the generated tables (local, no dependencies).

   A long table ships its first page of rows in <tbody> and the rest in a <template>
   (parsed, never laid out); rows live in one array here and only the current page is in
   the document, so 5,000 papers cost what 100 do. */
(function () {
  function cellKey(td) {
    if (!td) return "";
    var v = td.getAttribute("data-sort");
    if (v === null) v = td.textContent.trim();
    var n = Number(v);
    return v !== "" && !isNaN(n) ? n : v.toLowerCase();
  }
  function setup(table) {
    if (table.dataset.mtlkbReady) return;
    table.dataset.mtlkbReady = "1";
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var more = document.querySelector('template[data-rows-for="' + table.id + '"]');
    if (more) rows = rows.concat(Array.prototype.slice.call(more.content.querySelectorAll("tr")));
    var size = parseInt(table.getAttribute("data-page-rows") || "0", 10) || rows.length || 1;
    var texts = null;  // lower-cased row texts, computed on the first filter
    var shown = rows, page = 0;
    var pager = document.querySelector('[data-pager-for="' + table.id + '"]');
    var count = document.querySelector('[data-count-for="' + table.id + '"]');

    function render() {
      var pages = Math.max(1, Math.ceil(shown.length / size));
      if (page >= pages) page = pages - 1;
      var frag = document.createDocumentFragment();
      shown.slice(page * size, (page + 1) * size).forEach(function (r) { frag.appendChild(r); });
      body.textContent = "";
      body.appendChild(frag);
      if (count) count.textContent = shown.length + " of " + rows.length;
      if (!pager) return;
      pager.hidden = pages < 2;
      pager.textContent = "";
      function button(label, to, disabled) {
        var b = document.createElement("button");
        b.type = "button"; b.textContent = label; b.disabled = disabled;
        b.className = "md-button mtlkb-page-button";
        b.addEventListener("click", function () { page = to; render(); table.scrollIntoView(); });
        pager.appendChild(b);
      }
      button("\u2039 Previous", page - 1, page === 0);
      var at = document.createElement("span");
      at.className = "mtlkb-page-at";
      at.textContent = " Page " + (page + 1) + " of " + pages + " ";
      pager.appendChild(at);
      button("Next \u203a", page + 1, page >= pages - 1);
    }

    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("mtlkb-sortable");
      th.setAttribute("role", "button");
      th.setAttribute("tabindex", "0");
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var keyed = rows.map(function (r, i) { return [cellKey(r.cells[col]), i, r]; });
        keyed.sort(function (a, b) {
          var x = a[0], y = b[0];
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return x < y ? -dir : x > y ? dir : a[1] - b[1];
        });
        var order = new Map();
        rows = keyed.map(function (k, i) { order.set(k[2], i); return k[2]; });
        if (texts) texts = null;
        if (shown.length !== rows.length) {
          shown = shown.slice().sort(function (a, b) { return order.get(a) - order.get(b); });
        } else {
          shown = rows;
        }
        page = 0;
        render();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
    var input = document.querySelector('input[data-filter-for="' + table.id + '"]');
    if (input) {
      var timer = null;
      var apply = function () {
        var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        if (!terms.length) { shown = rows; page = 0; render(); return; }
        if (!texts) texts = new Map(rows.map(function (r) { return [r, r.textContent.toLowerCase()]; }));
        shown = rows.filter(function (r) {
          var t = texts.get(r);
          return terms.every(function (w) { return t.indexOf(w) !== -1; });
        });
        page = 0;
        render();
      };
      input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 80); });
      input.addEventListener("keydown", function (e) { e.stopPropagation(); });
    }
    render();
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.mtlkb-table"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
/* mtlkb: zoom, pan and find on the research maps (SVG viewBox; no dependencies). */
(function () {
  function setup(wrap) {
    var svg = wrap.querySelector("svg.mtlkb-map-svg");
    var tools = wrap.querySelector(".mtlkb-map-tools");
    if (!svg || !tools || wrap.dataset.mtlkbReady) return;
    wrap.dataset.mtlkbReady = "1";
    tools.hidden = false;
    var base = svg.viewBox.baseVal;
    var full = { x: base.x, y: base.y, w: base.width, h: base.height };
    var view = { x: full.x, y: full.y, w: full.w, h: full.h };
    function apply() {
      svg.setAttribute("viewBox", view.x + " " + view.y + " " + view.w + " " + view.h);
      // paper titles once a paper dot is big enough to carry one
      var scale = svg.getBoundingClientRect().width / view.w;
      svg.classList.toggle("mtlkb-near", scale > 2.5);
    }
    function zoom(factor, cx, cy) {
      var w = Math.min(full.w, Math.max(full.w / 80, view.w / factor));
      var h = w * full.h / full.w;
      if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
      view.x = cx - (cx - view.x) * w / view.w;
      view.y = cy - (cy - view.y) * h / view.h;
      view.w = w; view.h = h;
      apply();
    }
    function toSvg(ev) {
      var r = svg.getBoundingClientRect();
      return { x: view.x + (ev.clientX - r.left) / r.width * view.w,
               y: view.y + (ev.clientY - r.top) / r.height * view.h };
    }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var p = toSvg(ev);
      zoom(ev.deltaY < 0 ? 1.25 : 0.8, p.x, p.y);
    }, { passive: false });
    var drag = null, moved = false;
    svg.addEventListener("pointerdown", function (ev) {
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y }; moved = false;
    });
    window.addEventListener("pointermove", function (ev) {
      if (!drag) return;
      var r = svg.getBoundingClientRect();
      var dx = (ev.clientX - drag.x) / r.width * view.w, dy = (ev.clientY - drag.y) / r.height * view.h;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 4) moved = true;
      view.x = drag.vx - dx; view.y = drag.vy - dy;
      apply();
    });
    window.addEventListener("pointerup", function () { drag = null; });
    svg.addEventListener("click", function (ev) { if (moved) { ev.preventDefault(); moved = false; } }, true);
    tools.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var how = b.getAttribute("data-zoom");
        if (how === "in") zoom(1.6);
        else if (how === "out") zoom(1 / 1.6);
        else { view = { x: full.x, y: full.y, w: full.w, h: full.h }; apply(); }
      });
    });
    var find = tools.querySelector(".mtlkb-map-find");
    var found = tools.querySelector(".mtlkb-map-found");
    var nodes = Array.prototype.slice.call(svg.querySelectorAll("a[data-name]"));
    var names = null, lit = [];
    function search() {
      lit.forEach(function (el) { el.classList.remove("hit"); });
      lit = [];
      var q = find.value.trim().toLowerCase();
      if (!q) { found.textContent = ""; return; }
      if (!names) names = nodes.map(function (a) { return a.getAttribute("data-name").toLowerCase(); });
      var hits = [];
      for (var i = 0; i < nodes.length && hits.length < 500; i++) {
        if (names[i].indexOf(q) !== -1) hits.push(nodes[i]);
      }
      found.textContent = hits.length ? hits.length + (hits.length === 500 ? "+" : "") + " found" : "none found";
      hits.forEach(function (a) {
        var shape = a.querySelector("circle, rect, polygon");
        if (shape) { shape.classList.add("hit"); lit.push(shape); }
      });
      if (hits.length) focus(hits[0]);
    }
    function focus(a) {
      var box = a.getBBox(), w = Math.max(full.w / 12, 120);
      view.w = Math.min(full.w, w); view.h = view.w * full.h / full.w;
      view.x = box.x + box.width / 2 - view.w / 2; view.y = box.y + box.height / 2 - view.h / 2;
      apply();
    }
    // map.html#paper=KEY (a paper page's "Open the full research map"): that paper, lit
    function fromHash() {
      var m = /^#paper=(.+)$/.exec(location.hash);
      if (!m) return;
      var key = decodeURIComponent(m[1]);
      var a = nodes.filter(function (n) {
        return (n.getAttribute("href") || "").split("/").pop() === key + ".html";
      })[0];
      if (!a) return;
      lit.forEach(function (el) { el.classList.remove("hit"); });
      var shape = a.querySelector("circle");
      lit = shape ? [shape] : [];
      if (shape) shape.classList.add("hit");
      found.textContent = "1 found";
      focus(a);
    }
    window.addEventListener("hashchange", fromHash);
    var timer = null;
    find.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 150); });
    find.addEventListener("keydown", function (e) {
      e.stopPropagation();
      if (e.key === "Enter" && lit.length) {
        var a = lit[0].closest("a");
        if (a) location.href = a.href.baseVal || a.getAttribute("href");
      }
    });
    apply();
    fromHash();
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".mtlkb-mapwrap"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
