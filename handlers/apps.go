package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
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

type sessionJSON struct {
	User    sessionUserJSON `json:"user"`
	Session sessionInfoJSON `json:"session"`
}

type sessionUserJSON struct {
	ID               string `json:"id"`
	Email            string `json:"email"`
	EmailVerified    bool   `json:"email_verified"`
	Username         string `json:"username"`
	TwoFactorEnabled bool   `json:"two_factor_enabled"`
}

type sessionInfoJSON struct {
	AuthenticatedAt string   `json:"authenticated_at"`
	ExpiresAt       string   `json:"expires_at"`
	AMR             []string `json:"amr"`
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
	return c.JSON(http.StatusOK, sessionJSON{
		User: sessionUserJSON{
			ID: u.ID, Email: u.Email, EmailVerified: u.EmailConfirmed,
			Username: u.UserName, TwoFactorEnabled: u.TwoFactorEnabled,
		},
		Session: sessionInfoJSON{
			AuthenticatedAt: x.AuthAt.UTC().Format(time.RFC3339),
			ExpiresAt:       h.id.SessionEnds(x).UTC().Format(time.RFC3339),
			AMR:             h.sessionAMR(c),
		},
	})
}
