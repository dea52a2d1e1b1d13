package handlers

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

// common builds what every page gets. It pops the status message, so call
// it once per rendered page.
func (h *Handler) common(c echo.Context, title string) pages.Common {
	cm := pages.Common{
		Title:    title,
		SiteName: h.opts.SiteName,
		CSSURL:   h.assets.URL("portal.css"),
		IconURL:  h.assets.URL("favicon.svg"),

		ExternalLogins: len(h.providers.list) > 0,
	}
	if u := currentUser(c); u != nil {
		cm.User = &pages.UserInfo{ID: u.ID, Email: u.Email, UserName: u.UserName, EmailConfirmed: u.EmailConfirmed}
	}
	if hasSession(c) {
		cm.CSRFToken = h.csrfToken(c)
		cm.Status, cm.StatusIsError = h.popFlash(c)
	}
	return cm
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render commits the session, renders the page into a buffer and only then
// writes it, so that a failure half-way becomes a clean error page rather
// than a truncated 200 (CONVENTIONS 9).
func (h *Handler) render(c echo.Context, status int, page templ.Component) error {
	if err := h.commitSession(c); err != nil {
		return err
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	ctx := c.Request().Context()
	if nonce, ok := c.Get(ctxNonce).(string); ok {
		ctx = templ.WithNonce(ctx, nonce)
	}
	if err := page.Render(ctx, buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// redirect commits the session and answers 303 See Other.
func (h *Handler) redirect(c echo.Context, to string) error {
	if err := h.commitSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// fieldErrors returns the per-field messages of an identity EINVALID error.
func fieldErrors(err error) (pages.FieldErrors, string, bool) {
	var e *identity.Error
	if !asIdentityError(err, &e) || e.Code != identity.EINVALID {
		return nil, "", false
	}
	fe := pages.FieldErrors{}
	for k, v := range e.Fields {
		fe[k] = v
	}
	msg := ""
	if len(fe) == 0 {
		msg = e.Message
	}
	return fe, msg, true
}
