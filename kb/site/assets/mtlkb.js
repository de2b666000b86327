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
