/* The version menu, brought up to date from the published tree's versions.json.
 *
 * The page is built with a menu of the versions known at build time; once published,
 * versions.json (written by `python -m analysis assemble`) lists every release, so a
 * release's pages also offer the releases that came after it. The manifest sits at the
 * root of the published tree: beside the site when the site is the latest (root), one
 * level up when the site is a release (vX.Y.Z/). Paths in it are relative to it.
 * Without a manifest (a local build) the built menu stays as it is.
 *
 * Two page templates carry the menu: the embedded renderer's <details class="version-menu">
 * (version and site root in data attributes), and Quarto's sidebar tool, a Bootstrap
 * dropdown under the clock icon whose first entry, "<version> (this version)", links to the
 * site's own index.html (analysis/publish/build.py writes it; versions-menu.html loads this
 * script on Quarto's pages).
 */
(function () {
  "use strict";
  if (!window.fetch || !window.URL) return;
  var list, root, current, itemClass = "";
  var menu = document.querySelector(".version-menu");
  if (menu) {
    list = menu.querySelector("ul");
    root = new URL(menu.getAttribute("data-site-root") || "./", window.location.href);
    current = menu.getAttribute("data-version");
  } else {
    var icon = document.querySelector(".sidebar-tools-main .dropdown-toggle .bi-clock-history");
    var dropdown = icon && icon.closest(".dropdown");
    list = dropdown && dropdown.querySelector("ul.dropdown-menu");
    var here = list && list.querySelector("a[href]");
    if (!here) return;
    root = new URL("./", here.href);
    current = here.textContent.trim().replace(/\s*\(this version\)$/, "");
    itemClass = here.className;
  }
  if (!list) return;
  var release = /\/v\d+\.\d+\.\d+\/$/.test(root.pathname);
  var manifest = new URL(release ? "../versions.json" : "versions.json", root);

  function item(text, href, here) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    if (itemClass) a.className = itemClass;
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
      var shown = /\.dev/.test(current) ? "development" : current;
      var items = [item(shown + " (this version)", new URL("index.html", root).href, true)];
      // the latest build is another entry only on a release's page, and only when it is
      // itself a release: an unreleased build is the development version, never "(latest)"
      var latest = data.latest;
      if (latest && latest.version && release && latest.released !== false &&
          !/\.dev/.test(String(latest.version))) {
        items.push(item(latest.version + " (latest)",
                        new URL(latest.path || "./", manifest).href, false));
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
