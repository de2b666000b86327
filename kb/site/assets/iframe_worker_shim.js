/* mtlkb: let Material's search worker run when the site is opened from file://, where
   browsers refuse `new Worker(url)`. Local, no network.
   1. If `mtlkb site build` wrote the worker's source beside it (<worker>.src.js), the worker
      runs as a real Worker from a blob: URL (off the main thread).
   2. Otherwise it runs in a hidden iframe (a Worker polyfill, like iframe-worker). */
(function () {
  if (location.protocol !== "file:" || window.IFrameWorker) return;
  var NativeWorker = window.Worker;

  function emit(target, data) {
    var ev = new MessageEvent("message", { data: data });
    if (typeof target.onmessage === "function") target.onmessage(ev);
    target._l.forEach(function (fn) { fn.call(target, ev); });
  }

  function IFrameWorker(url) {
    var self = this, f = document.createElement("iframe");
    this.onmessage = null; this.onerror = null; this._l = []; this._q = []; this._ready = false;
    f.setAttribute("aria-hidden", "true"); f.tabIndex = -1;
    f.style.cssText = "display:none;width:0;height:0;border:0";
    (document.body || document.documentElement).appendChild(f);
    var w = f.contentWindow, d = f.contentDocument;
    d.open(); d.write("<!doctype html><html><head></head><body></body></html>"); d.close();
    this._w = w;
    function load(src) {
      return new Promise(function (ok, ko) {
        var s = d.createElement("script"); s.src = src; s.onload = ok;
        s.onerror = function () { ko(new Error("cannot load " + src)); };
        d.head.appendChild(s);
      });
    }
    w.importScripts = function () {
      var p = Promise.resolve();
      Array.prototype.forEach.call(arguments, function (u) {
        p = p.then(function () { return load(u); });
      });
      return p;
    };
    w.postMessage = function (data) { emit(self, data); };
    w.close = function () { self.terminate(); };
    load(new URL(url, location.href).href).then(function () {
      self._ready = true;
      self._q.splice(0).forEach(function (m) { self.postMessage(m); });
    }, function (e) { if (typeof self.onerror === "function") self.onerror(e); });
  }
  IFrameWorker.prototype.postMessage = function (data) {
    if (!this._ready) { this._q.push(data); return; }
    var w = this._w;
    setTimeout(function () { w.dispatchEvent(new w.MessageEvent("message", { data: data })); }, 0);
  };

  function FileWorker(url) {
    var self = this, abs = new URL(url, location.href).href;
    this.onmessage = null; this.onerror = null; this._l = []; this._q = []; this._w = null;
    this._dead = false;
    var name = abs.split(/[?#]/)[0].split("/").pop();
    var s = document.createElement("script");
    s.src = abs.split(/[?#]/)[0] + ".src.js";
    s.onload = function () {
      var src = (window.__mtlkbWorkerSrc || {})[name];
      self._start(src ? function () {
        var prelude = "var __mtlkbBase=" + JSON.stringify(abs) + ";(function(){var i=self.importScripts;" +
          "self.importScripts=function(){return i.apply(self,Array.prototype.map.call(arguments," +
          "function(u){return new URL(u,__mtlkbBase).href;}));};})();\n";
        return new NativeWorker(URL.createObjectURL(new Blob([prelude + src],
          { type: "text/javascript" })));
      } : null, abs);
    };
    s.onerror = function () { self._start(null, abs); };
    (document.head || document.documentElement).appendChild(s);
  }
  FileWorker.prototype._start = function (make, abs) {
    if (this._dead) return;
    var self = this, w = null;
    if (make && NativeWorker) { try { w = make(); } catch (e) { w = null; } }
    if (!w) w = new IFrameWorker(abs);
    w.onmessage = function (ev) { emit(self, ev.data); };
    w.onerror = function (ev) { if (typeof self.onerror === "function") self.onerror(ev); };
    this._w = w;
    this._q.splice(0).forEach(function (m) { w.postMessage(m); });
  };
  FileWorker.prototype.postMessage = function (data) {
    if (this._w) this._w.postMessage(data); else this._q.push(data);
  };
  FileWorker.prototype.terminate = function () {
    this._dead = true; this._l = [];
    if (this._w && this._w.terminate) this._w.terminate();
  };

  [IFrameWorker, FileWorker].forEach(function (C) {
    C.prototype.addEventListener = function (type, fn) {
      if (type === "message") this._l.push(fn);
    };
    C.prototype.removeEventListener = function (type, fn) {
      if (type === "message") this._l = this._l.filter(function (g) { return g !== fn; });
    };
  });
  IFrameWorker.prototype.terminate = function () { this._l = []; this._ready = false; };

  window.IFrameWorker = IFrameWorker;
  window.Worker = FileWorker;
})();
