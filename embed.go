package portal

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/handlers"
	"github.com/accountportal/portal/identity"
)

// Embedding Portal in a Go program (DESIGN.md "Apps around Portal" 3):
// the program serves its own routes beside Portal's, on one origin, and
// they trust the same session. A program mounts Portal's handler for
// /account/ and /static/ and wraps its own handlers:
//
//	mux := http.NewServeMux()
//	mux.Handle("/account/", p.Handler())
//	mux.Handle("/static/", p.Handler())
//	mux.Handle("GET /api/me", p.RequireUser(http.HandlerFunc(me)))          // 401 JSON, or the login page for a browser
//	mux.Handle("POST /api/notes", p.RequireUser(p.CheckCSRF(addNote)))     // and the X-CSRF-Token header
//	mux.Handle("/", p.Session(site))                                         // anyone; portal.CurrentUser may be nil
//
//	func me(w http.ResponseWriter, r *http.Request) {
//		u := portal.CurrentUser(r.Context()) // never nil behind RequireUser
//		json.NewEncoder(w).Encode(map[string]string{"email": u.Email, "csrf_token": p.CSRFToken(r)})
//	}
//
// Echo programs wrap the same middleware: e.Use(p.EchoSession()), or
// per route p.EchoRequireUser() and p.EchoCheckCSRF().
//
// The check is the one Portal's pages make on every request — the session
// registry row, its idle and absolute limits and the account's security
// stamp — so a sign-out, a password change or "end other sessions" is seen
// by the very next call of the host's routes too, and it writes nothing
// beyond the once-a-minute last-seen touch.

// CSRFHeader is the header a fetch call sends the CSRF token in (see
// Portal.CSRFToken and Portal.CheckCSRF).
const CSRFHeader = handlers.CSRFHeader

// Session serves next with Portal's session loaded, whoever is signed in
// or not: CurrentUser then tells who it is. Sessions that ended count as
// anonymous. It may be nested inside RequireUser or CheckCSRF (and they
// inside it): the session is loaded once per request.
func (p *Portal) Session(next http.Handler) http.Handler { return p.handler.WithSession(next) }

// RequireUser serves next only for a signed-in user, on Portal's session.
// Anyone else gets, when a browser is loading a page (GET or HEAD with
// Sec-Fetch-Mode navigate, or an Accept asking for HTML), a 303 to Portal's
// login page that comes back to this URL after signing in; otherwise 401
// with {"error": "unauthenticated"} (fetch calls and API clients).
func (p *Portal) RequireUser(next http.Handler) http.Handler { return p.handler.RequireUser(next) }

// CheckCSRF protects the host's state-changing routes with Portal's CSRF
// protection (BRW-06). Every method but GET, HEAD and OPTIONS must come
// from Portal's own origin (a request the browser marks cross-site, or
// with an Origin that is not --base-url's, is refused) and carry the token
// of CSRFToken in the X-CSRF-Token header (or, for a form, the _csrf
// field). A refused request gets 403 with {"error": "csrf"}. Put it inside
// RequireUser to also require a signed-in user.
func (p *Portal) CheckCSRF(next http.Handler) http.Handler { return p.handler.CheckCSRF(next) }

// CSRFToken is the token a page or script of the host sends back to a
// route behind CheckCSRF, for a request served behind Session,
// RequireUser or CheckCSRF ("" otherwise). It is bound to the browser's
// CSRF cookie and to the signed-in session: after signing in or out the
// script needs a new one. When the browser has no CSRF cookie yet, one is
// set on the response, so call it before writing the response.
func (p *Portal) CSRFToken(r *http.Request) string { return p.handler.CSRFToken(r) }

// CurrentUser is the signed-in user of a request served behind Session,
// RequireUser or CheckCSRF, or nil (nobody, or outside them).
func CurrentUser(ctx context.Context) *identity.User { return handlers.UserFromContext(ctx) }

// CurrentSession is the signed-in session of a request served behind
// Session, RequireUser or CheckCSRF — its start, last authentication,
// address and browser — and how it authenticated, as RFC 8176 method names ("pwd",
// "otp", "hwk", "mfa", …; identity.HasSecondFactor tells whether a second
// factor was used); nil when nobody is signed in.
func CurrentSession(ctx context.Context) (*identity.Session, []string) {
	return handlers.SessionFromContext(ctx)
}

// EchoSession is Session as echo middleware, for a host program built on
// echo: portal.CurrentUser(c.Request().Context()) is then the user.
func (p *Portal) EchoSession() echo.MiddlewareFunc { return echo.WrapMiddleware(p.Session) }

// EchoRequireUser is RequireUser as echo middleware.
func (p *Portal) EchoRequireUser() echo.MiddlewareFunc { return echo.WrapMiddleware(p.RequireUser) }

// EchoCheckCSRF is CheckCSRF as echo middleware.
func (p *Portal) EchoCheckCSRF() echo.MiddlewareFunc { return echo.WrapMiddleware(p.CheckCSRF) }
