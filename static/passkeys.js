// Portal's passkey script (issue 21): small, first-party, no framework,
// loaded from /static under the Content-Security-Policy (no inline code).
//
// It finds its elements by data- attributes, so a theme may restyle or
// move them freely:
//   form[data-passkey-ceremony="create"|"get"]  hidden until the browser
//       supports passkeys; on submit the script POSTs the form's _csrf
//       (and the fields of the form data-passkey-fields names, passwords
//       left out) to data-passkey-begin, runs navigator.credentials.create/get with the
//       options it gets back, puts the answer (JSON) into the form's
//       [data-passkey-credential] field and submits the form for real;
//   [data-passkey-error]        inside the form: where a failure is told;
//   [data-passkey-unsupported]  hidden when the browser supports passkeys;
//   input[autocomplete~="webauthn"]  with a "get" form on the page, the
//       browser may offer passkeys in this field's autofill (conditional UI).
// Without JavaScript or WebAuthn the pages are plain forms and the passkey
// parts stay hidden.
(function () {
  "use strict";

  var supported = !!(window.PublicKeyCredential && navigator.credentials &&
    typeof navigator.credentials.create === "function");

  // base64url: the one place that converts between the server's
  // base64url strings and the ArrayBuffers of the WebAuthn API.
  var b64url = {
    toBuffer: function (s) {
      var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
      while (b64.length % 4) { b64 += "="; }
      var bin = atob(b64);
      var out = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
      return out.buffer;
    },
    fromBuffer: function (buf) {
      var bytes = new Uint8Array(buf);
      var bin = "";
      for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
      return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    }
  };

  function decodeList(list) {
    return (list || []).map(function (c) {
      var d = Object.assign({}, c);
      d.id = b64url.toBuffer(c.id);
      return d;
    });
  }

  // publicKeyOptions turns the server's JSON options into what
  // navigator.credentials wants.
  function publicKeyOptions(kind, json) {
    var pk = Object.assign({}, json.publicKey);
    pk.challenge = b64url.toBuffer(pk.challenge);
    if (kind === "create") {
      pk.user = Object.assign({}, pk.user, { id: b64url.toBuffer(pk.user.id) });
      pk.excludeCredentials = decodeList(pk.excludeCredentials);
    } else {
      pk.allowCredentials = decodeList(pk.allowCredentials);
    }
    return pk;
  }

  // credentialJSON is the answer as the server reads it.
  function credentialJSON(cred) {
    var r = cred.response;
    var response = { clientDataJSON: b64url.fromBuffer(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64url.fromBuffer(r.attestationObject);
      if (typeof r.getTransports === "function") { response.transports = r.getTransports(); }
    } else {
      response.authenticatorData = b64url.fromBuffer(r.authenticatorData);
      response.signature = b64url.fromBuffer(r.signature);
      if (r.userHandle) { response.userHandle = b64url.fromBuffer(r.userHandle); }
    }
    return JSON.stringify({
      id: cred.id,
      rawId: b64url.fromBuffer(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    });
  }

  function showError(form, text) {
    var el = form.querySelector("[data-passkey-error]");
    if (!el) { return; }
    el.textContent = text || "";
    el.hidden = !text;
  }

  // begin asks the server for a ceremony's options. A redirect (the page
  // wants a fresh sign-in first) is followed by the whole page.
  function begin(form) {
    var body = new URLSearchParams();
    var csrf = form.querySelector('input[name="_csrf"]');
    if (csrf) { body.set("_csrf", csrf.value); }
    // data-passkey-fields names another form whose fields the server
    // needs first (the register form's address): all but passwords.
    var from = document.getElementById(form.getAttribute("data-passkey-fields") || "");
    if (from) {
      new FormData(from).forEach(function (v, k) {
        var el = from.elements.namedItem(k);
        if (k === "_csrf" || typeof v !== "string" || (el && el.type === "password")) { return; }
        body.append(k, v);
      });
    }
    return fetch(form.getAttribute("data-passkey-begin"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (res) {
      if (res.redirected) {
        window.location.assign(res.url);
        return new Promise(function () {}); // the page is leaving
      }
      return res.json().then(function (data) {
        if (!res.ok) { throw new Error(data.error || res.statusText); }
        return data;
      });
    });
  }

  function finish(form, cred) {
    form.querySelector("[data-passkey-credential]").value = credentialJSON(cred);
    HTMLFormElement.prototype.submit.call(form);
  }

  var pendingConditional = null; // the autofill request, if one waits

  function run(form) {
    var kind = form.getAttribute("data-passkey-ceremony");
    var button = form.querySelector('[type="submit"]');
    showError(form, "");
    if (pendingConditional) { pendingConditional.abort(); pendingConditional = null; }
    if (button) { button.disabled = true; }
    begin(form).then(function (json) {
      var pk = publicKeyOptions(kind, json);
      return kind === "create" ? navigator.credentials.create({ publicKey: pk })
        : navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      if (cred) { finish(form, cred); }
    }).catch(function (err) {
      if (button) { button.disabled = false; }
      // The person cancelling the browser's dialog is not an error to show.
      if (err && err.name === "NotAllowedError") { return; }
      showError(form, err && err.message);
    });
  }

  // conditional offers passkeys in the username field's autofill; picking
  // one submits the sign-in form.
  function conditional(form) {
    if (!document.querySelector('input[autocomplete~="webauthn"]') ||
      typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") { return; }
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok) { return; }
      var ctl = new AbortController();
      pendingConditional = ctl;
      return begin(form).then(function (json) {
        return navigator.credentials.get({ mediation: "conditional", signal: ctl.signal, publicKey: publicKeyOptions("get", json) });
      }).then(function (cred) {
        if (cred) { finish(form, cred); }
      });
    }).catch(function () { /* aborted, or autofill unavailable: the button stays */ });
  }

  function init() {
    if (!supported) { return; }
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = true; });
    document.querySelectorAll("form[data-passkey-ceremony]").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        run(form);
      });
      if (form.getAttribute("data-passkey-ceremony") === "get") { conditional(form); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
