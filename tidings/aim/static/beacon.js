/* Exposures and clicks of the cards on this page, sent in batches
   (tidings/aim/events.py).  A card root carries data-beacon (the URL to post
   to) and, on the virtual phone, data-number (the handset).  A click names
   its component: the item's type and its place on the card (button#3), with
   the action it triggers.  Batches leave every 2 s and when the page hides. */
(function () {
  "use strict";
  if (window.tidingsBeacon) return;
  var queues = {};

  function push(card, event) {
    var url = card.dataset.beacon;
    if (!url) return;
    var q = queues[url] || (queues[url] = {number: card.dataset.number || "", events: []});
    if (q.events.length < 50) q.events.push(event);
  }

  function flush(useBeacon) {
    Object.keys(queues).forEach(function (url) {
      var q = queues[url];
      if (!q.events.length) return;
      var body = JSON.stringify({number: q.number, events: q.events});
      q.events = [];
      if (useBeacon && navigator.sendBeacon) {
        navigator.sendBeacon(url, new Blob([body], {type: "application/json"}));
      } else {
        fetch(url, {method: "POST", body: body, headers: {"Content-Type": "application/json"}, credentials: "same-origin", keepalive: true})
          .catch(function () {});
      }
    });
  }

  function component(item) {
    var items = Array.prototype.slice.call(item.parentNode.children).filter(function (el) { return el.classList.contains("tc-item"); });
    var type = "item";
    item.classList.forEach(function (c) { if (c.indexOf("tc-") === 0 && c !== "tc-item" && c !== "tc-bg" && c !== "tc-title") type = c.slice(3); });
    var acting = item.matches("[data-action]") ? item : item.querySelector("[data-action]");
    return type + "#" + (items.indexOf(item) + 1) + (acting ? ":" + acting.dataset.action : "");
  }

  // Each card root once: a refreshed list keeps what was already counted.
  var seen = {};
  function expose(root) {
    (root || document).querySelectorAll("[data-beacon]").forEach(function (card) {
      var key = card.dataset.beacon + "|" + (card.dataset.shown || "");
      if (card.offsetParent === null || seen[key]) return;
      seen[key] = true;
      push(card, {kind: "expose"});
    });
  }

  document.addEventListener("click", function (e) {
    var item = e.target.closest && e.target.closest("[data-beacon] .tc-item");
    if (!item) return;
    push(item.closest("[data-beacon]"), {kind: "click", component: component(item)});
    if (item.closest("a[href]") || item.matches("a[href]")) flush(true);  // a navigation may end the page
  }, true);
  document.addEventListener("visibilitychange", function () { if (document.hidden) flush(true); });
  window.addEventListener("pagehide", function () { flush(true); });
  setInterval(function () { flush(false); }, 2000);
  window.tidingsBeacon = {expose: expose, flush: flush};
  expose();
})();
