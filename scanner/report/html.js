(function () {
  "use strict";
  // Filters work offline, on the rows already in the page. The state lives
  // in the URL fragment (#type=…&status=…&repo=…&q=…&open=all) so that a
  // filtered view can be bookmarked or sent, and tests can open one.
  var d = document, form = d.getElementById("filters");
  var rows = Array.prototype.slice.call(d.querySelectorAll("details.tok"));
  var texts = [];
  function text(i) {
    if (texts[i] === undefined) texts[i] = rows[i].textContent.toLowerCase();
    return texts[i];
  }
  function has(list, v, sep) {
    return (sep + list + sep).indexOf(sep + v + sep) >= 0;
  }
  function val(name) {
    var el = form && form.elements[name];
    return el ? el.value : "";
  }
  // The repository filter's values are numbers; the URL names the
  // repository.
  function optionText(name) {
    var el = form.elements[name];
    return el.options[el.selectedIndex].textContent;
  }
  function apply(save) {
    var q = val("q").trim().toLowerCase(), type = val("type"), status = val("status"), repo = val("repo"), n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!type || r.getAttribute("data-type") === type) &&
        (!status || has(r.getAttribute("data-status"), status, " ")) &&
        (!repo || has(r.getAttribute("data-repos") || "", repo, " ")) &&
        (!q || text(i).indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    }
    var shown = d.getElementById("shown"), none = d.getElementById("none");
    if (shown) shown.textContent = n;
    if (none) none.hidden = n > 0;
    if (save) {
      var p = new URLSearchParams();
      [["q", val("q")], ["type", type], ["status", status], ["repo", repo && optionText("repo")]].forEach(function (kv) {
        if (kv[1]) p.set(kv[0], kv[1]);
      });
      try { history.replaceState(null, "", p.toString() ? "#" + p.toString() : location.pathname + location.search); } catch (e) { /* file: URLs may refuse */ }
    }
  }
  function openAll(open) {
    rows.forEach(function (r) { if (!r.hidden) r.open = open; });
  }
  if (form) {
    form.hidden = false;
    var params = new URLSearchParams(location.hash.replace(/^#/, "") || location.search.replace(/^\?/, ""));
    ["q", "type", "status", "repo"].forEach(function (k) {
      var el = form.elements[k], v = params.get(k);
      if (!el || v === null) return;
      if (el.tagName === "SELECT") {
        var o = Array.prototype.filter.call(el.options, function (o) { return o.value === v || k === "repo" && o.value && o.textContent === v; })[0];
        if (o) el.value = o.value;
        return;
      }
      el.value = v;
    });
    form.addEventListener("input", function () { apply(true); });
    form.addEventListener("change", function () { apply(true); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-open]");
      if (b) openAll(b.getAttribute("data-open") === "1");
    });
    apply(false);
    if (params.get("open") === "all") openAll(true);
  }
  // A token named in the fragment (#t3) opens.
  var target = location.hash.length > 1 && /^#t\d+$/.test(location.hash) && d.getElementById(location.hash.slice(1));
  if (target) target.open = true;
  // Printing shows every place of every token still shown.
  var opened = [];
  addEventListener("beforeprint", function () {
    opened = rows.filter(function (r) { return !r.open && !r.hidden; });
    opened.forEach(function (r) { r.open = true; });
  });
  addEventListener("afterprint", function () {
    opened.forEach(function (r) { r.open = false; });
  });
  d.documentElement.setAttribute("data-ready", "1");
})();
