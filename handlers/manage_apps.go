package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/pages"
)

const appsPath = "/account/manage/apps"

// handleAppsShow lists the applications the person allowed to sign them
// in (OpenID Connect, issue 20).
func (h *Handler) handleAppsShow(c echo.Context) error {
	apps, err := h.id.ConnectedApps(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v := pages.ConnectedAppsView{Common: h.common(c, h.T("connected-apps.title"))}
	for _, a := range apps {
		v.Apps = append(v.Apps, pages.ConnectedApp{ClientID: a.ClientID, Name: a.Name, Scopes: a.Scopes, AllowedAt: a.AllowedAt})
	}
	return h.renderPage(c, http.StatusOK, "connected-apps", v)
}

// handleAppsRemove removes an application's access: its grant and every
// token it holds for the person end at once.
func (h *Handler) handleAppsRemove(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.FormValue("client_id")
	cl, err := h.id.OIDCClient(ctx, id)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := h.id.RemoveConnectedApp(ctx, clientOf(c), currentUser(c), id); err != nil {
		return err
	}
	h.setFlash(c, h.T("connected-apps.removed", "app", cl.Name), false)
	return h.redirect(c, appsPath)
}
