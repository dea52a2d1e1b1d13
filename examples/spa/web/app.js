// The notes page: who is signed in comes from /api/me (Portal's session,
// behind Portal.RequireUser); a new note is a POST to /api/notes with the
// CSRF token of /api/me in the X-CSRF-Token header (Portal.CheckCSRF).
"use strict";

(function () {
  let csrf = "";
  const $ = (id) => document.getElementById(id);

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrf;
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    return { status: res.status, data };
  }

  function showNotes(notes) {
    $("notes").replaceChildren(...notes.map((text) => {
      const li = document.createElement("li");
      li.className = "note";
      li.textContent = text;
      return li;
    }));
  }

  function signedOut() {
    csrf = "";
    $("who").textContent = "Not signed in";
    $("signed-in").hidden = true;
    $("signed-out").hidden = false;
    document.body.dataset.state = "signed-out";
  }

  async function load() {
    const me = await api("GET", "/api/me");
    if (me.status !== 200 || !me.data) {
      signedOut();
      return;
    }
    csrf = me.data.csrf_token;
    $("sign-out-csrf").value = csrf;
    $("user-email").textContent = me.data.user.email;
    $("who").textContent = "";
    const list = await api("GET", "/api/notes");
    showNotes(list.status === 200 ? list.data.notes : []);
    $("signed-out").hidden = true;
    $("signed-in").hidden = false;
    document.body.dataset.state = "signed-in";
  }

  async function addNote(ev) {
    ev.preventDefault();
    const r = await api("POST", "/api/notes", { text: $("note-text").value });
    if (r.status === 201) {
      showNotes(r.data.notes);
      $("note-text").value = "";
      $("note-status").textContent = "Saved.";
      return;
    }
    $("note-status").textContent = "Refused (" + r.status + ").";
    if (r.status === 401) {
      signedOut();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("note-form").addEventListener("submit", addNote);
    load();
  });
})();
