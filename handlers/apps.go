package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
)

// The routes other programs drive (DESIGN.md "Apps around Portal"): their
// paths, headers and JSON fields are a contract.
const (
	sessionPath     = "/account/session"
	forwardAuthPath = "/account/forward-auth"

	headerUserID   = "X-Portal-User-Id"
	headerEmail    = "X-Portal-Email"
	headerUsername = "X-Portal-Username"
	headerAMR      = "X-Portal-AMR"
)

// isAppCheck reports the two routes the applications around Portal call
// for every request of theirs (/account/session, /account/forward-auth):
// read-only, answered in JSON and headers, never a page.
func (h *Handler) isAppCheck(c echo.Context) bool {
	p := h.portalPath(c.Path())
	return p == sessionPath || p == forwardAuthPath
}

// keyAMR is the session's authentication methods (RFC 8176), space
// separated, as recorded at sign-in and re-authentication.
const keyAMR = "amr"

// putAMR records how this session last authenticated.
func (h *Handler) putAMR(c echo.Context, amr []string) {
	h.sessions.Put(c.Request().Context(), keyAMR, strings.Join(amr, " "))
}

// sessionAMR is the signed-in session's authentication methods; empty for
// a session started before they were recorded.
func (h *Handler) sessionAMR(c echo.Context) []string {
	s := h.sessions.GetString(c.Request().Context(), keyAMR)
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

var errUnauthenticated = map[string]string{"error": "unauthenticated"}

// handleSession answers "who is signed in?" for the applications around
// Portal. The session was resolved by loadUser like for any page (the same
// stamp, idle and absolute checks, the same once-a-minute last-seen
// touch); this writes nothing more and changes nothing in the session.
func (h *Handler) handleSession(c echo.Context) error {
	u, x := currentUser(c), currentSession(c)
	if u == nil || x == nil {
		return c.JSON(http.StatusUnauthorized, errUnauthenticated)
	}
	c.Response().Header().Set(headerUserID, u.ID)
	out := getBuf()
	defer bufPool.Put(out)
	out.Write(appendSessionJSON(out.AvailableBuffer(), u, x.AuthAt, h.id.SessionEnds(x), h.sessionAMR(c)))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, out.Bytes())
}

// appendSessionJSON appends the answer of /account/session (DESIGN.md
// "Apps around Portal"): what encoding/json wrote for it before (field for
// field, byte for byte, with its final newline: TestSessionJSONBytes
// keeps the struct it was written from), without reflection — it
// is the check of every API call of the application (issue 19's budget).
func appendSessionJSON(b []byte, u *identity.User, authAt, expires time.Time, amr []string) []byte {
	b = append(b, `{"user":{"id":`...)
	b = appendJSONString(b, u.ID)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"email_verified":`...)
	b = strconv.AppendBool(b, u.EmailConfirmed)
	b = append(b, `,"username":`...)
	b = appendJSONString(b, u.UserName)
	b = append(b, `,"two_factor_enabled":`...)
	b = strconv.AppendBool(b, u.TwoFactorEnabled)
	b = append(b, `},"session":{"authenticated_at":"`...)
	b = authAt.UTC().AppendFormat(b, time.RFC3339) // digits, '-', ':', 'T', 'Z': nothing to escape
	b = append(b, `","expires_at":"`...)
	b = expires.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","amr":[`...)
	for i, m := range amr {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m)
	}
	return append(b, "]}}\n"...)
}

// appendJSONString appends s as a JSON string: between quotes as it is
// when every byte is printable ASCII that encoding/json writes unescaped
// (it escapes <, > and & too), otherwise as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// maxOriginalURL bounds the original URL read from a proxy's headers; a
// longer one is not carried along as returnUrl.
const maxOriginalURL = 2048

