(function () {
  "use strict";
  // Filters work offline, on the rows already in the page. The state lives
  // in the URL fragment (#type=…&status=…&repo=…&q=…&open=all) so that a
  // filtered view can be bookmarked or sent, and tests can open one.
  var d = document, form = d.getElementById("filters");
  var rows = Array.prototype.slice.call(d.querySelectorAll("div.tok"));
  // The places of each row are data, not markup (see html.go): a row's
  // table is built when the row opens, from text nodes only.
  // It is read when first needed: opening the page parses no JSON.
  var island = d.getElementById("places"), places;
  function data() {
    if (!places) places = island ? JSON.parse(island.textContent) : {repos: [], rows: []};
    return places;
  }
  rows.forEach(function (r, i) { r.tokIndex = i; });
  var heads = ["Path", "Line", "Commit", "Date", "Author", "Notes"];
  function cell(tr, text) {
    var td = d.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function fill(i) {
    var r = rows[i], list = data().rows[i];
    if (!list || r.filled) return;
    r.filled = true;
    var repos = places.repos.length > 0;
    var table = d.createElement("table"), head = d.createElement("tr"), body = d.createElement("tbody");
    table.className = repos ? "locs rp" : "locs";
    (repos ? ["Repository"].concat(heads) : heads).forEach(function (h) {
      var th = d.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    });
    table.appendChild(d.createElement("thead")).appendChild(head);
    list.forEach(function (p) {
      var tr = d.createElement("tr");
      if (repos) cell(tr, places.repos[p[0] - 1] || "");
      cell(tr, p[1]);
      cell(tr, p[2]);
      cell(tr, p[3]);
      cell(tr, p[4]);
      var who = cell(tr, p[5]);
      if (p[6]) {
        var small = d.createElement("small");
        small.textContent = "<" + p[6] + ">";
        who.appendChild(d.createTextNode(" "));
        who.appendChild(small);
      }
      var notes = cell(tr, "");
      p[7].forEach(function (n) {
        var tag = d.createElement("span");
        tag.className = "tag";
        tag.textContent = n;
        notes.appendChild(tag);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    r.querySelector(".body").appendChild(table);
  }
  // A row is a <div>, not a <details>, which cost Chromium two fifths of
  // its time opening a page of 2,000 rows (see html.go). The row's
  // summary is a button the script works.
  function isOpen(r) {
    return r.classList.contains("open");
  }
  function setOpen(r, opened) {
    r.classList.toggle("open", opened);
    r.firstElementChild.setAttribute("aria-expanded", opened ? "true" : "false");
  }
  function open(i) {
    fill(i);
    setOpen(rows[i], true);
  }
  // The search finds a row by what it shows and by its places, opened or
  // not.
  var texts = [];
  function text(i) {
    if (texts[i] === undefined) {
      var t = [rows[i].firstElementChild.textContent, rows[i].querySelector(".body").textContent];
      (data().rows[i] || []).forEach(function (p) {
        t.push(places.repos[p[0] - 1] || "", p[1], p[2], p[3], p[4], p[5], p[6] ? "<" + p[6] + ">" : "", p[7].join(" "));
      });
      texts[i] = t.join("\n").toLowerCase();
    }
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
  function openAll(opened) {
    rows.forEach(function (r, i) {
      if (r.hidden) return;
      if (opened) open(i);
      else setOpen(r, false);
    });
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
  if (target && target.tokIndex !== undefined) open(target.tokIndex);
  // A click, Enter or Space on a row's summary opens or closes it.
  function toggle(e) {
    var s = e.target.closest && e.target.closest(".tok>.sum");
    if (!s || s.parentNode.tokIndex === undefined) return;
    if (e.type === "keydown") {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
    }
    var r = s.parentNode;
    if (isOpen(r)) setOpen(r, false);
    else open(r.tokIndex);
  }
  d.addEventListener("click", toggle);
  d.addEventListener("keydown", toggle);
  // Printing shows every place of every token still shown: the tables are
  // built before the browser lays the page out for print.
  var opened = [];
  addEventListener("beforeprint", function () {
    opened = rows.filter(function (r) { return !isOpen(r) && !r.hidden; });
    rows.forEach(function (r, i) { if (!r.hidden) open(i); });
  });
  addEventListener("afterprint", function () {
    opened.forEach(function (r) { setOpen(r, false); });
  });
  d.documentElement.setAttribute("data-ready", "1");
})();
