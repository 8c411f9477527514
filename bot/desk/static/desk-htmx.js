/* AKAR support desk: tells staff when an htmx request fails. htmx swaps nothing for an error
   response (4xx/5xx) or a lost connection, so without this a button or filter would simply do
   nothing. The desk answers htmx errors with JSON whose `detail` is an Indonesian message
   (bot/desk/errors.py); it is shown in the banner #galat-htmx (base.html) with a button to reload
   the page, which then shows the real state: the login page, "Akses ditolak", or the page itself.
   A 401 normally never gets here: htmx follows its HX-Redirect to the login page first.
   Loaded as a static file (no inline script: the page's Content-Security-Policy forbids it), and
   text is set with textContent only, never as HTML. */
(function () {
  "use strict";

  var BY_STATUS = {
    401: "Anda belum masuk, atau sesi Anda sudah berakhir. Silakan masuk lagi.",
    403: "Permintaan ditolak.",
    404: "Yang diminta tidak ditemukan. Mungkin sudah dihapus atau dipindah.",
    422: "Permintaan tidak valid."
  };
  var SERVER_ERROR =
    "Terjadi galat di server, jadi permintaan tidak selesai. Coba lagi sebentar lagi. " +
    "Kalau terus terjadi, beri tahu tim teknis.";
  var OFFLINE =
    "Meja dukungan tidak bisa dihubungi (koneksi terputus, atau server sedang mati), jadi " +
    "permintaan tidak terkirim. Periksa koneksi, lalu coba lagi.";
  var KEEP_TEXT = "Salin dulu teks yang sedang Anda tulis sebelum memuat ulang halaman.";

  function banner() {
    return document.getElementById("galat-htmx");
  }

  function hasTypedText(element) {
    if (!element || typeof element.querySelectorAll !== "function") {
      return false;
    }
    var fields = element.querySelectorAll("textarea");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function show(message, element) {
    var box = banner();
    if (!box) {
      return;
    }
    var text = message;
    if (hasTypedText(element)) {
      text += " " + KEEP_TEXT;
    }
    box.querySelector("[data-galat-teks]").textContent = text;
    box.hidden = false;
  }

  function hide() {
    var box = banner();
    if (box && !box.hidden) {
      box.hidden = true;
    }
  }

  function serverMessage(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      return null;
    }
    try {
      var body = JSON.parse(xhr.responseText);
      return body && typeof body.detail === "string" && body.detail ? body.detail : null;
    } catch (ignored) {
      return null;
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr.status;
    var message = status >= 500 ? SERVER_ERROR : serverMessage(xhr) || BY_STATUS[status];
    show(message || "Permintaan gagal (kode " + status + ").", event.detail.elt);
  });
  document.addEventListener("htmx:sendError", function (event) {
    show(OFFLINE, event.detail.elt);
  });
  document.addEventListener("htmx:timeout", function (event) {
    show(OFFLINE, event.detail.elt);
  });
  // A new request starts afresh; its own failure shows the banner again.
  document.addEventListener("htmx:beforeRequest", hide);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var action = target.closest("#galat-htmx [data-galat-aksi]");
    if (!action) {
      return;
    }
    if (action.getAttribute("data-galat-aksi") === "muat-ulang") {
      window.location.reload();
    } else {
      hide();
    }
  });
})();
