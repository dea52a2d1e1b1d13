// Portal's time zone script (issue 18 item 9): tells Portal the browser's
// time zone, so that times on the pages are shown in it for people who did
// not choose one on their profile. Small, first-party, loaded from /static
// under the Content-Security-Policy (no inline code).
//
// Its <script> element carries data-cookie (the cookie's name) and
// data-path (its path). The cookie holds "~" and the IANA name for a zone
// the browser told; a zone the person chose on their profile (no "~") is
// never replaced. Without JavaScript Portal shows UTC.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.Intl || !Intl.DateTimeFormat) { return; }
  var name = me.getAttribute("data-cookie");
  var path = me.getAttribute("data-path") || "/";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!name || !zone || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone)) { return; }
  var current = null;
  document.cookie.split("; ").forEach(function (c) {
    var i = c.indexOf("=");
    if (c.slice(0, i) === name) { current = decodeURIComponent(c.slice(i + 1)); }
  });
  if (current !== null && current.charAt(0) !== "~") { return; } // chosen on the profile
  if (current === "~" + zone) { return; }
  var secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = name + "=" + encodeURIComponent("~" + zone) + "; path=" + path +
    "; max-age=31536000; samesite=lax" + secure;
}());