// handleForwardAuth answers a reverse proxy's "may this request through?"
// (nginx auth_request, Caddy forward_auth, Traefik forwardAuth) for every
// method: 200 with the user in X-Portal-* headers for a live session,
// otherwise 401 — or, with ?redirect=1 and a browser navigation, a 302 to
// the login page that comes back to the original URL. ?require=2fa also
// needs a second factor in this session (403, or on to set one up or
// re-authenticate with it). It changes nothing and needs no CSRF token:
// the proxy forwards the browser's cookie, and a page view's once-a-minute
// last-seen touch is all it writes.
func (h *Handler) handleForwardAuth(c echo.Context) error {
	require := c.QueryParam("require")
	if require != "" && require != "2fa" {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "unknown requirement"})
	}
	redirect := c.QueryParam("redirect") == "1" && isNavigation(c.Request())
	u, x := currentUser(c), currentSession(c)
	if u == nil || x == nil {
		if redirect {
			return c.Redirect(http.StatusFound, withReturn(h.url("/account/login"), h.originalURL(c)))
		}
		return c.JSON(http.StatusUnauthorized, errUnauthenticated)
	}
	amr := h.sessionAMR(c)
	if require == "2fa" && !identity.HasSecondFactor(amr) {
		if redirect {
			if !u.TwoFactorEnabled {
				return c.Redirect(http.StatusFound, h.url("/account/manage/two-factor"))
			}
			return c.Redirect(http.StatusFound, withReturn(h.url("/account/reauthenticate"), h.originalURL(c)))
		}
		return c.JSON(http.StatusForbidden, map[string]string{"error": "second_factor_required"})
	}
	hd := c.Response().Header()
	hd.Set(headerUserID, u.ID)
	hd.Set(headerEmail, u.Email)
	hd.Set(headerUsername, u.UserName)
	hd.Set(headerAMR, strings.Join(amr, ","))
	return c.NoContent(http.StatusOK)
}

// withReturn is page with returnUrl=to, or page alone when to is "" (or
// the root; handlers compare with h.home() themselves).
func withReturn(page, to string) string {
	if to == "" || to == "/" {
		return page
	}
	return page + "?" + url.Values{"returnUrl": {to}}.Encode()
}

// isNavigation reports whether r is a browser loading a page (not a
// fetch or an API client): Sec-Fetch-Mode navigate, or, from a browser
// that does not send it, an Accept that asks for HTML.
func isNavigation(r *http.Request) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" {
		return m == "navigate"
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// originalURL is the URL the proxy was asked for, from X-Original-URL or
// X-Forwarded-Proto/-Host/-Uri, as a returnUrl Portal may follow: a path
// when it is on Portal's own origin, the absolute URL when its origin is
// in --allowed-return-origins, else "" (BRW-08). Oversized values, control
// characters, spaces and other schemes give "".
func (h *Handler) originalURL(c echo.Context) string {
	hd := c.Request().Header
	raw := hd.Get("X-Original-URL")
	if raw == "" {
		proto, host, uri := hd.Get("X-Forwarded-Proto"), hd.Get("X-Forwarded-Host"), hd.Get("X-Forwarded-Uri")
		if proto == "" || host == "" || !strings.HasPrefix(uri, "/") || strings.HasPrefix(uri, "//") {
			return ""
		}
		raw = proto + "://" + host + uri
	}
	if len(raw) > maxOriginalURL {
		return ""
	}
	for _, r := range raw {
		// Control characters, and spaces: a proxy sends the URI as the
		// browser sent it, percent-encoded; a space is a folded header
		// line or a forged one, not a URL.
		if r <= 0x20 || r == 0x7f {
			return ""
		}
	}
	o, ok := originOf(raw)
	if !ok {
		return ""
	}
	if self, _ := originOf(h.opts.BaseURL.String()); o == self {
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		if s := h.localReturnURL(u.RequestURI()); s != "" {
			return s
		}
		// Beside Portal on its origin, outside its base path: an absolute
		// returnUrl, followed when the origin is listed.
	}
	return h.absoluteReturnURL(raw)
}
