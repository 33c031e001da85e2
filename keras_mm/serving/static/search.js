// The search page: text → images and image → captions through /search.
// Plain browser JavaScript, served by the app itself (no build, no CDN).
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "keras_mm_api_key";
let apiKey = sessionStorage.getItem(KEY_STORE) || "";

function headers(extra) {
  const h = Object.assign({}, extra);
  if (apiKey) h["Authorization"] = "Bearer " + apiKey;
  return h;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function errorOf(response) {
  try {
    return (await response.json()).error || response.statusText;
  } catch (e) {
    return response.status + " " + response.statusText;
  }
}

// Server time from `Server-Timing: app;dur=1.234`.
function serverMs(response) {
  const match = /dur=([\d.]+)/.exec(response.headers.get("server-timing"));
  return match ? parseFloat(match[1]) : null;
}

async function refreshStatus() {
  const response = await fetch("/healthz");
  const health = await response.json();
  const size = health.index_size === null
    ? "no search index (start the server with --index)"
    : health.index_size + " indexed images";
  $("server-status").textContent = health.runtime + " runtime · " +
    health.modalities.join(", ") + " · " + size;
}

// Cache totals from /metrics; a 401 here means the server wants a key.
async function cacheTotals() {
  const response = await fetch("/metrics?format=json",
                               { headers: headers() });
  if (response.status === 401) {
    $("key-section").hidden = false;
    return null;
  }
  if (!response.ok) return null;
  return (await response.json()).cache;
}

async function showStats(started, response) {
  const total = performance.now() - started;
  const parts = [total.toFixed(1) + " ms round trip"];
  const inServer = serverMs(response);
  if (inServer !== null) parts.push(inServer.toFixed(1) + " ms in server");
  const cache = response.headers.get("x-cache");
  if (cache) parts.push("query embedding: cache " + cache);
  const totals = await cacheTotals();
  if (totals) {
    parts.push("cache totals: " + totals.hits + " hits, " +
               totals.misses + " misses");
  }
  $("stats").textContent = parts.join(" · ");
}

// Images come from the app's /images/<name>, fetched with the key.
async function loadImage(img, name) {
  const path = name.split("/").map(encodeURIComponent).join("/");
  const response = await fetch("/images/" + path, { headers: headers() });
  if (!response.ok) {
    img.alt = "not available: " + (await errorOf(response));
    return;
  }
  img.src = URL.createObjectURL(await response.blob());
}

function resultItem(hit) {
  const item = document.createElement("li");
  item.className = "hit";
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = hit.score.toFixed(3);
  item.append(score, "#" + hit.rank + " ");
  if (hit.image !== undefined && hit.image !== null) {
    item.dataset.image = hit.image;
    const img = document.createElement("img");
    img.alt = hit.caption || hit.image;
    loadImage(img, hit.image);
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = hit.image;
    item.append(img, name);
  }
  if (hit.caption) {
    item.dataset.caption = hit.caption;
    const caption = document.createElement("div");
    caption.className = "caption";
    caption.textContent = hit.caption;
    item.append(caption);
  }
  return item;
}

async function search(body, options) {
  showError("");
  const started = performance.now();
  let response;
  try {
    response = await fetch("/search", Object.assign(
      { method: "POST", body: body }, options));
  } catch (e) {
    showError("the server did not answer: " + e.message);
    return;
  }
  if (!response.ok) {
    if (response.status === 401) $("key-section").hidden = false;
    showError(await errorOf(response));
    return;
  }
  const data = await response.json();
  const list = $("results");
  list.className = "results " + (data.query === "text" ? "images"
                                                       : "captions");
  list.replaceChildren(...data.results.map(resultItem));
  await showStats(started, response);
  // Counts answered searches (scripts and tests wait on it).
  document.body.dataset.searches =
    String(parseInt(document.body.dataset.searches || "0", 10) + 1);
}

function k() {
  return parseInt($("k").value, 10);
}

$("text-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("query").value;
  search(JSON.stringify({ text: text, k: k() }),
         { headers: headers({ "Content-Type": "application/json" }) });
});

function searchImage(file) {
  if (!file) return;
  const preview = $("query-image");
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  const form = new FormData();
  form.append("image", file);
  form.append("k", String(k()));
  search(form, { headers: headers() });
}

$("image-file").addEventListener("change",
                                 (event) => searchImage(event.target.files[0]));
const drop = $("drop-zone");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  searchImage(event.dataTransfer.files[0]);
});

$("save-key").addEventListener("click", () => {
  apiKey = $("api-key").value.trim();
  sessionStorage.setItem(KEY_STORE, apiKey);
  showError("");
  cacheTotals().then((totals) => {
    if (totals) $("key-section").hidden = true;
    else showError("the server refused this key");
  });
});

refreshStatus().catch((e) => showError("no answer from /healthz: " +
                                       e.message));
cacheTotals();
