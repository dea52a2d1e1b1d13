package handlers

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// sessionsPath is the sessions page; ending the other sessions comes back
// here after re-authentication.
const sessionsPath = "/account/manage/sessions"

func (h *Handler) handleSessionsShow(c echo.Context) error {
	u, cur := currentUser(c), currentSessionID(c)
	list, err := h.id.ListSessions(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	v := pages.SessionsView{Common: h.common(c, h.T(c, "manage-sessions.title"))}
	ps, err := h.id.ListPasskeys(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		v.Passkeys = append(v.Passkeys, p.Name)
	}
	for _, x := range list {
		v.Sessions = append(v.Sessions, pages.SessionItem{
			ID: x.ID, Device: identity.DescribeUserAgentText(x.UserAgent, h.cat(c)), IP: x.IP,
			CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, Current: x.ID == cur,
			Remember: x.Remember, Remembered2FA: x.Remembered2FA,
		})
	}
	// This device first, the others as the registry lists them (issue
	// 18 item 17).
	slices.SortStableFunc(v.Sessions, func(a, b pages.SessionItem) int {
		switch {
		case a.Current == b.Current:
			return 0
		case a.Current:
			return -1
		}
		return 1
	})
	return h.renderPage(c, http.StatusOK, "manage-sessions", v)
}

// handleSessionEnd ends one of the user's other sessions at once. Another
// user's session id is a 404 and ends nothing (ACC-03). Ending this very
// session is signing out.
func (h *Handler) handleSessionEnd(c echo.Context) error {
	sid := c.FormValue("session_id")
	if sid == "" {
		return echo.ErrNotFound
	}
	if sid == currentSessionID(c) {
		return h.handleLogoutPost(c)
	}
	if err := h.id.EndUserSession(c.Request().Context(), clientOf(c), currentUser(c).ID, sid); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.session_ended"), false)
	return h.redirect(c, sessionsPath)
}

// handleSessionEndOthers ends every session of the user but this one. It
// needs a recent authentication (routes.go): a stolen session must not
// sign the owner out (issue 17 item 16).
func (h *Handler) handleSessionEndOthers(c echo.Context) error {
	if err := h.id.EndOtherSessions(c.Request().Context(), clientOf(c), currentUser(c).ID, currentSessionID(c)); err != nil {
		return err
	}
	h.setFlash(c, h.T(c, "status.other_sessions_ended"), false)
	return h.redirect(c, sessionsPath)
}
