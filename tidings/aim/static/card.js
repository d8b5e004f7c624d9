/* The actions of a card (tidings/aim/render.py) that a plain link cannot do:
   pop-up, copy, picture viewer, app/quick-app with their floor URL, swiper
   autoplay.  Links (navigate, tel:, sms:, mailto:, calendar file, map) work
   without it.  Text is set with textContent, never as HTML. */
(function () {
  "use strict";
  if (window.tidingsCard) return;

  function overlay(cls) {
    var o = document.createElement("div");
    o.className = "tc-overlay " + cls;
    o.addEventListener("click", function (e) { if (e.target === o) o.remove(); });
    document.body.appendChild(o);
    return o;
  }

  function popup(el) {
    var o = overlay("tc-popup");
    var d = document.createElement("div");
    d.className = "tc-dialog";
    d.setAttribute("role", "dialog");
    var h = document.createElement("h3"); h.textContent = el.dataset.title || "";
    var p = document.createElement("p"); p.textContent = el.dataset.content || "";
    var b = document.createElement("button"); b.type = "button"; b.textContent = el.dataset.button || "OK";
    b.addEventListener("click", function () { o.remove(); });
    d.append(h, p, b); o.appendChild(d); b.focus();
  }

  function toast(text) {
    var t = document.createElement("div");
    t.className = "tc-toast"; t.setAttribute("role", "status"); t.textContent = text;
    document.body.appendChild(t);
    setTimeout(function () { t.remove(); }, 2500);
  }

  function copy(text) {
    var done = function () { toast("Copied: " + text); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { legacyCopy(text); done(); });
    } else { legacyCopy(text); done(); }
  }

  function legacyCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text; ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    try { document.execCommand("copy"); } catch (e) { /* shown anyway */ }
    ta.remove();
  }

  function viewer(src) {
    var o = overlay("tc-viewer");
    var img = document.createElement("img"); img.src = src; img.alt = "";
    img.addEventListener("click", function () { o.remove(); });
    o.appendChild(img);
  }

  // Try the deeplink; if the page is still in front after a moment, no app
  // took it, so go to the floor URL (market, H5 or quick app).
  function openApp(el) {
    var link = el.getAttribute("href"), floor = el.dataset.floor;
    var left = false;
    var onHide = function () { left = true; };
    document.addEventListener("visibilitychange", onHide, { once: true });
    if (link) { try { window.location.href = link; } catch (e) { /* unknown scheme */ } }
    if (floor) setTimeout(function () { if (!left && !document.hidden) window.location.href = floor; }, 1200);
  }

  function act(el, e) {
    var kind = el.dataset.action;
    if (kind === "OPEN_POPUP") { e.preventDefault(); popup(el); }
    else if (kind === "COPY_PARAMETER") { e.preventDefault(); copy(el.dataset.copy || ""); }
    else if (kind === "VIEW_PIC") { e.preventDefault(); if (el.dataset.pic) viewer(el.dataset.pic); }
    else if (kind === "OPEN_APP" || kind === "OPEN_QUICK") { e.preventDefault(); openApp(el); }
  }

  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest(".tc-card [data-action]");
    if (el) act(el, e);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    var el = e.target.closest && e.target.closest('.tc-card [data-action][role="button"]');
    if (el) act(el, e);
  });

  function swipers() {
    document.querySelectorAll(".tc-swiper").forEach(function (sw) {
      var track = sw.querySelector(".tc-track"), dots = sw.querySelectorAll(".tc-dots i");
      if (!track) return;
      var index = function () { return Math.round(track.scrollLeft / (track.clientWidth || 1)); };
      track.addEventListener("scroll", function () {
        var i = index();
        dots.forEach(function (d, k) { d.classList.toggle("on", k === i); });
      }, { passive: true });
      if (sw.dataset.autoplay) {
        setInterval(function () {
          var n = track.children.length, i = index() + 1;
          if (i >= n) { if (!sw.dataset.loop) return; i = 0; }
          track.scrollTo({ left: i * track.clientWidth, behavior: "smooth" });
        }, 3000);
      }
    });
  }
  // The server scales a card to the width it was asked for; on a narrower
  // screen shrink it to its box (never grow it), with the same rule.
  function fit() {
    document.querySelectorAll(".tc-card[data-canvas]").forEach(function (card) {
      var size = card.dataset.canvas.split("x"), w = +size[0], h = +size[1];
      var page = card.querySelector(".tc-page"), box = card.parentElement;
      if (!page || !box || !w) return;
      if (!card.dataset.width) card.dataset.width = String(parseFloat(card.style.width) || w);
      var width = Math.min(+card.dataset.width, box.clientWidth || +card.dataset.width);
      var scale = width / w;
      card.style.width = width + "px";
      card.style.height = h * scale + "px";
      page.style.transform = "scale(" + scale + ")";
    });
  }

  function ready() { fit(); swipers(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  window.addEventListener("resize", fit);

  window.tidingsCard = { popup: popup, copy: copy, viewer: viewer, fit: fit };
})();
