// The service worker: lessons carry on when the school Wi-Fi drops. Plain JavaScript, no framework.
//
// - Lesson screens and static files (styles, scripts, pictures, read-aloud audio) are kept.
// - A response marked Cache-Control: no-store (every personal page) is never kept: Cache.put would
//   store it, so this worker checks the header itself.
// - Offline, a page that was not kept shows the calm offline page; a form sent offline (a quiz
//   answer, a message) is never queued to be sent later: the child sees the offline page instead.
"use strict";

var VERSION = self.__version || "v1"; // changes with the app's files: a new worker, fresh caches
var PAGES = "pages-" + VERSION;
var FILES = "files-" + VERSION;
var OFFLINE_URL = "/offline";
var PRECACHE = self.__precache || [];

function keepable(response) {
  if (!response || response.status !== 200 || response.type !== "basic") { return false; }
  var cc = (response.headers.get("Cache-Control") || "").toLowerCase();
  return cc.indexOf("no-store") === -1;
}

function isFile(url) {
  return /^\/(static|pictures|audio)\//.test(url.pathname);
}

function keep(cacheName, request, response) {
  if (!keepable(response)) { return Promise.resolve(); }
  var copy = response.clone();
  return caches.open(cacheName).then(function (cache) { return cache.put(request, copy); });
}

function fetchAndKeep(cacheName, url) {
  return fetch(url, { credentials: "same-origin", cache: "no-cache" }).then(function (response) {
    return keep(cacheName, new Request(url), response);
  }).catch(function () { return null; });
}

function keepAll(urls) {
  // One at a time: a school's small server is not flooded, and the page's own requests go first.
  return urls.reduce(function (done, u) {
    return done.then(function () {
      var cacheName = isFile(new URL(u, self.location.origin)) ? FILES : PAGES;
      return caches.match(u).then(function (kept) { return kept ? null : fetchAndKeep(cacheName, u); });
    });
  }, Promise.resolve());
}

self.addEventListener("install", function (event) {
  // Ready once the offline page is kept; the files every pupil page needs follow once it is active.
  event.waitUntil(fetchAndKeep(FILES, OFFLINE_URL).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== PAGES && n !== FILES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }).then(function () { return keepAll(PRECACHE); }));
});

function offlinePage() {
  return caches.match(OFFLINE_URL).then(function (page) {
    return page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") {
    // Never queued: online it goes as usual; offline the child is told calmly, nothing is kept.
    if (request.mode === "navigate") {
      event.respondWith(fetch(request).catch(offlinePage));
    }
    return;
  }
  if (isFile(url)) {
    // Files: from the device when kept (a new version of the app brings a new worker and new caches),
    // else from the network, kept before the page gets them.
    event.respondWith(caches.match(request).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        return keep(FILES, request, response).then(function () { return response; });
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    // Pages: the network first (always current); a kept lesson screen, else the offline page.
    event.respondWith(fetch(request).then(function (response) {
      return keep(PAGES, request, response).then(function () { return response; });
    }).catch(function () {
      return caches.match(request, { ignoreVary: true }).then(function (kept) { return kept || offlinePage(); });
    }));
  }
});

// A lesson screen asks for the module's other screens to be kept, so the next one shows offline.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  // A page that opened while this worker was still starting up is not yet looked after (the claim at
  // activation only reaches pages that were already open): it asks, and is claimed now.
  if (data.claim) { event.waitUntil(self.clients.claim()); }
  if (!data.keep || !data.keep.length) { return; }
  var urls = data.keep.filter(function (u) { return typeof u === "string" && u.charAt(0) === "/" && u.charAt(1) !== "/"; });
  event.waitUntil(keepAll(urls.slice(0, 40)).then(function () {
    if (event.source) { event.source.postMessage({ kept: urls.length }); }
  }));
});
