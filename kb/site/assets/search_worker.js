/* mtlkb search worker: a drop-in for Material's lunr worker (same messages: SETUP 0 ->
   READY 1, QUERY 2 -> RESULT 3, same result shape), built for thousands of papers.

   Material's worker builds a lunr index with every token position on each page load: at
   5,000 papers that took 7-12 s and ~550 MB a tab, again after every navigation. This one
   builds a plain inverted index (term -> doc ids, title and text apart) in one pass over the
   documents Material already loads, and keeps no positions: snippets are cut and marked at
   query time from the few documents shown.

   Text is folded before indexing and querying: NFKD without combining marks and lower case
   ("Muller" finds "Müller"), words are runs of letters and digits (so "alpha" finds
   "$\alpha$-MTL"), and Han / kana / Hangul runs are indexed as single characters and
   character pairs (so 梯度 is found inside a title, not only at its start). The last word of
   a query matches as a prefix; every word must match (when none matches all, the best
   partial matches are shown with the missing words struck through, as Material does). */
(function () {
  "use strict";
  var CJK = /[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;
  var WORD = /[\p{L}\p{N}]+/gu;
  var MARKS = /\p{M}+/gu;
  // Material shows 10 pages at a time and loads more while scrolling; 100 pages and 6
  // sections a page keep each keystroke's answer small at thousands of papers.
  var MAX_GROUPS = 100, MAX_SECTIONS = 6, MAX_EXPAND = 400;
  var plainCache = new Map();
  var docs = [], pageOf = [], byLoc = new Map(), terms = null, tIdx = null, xIdx = null;
  var tRaw = null, xRaw = null;  // prebuilt index: posting lists still encoded

  function fold(s) { return s.normalize("NFKD").replace(MARKS, "").toLowerCase(); }
  function strip(html) {
    return html.replace(/<[^>]*>/g, " ").replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi,
      function (m, e) {
        e = e.toLowerCase();
        if (e[0] === "#") {
          var n = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
          try { return String.fromCodePoint(n); } catch (err) { return " "; }
        }
        return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " }[e];
      });
  }
  // Words of folded text; CJK runs as characters and pairs.
  function words(folded, out, query) {
    var m;
    WORD.lastIndex = 0;
    while ((m = WORD.exec(folded))) {
      var w = m[0];
      if (!CJK.test(w)) { out.push(w); continue; }
      var run = "", parts = w.split(/([\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)/);
      for (var i = 0; i < parts.length; i++) {
        run = parts[i];
        if (!run) continue;
        if (!CJK.test(run)) { out.push(run); continue; }
        var cs = Array.from(run);
        if (query) {
          if (cs.length === 1) out.push(cs[0]);
          for (var j = 0; j + 1 < cs.length; j++) out.push(cs[j] + cs[j + 1]);
        } else {
          for (var k = 0; k < cs.length; k++) {
            out.push(cs[k]);
            if (k + 1 < cs.length) out.push(cs[k] + cs[k + 1]);
          }
        }
      }
    }
    return out;
  }

  function build(list) {
    var tmap = new Map(), xmap = new Map();
    function add(map, w, id) {
      var a = map.get(w);
      if (a === undefined) map.set(w, [id]);
      else if (a[a.length - 1] !== id) a.push(id);
    }
    pages(list); tRaw = xRaw = null;
    for (var id = 0; id < list.length; id++) {
      var d = list[id];
      var tw = words(fold(strip(d.title || "")), [], false);
      for (var i = 0; i < tw.length; i++) add(tmap, tw[i], id);
      var xw = words(fold(strip(d.text || "")), [], false);
      for (var j = 0; j < xw.length; j++) add(xmap, xw[j], id);
      if (d.tags) for (var t = 0; t < d.tags.length; t++) {
        var gw = words(fold(String(d.tags[t])), [], false);
        for (var g = 0; g < gw.length; g++) add(tmap, gw[g], id);
      }
    }
    var all = new Set(tmap.keys());
    xmap.forEach(function (_v, k) { all.add(k); });
    terms = Array.from(all).sort();
    tIdx = new Array(terms.length); xIdx = new Array(terms.length);
    for (var n = 0; n < terms.length; n++) {
      var a = tmap.get(terms[n]), b = xmap.get(terms[n]);
      tIdx[n] = a ? Int32Array.from(a) : null;
      xIdx[n] = b ? Int32Array.from(b) : null;
    }
  }

  function pages(list) {
    docs = list; pageOf = new Array(list.length); byLoc = new Map();
    for (var id = 0; id < list.length; id++) {
      var path = list[id].location.split("#")[0];
      if (!byLoc.has(path)) byLoc.set(path, id);
      byLoc.set(list[id].location, id);
      pageOf[id] = byLoc.get(path);
    }
  }
  // The index `mtlkb site build` wrote (kb/site/search_index.py): only parsed here; a
  // posting list is decoded the first time a query needs it.
  function load(packed) {
    var p = JSON.parse(packed);
    pages(p.docs.map(function (d) {
      var o = { location: d[0], title: d[1], text: d[2] };
      if (d[3] && d[3].length) o.tags = d[3];
      if (d[4]) o.boost = d[4];
      return o;
    }));
    terms = p.terms; tRaw = p.title; xRaw = p.text;
    tIdx = new Array(terms.length); xIdx = new Array(terms.length);
  }
  function decode(s) {
    if (!s) return null;
    var parts = s.split("."), out = new Int32Array(parts.length), v = 0;
    for (var i = 0; i < parts.length; i++) { v += +parts[i]; out[i] = v; }
    return out;
  }
  function postings(i) {
    if (tRaw && tIdx[i] === undefined) { tIdx[i] = decode(tRaw[i]); xIdx[i] = decode(xRaw[i]); }
    return [tIdx[i], xIdx[i]];
  }

  function lower(w) {
    var lo = 0, hi = terms.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (terms[mid] < w) lo = mid + 1; else hi = mid; }
    return lo;
  }
  // doc id -> score for one query word (exact, or prefix when `prefix`).
  function lookup(w, prefix) {
    var scores = new Map(), i = lower(w), n = 0, N = docs.length || 1;
    for (; i < terms.length && n < MAX_EXPAND; i++, n++) {
      var term = terms[i];
      if (term !== w && !(prefix && term.lastIndexOf(w, 0) === 0)) break;
      var exact = term === w ? 1 : 0.6;
      var both = postings(i), lists = [[both[0], 4], [both[1], 1]];
      for (var l = 0; l < 2; l++) {
        var post = lists[l][0];
        if (!post) continue;
        var idf = Math.log(1 + N / post.length) * lists[l][1] * exact;
        for (var p = 0; p < post.length; p++) {
          var id = post[p], s = scores.get(id);
          if (s === undefined || s < idf) scores.set(id, idf);
        }
      }
      if (!prefix) break;
    }
    return scores;
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  // Plain text with the query words marked; `cut` keeps ~300 characters around the first.
  function plainOf(raw) {
    var c = plainCache.get(raw);
    if (c === undefined) {
      var plain = strip(raw).replace(/\s+/g, " ").trim();
      c = [plain, fold(plain)];
      if (plainCache.size > 20000) plainCache.clear();
      plainCache.set(raw, c);
    }
    return c;
  }
  function mark(raw, qwords, cut) {
    var pf = plainOf(raw), plain = pf[0], f = pf[1];
    var hits = [];
    if (f.length === plain.length) {  // folding kept offsets: mark on the original
      for (var q = 0; q < qwords.length; q++) {
        var w = qwords[q], at = 0, k;
        if (!w) continue;
        while ((k = f.indexOf(w, at)) !== -1 && hits.length < 200) {
          hits.push([k, k + w.length]); at = k + w.length;
        }
      }
    }
    hits.sort(function (a, b) { return a[0] - b[0]; });
    var start = 0, end = plain.length;
    if (cut && plain.length > 320) {
      start = hits.length ? Math.max(0, hits[0][0] - 80) : 0;
      end = Math.min(plain.length, start + 320);
    }
    var out = start > 0 ? "… " : "", pos = start;
    for (var h = 0; h < hits.length; h++) {
      var a = hits[h][0], b = hits[h][1];
      if (a < pos || a >= end) continue;
      out += escapeHtml(plain.slice(pos, a)) + "<mark>" + escapeHtml(plain.slice(a, b)) + "</mark>";
      pos = b;
    }
    out += escapeHtml(plain.slice(pos, end)) + (end < plain.length ? " …" : "");
    return out;
  }

  function search(query) {
    var raw = String(query || "").replace(/[*~^+\-:]/g, " ");
    var qw = words(fold(raw), [], true);
    var seen = new Set(); qw = qw.filter(function (w) { return !seen.has(w) && seen.add(w); });
    if (!qw.length || !terms) return { items: [] };
    var endsWord = /[\p{L}\p{N}]$/u.test(raw.trim());
    var per = qw.map(function (w, i) {
      return lookup(w, i === qw.length - 1 && endsWord && !CJK.test(w));
    });
    var total = new Map(), count = new Map();
    per.forEach(function (m) {
      m.forEach(function (s, id) {
        total.set(id, (total.get(id) || 0) + s);
        count.set(id, (count.get(id) || 0) + 1);
      });
    });
    var need = qw.length, best = 0;
    count.forEach(function (c) { if (c > best) best = c; });
    if (!best) return { items: [] };
    if (best < need) need = best;
    // group by page; a page's score is its best document's
    var groups = new Map();
    total.forEach(function (s, id) {
      if (count.get(id) < need) return;
      var page = pageOf[id];
      var score = s * (id === page ? 1.5 : 1) * (1 + (docs[id].boost || 0));
      var g = groups.get(page);
      if (!g) groups.set(page, g = { score: 0, ids: [] });
      g.ids.push([id, score]);
      if (score > g.score) g.score = score;
    });
    var ordered = Array.from(groups.entries()).sort(function (a, b) { return b[1].score - a[1].score; })
      .slice(0, MAX_GROUPS);
    var items = ordered.map(function (e) {
      var page = e[0], g = e[1];
      g.ids.sort(function (a, b) { return b[1] - a[1]; });
      // The page's own document first: Material titles a group by its first item, so a hit
      // in a note section is shown under the paper's title, not the section's.
      var own = g.ids.filter(function (x) { return x[0] === page; });
      var rest = g.ids.filter(function (x) { return x[0] !== page; }).slice(0, MAX_SECTIONS - 1);
      return [make(page, own.length ? own[0][1] : 0, per, qw)].concat(
        rest.map(function (x) { return make(x[0], x[1], per, qw); }));
    });
    return { items: items };
  }

  function make(id, score, per, qw) {
    var d = docs[id], t = {};
    for (var i = 0; i < qw.length; i++) t[qw[i]] = per[i].has(id);
    var out = { location: d.location, title: mark(d.title || "", qw, false),
                text: mark(d.text || "", qw, true), score: score, terms: t };
    if (d.tags) out.tags = d.tags.slice();
    return out;
  }

  addEventListener("message", function (ev) {
    var m = ev.data || {};
    if (m.type === 0) {
      try {
        var packed = m.data && m.data.config && m.data.config.mtlkb;
        if (typeof packed === "string") load(packed);
        else build((m.data && m.data.docs) || []);
      } catch (e) { console.warn(e); }
      postMessage({ type: 1 });
    } else if (m.type === 2) {
      var r;
      try { r = search(m.data); } catch (e) { console.warn(e); r = { items: [] }; }
      postMessage({ type: 3, data: r });
    }
  });
})();
