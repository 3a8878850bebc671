/* The version menu, brought up to date from the published tree's versions.json.
 *
 * The page is built with a menu of the versions known at build time; once published,
 * versions.json (written by `python -m analysis assemble`) lists every release, so a
 * release's pages also offer the releases that came after it. The manifest sits at the
 * root of the published tree: beside the site when the site is the latest (root), one
 * level up when the site is a release (vX.Y.Z/). Paths in it are relative to it.
 * Without a manifest (a local build) the built menu stays as it is.
 */
(function () {
  "use strict";
  var menu = document.querySelector(".version-menu");
  var list = menu && menu.querySelector("ul");
  if (!list || !window.fetch || !window.URL) return;
  var root = new URL(menu.getAttribute("data-site-root") || "./", window.location.href);
  var current = menu.getAttribute("data-version");
  var release = /\/v\d+\.\d+\.\d+\/$/.test(root.pathname);
  var manifest = new URL(release ? "../versions.json" : "versions.json", root);

  function item(text, href, here) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.textContent = text;
    a.href = href;
    if (here) a.setAttribute("aria-current", "true");
    li.appendChild(a);
    return li;
  }

  fetch(manifest.href, { cache: "no-cache" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data || !Array.isArray(data.versions)) return;
      var items = [item(current + " (this version)", new URL("index.html", root).href, true)];
      if (data.latest && data.latest.version && (release || data.latest.version !== current)) {
        items.push(item(data.latest.version + " (latest)",
                        new URL(data.latest.path || "./", manifest).href, false));
      }
      data.versions.forEach(function (v) {
        if (!v || !v.version || !v.path) return;
        if (release && v.version === current) return;
        items.push(item(String(v.version), new URL(v.path, manifest).href, false));
      });
      list.replaceChildren.apply(list, items);
    })
    .catch(function () { /* no manifest: keep the menu the build wrote */ });
})();
