package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/theme"
)

// T returns the message key of the catalogue (the theme's messages.toml
// over the built-in wording), with its {placeholders} filled in from
// name/value pairs.
func (h *Handler) T(c echo.Context, key string, args ...any) string {
	return h.cat(c).T(key, args...)
}

// themeCSSURL is the URL of the theme's static/theme.css, or "" when the
// theme has none.
func (lk *look) themeCSSURL() string {
	if !lk.assets.Has("theme.css") {
		return ""
	}
	return lk.assets.URL("theme.css")
}

// common builds what every page gets. It pops the status message, so call
// it once per rendered page.
func (h *Handler) common(c echo.Context, title string) pages.Common {
	lk := h.look()
	cm := pages.Common{
		Title:       title,
		SiteName:    h.opts.SiteName,
		CSSURL:      h.url(lk.assets.URL("portal.css")),
		ThemeCSSURL: h.url(lk.themeCSSURL()),
		IconURL:     h.url(lk.assets.URL("favicon.svg")),

		PasskeyScriptURL: h.url(lk.assets.URL("passkeys.js")),

		Location:          h.location(c),
		Now:               h.now(),
		TimeZoneScriptURL: h.url(lk.assets.URL("timezone.js")),
		TimeZoneCookie:    h.timeZoneCookieName(),
		CookiePath:        h.cookiePath(),
		ExternalLogins:    len(h.providers.list) > 0,
		RegistrationOpen:  h.id.RegistrationOpen(),
		Messages:          h.cat(c),
		Languages:         lk.languages,
	}
	if cm.Languages != nil {
		cm.CurrentURL = here(c)
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

func getBuf() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// PageFunc renders a page's content from its view model (a Go page
// override; see pages.Typed for a typed one).
type PageFunc = func(view any) templ.Component

// OverridePage makes fn render the named page's content instead of the
// built-in component (a theme's pages/<name>.html still comes first). The
// layout wraps what fn renders. fn is checked against the page's sample
// view models now, so that a wrong view type or a failing component is an
// error at start rather than on a request.
func (h *Handler) OverridePage(name string, fn PageFunc) error {
	page, ok := pages.Lookup(name)
	if !ok {
		return fmt.Errorf("OverridePage: unknown page %q; the pages are %s", name, strings.Join(pages.Names(), ", "))
	}
	if fn == nil {
		return fmt.Errorf("OverridePage(%q): nil func", name)
	}
	for i, v := range page.Samples() {
		if err := renderSafe(context.Background(), fn, v, io.Discard); err != nil {
			return fmt.Errorf("OverridePage(%q): does not render the sample %s (#%d): %w", name, page.View.Name(), i+1, err)
		}
	}
	h.overridesMu.Lock()
	defer h.overridesMu.Unlock()
	next := map[string]PageFunc{name: fn}
	if cur := h.overrides.Load(); cur != nil {
		for k, v := range *cur {
			if k != name {
				next[k] = v
			}
		}
	}
	h.overrides.Store(&next)
	return nil
}

func (h *Handler) pageOverride(name string) PageFunc {
	if m := h.overrides.Load(); m != nil {
		return (*m)[name]
	}
	return nil
}

// renderSafe renders fn(view) into w; a panic becomes an error.
func renderSafe(ctx context.Context, fn PageFunc, view any, w io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(view).Render(ctx, w)
}

// renderPage commits the session and renders the named page (a name of
// the pages registry) with its view model into a buffer, and only then
// writes it, so that a failure half-way becomes a clean error page rather
// than a truncated 200 (CONVENTIONS 9).
//
// The page's content comes from, first match wins: the theme's
// pages/<name>.html, a Go override (OverridePage), the built-in templ
// component. The theme's layout.html wraps it, or the built-in layout. An
// override that fails is logged and the built-in page is served instead.
func (h *Handler) renderPage(c echo.Context, status int, name string, view pages.View) error {
	if err := h.commitSession(c); err != nil {
		return err
	}
	page, ok := pages.Lookup(name)
	if !ok {
		return fmt.Errorf("render: no page %q in the registry", name)
	}
	ctx := pages.WithBasePath(c.Request().Context(), h.base)
	nonce := h.cspNonce(c)
	ctx = templ.WithNonce(ctx, nonce)
	out := getBuf()
	defer bufPool.Put(out)
	lk := h.look()
	themed, goOverride, layout := lk.theme.Page(name), h.pageOverride(name), lk.theme.Layout()
	if themed == nil && goOverride == nil && layout == nil {
		// The common case: the built-in page in one pass.
		if err := page.Render(view).Render(ctx, out); err != nil {
			return err
		}
		return c.HTMLBlob(status, out.Bytes())
	}

	cm := view.PageCommon()
	vars := theme.Vars{CSRFToken: cm.CSRFToken, Nonce: nonce, Messages: cm.Messages, BasePath: h.base, Location: cm.Location, Now: cm.Now}
	var override func(io.Writer) error
	if goOverride != nil {
		override = func(w io.Writer) error { return renderSafe(ctx, goOverride, view, w) }
	}
	fallbacks, err := lk.theme.RenderPage(ctx, out, page, view, vars, override)
	for _, f := range fallbacks {
		if f.File != "" {
			h.log.ErrorContext(ctx, f.What, "page", name, "file", f.File, "err", f.Err)
		} else {
			h.log.ErrorContext(ctx, f.What, "page", name, "err", f.Err)
		}
	}
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, out.Bytes())
}

// redirect commits the session and answers 303 See Other to the Portal
// path to ("/account/manage"; the base path is added) or to an absolute
// URL. A returnUrl — already the browser's URL — goes through
// redirectBack instead.
func (h *Handler) redirect(c echo.Context, to string) error {
	return h.redirectBack(c, h.url(to))
}

// redirectBack commits the session and answers 303 See Other to to as it
// is: a returnUrl (h.returnTo) or another URL the browser already sees.
func (h *Handler) redirectBack(c echo.Context, to string) error {
	if err := h.commitSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// fieldErrors returns the per-field messages of an identity EINVALID
// error, in the catalogue's wording.
func (h *Handler) fieldErrors(c echo.Context, err error) (pages.FieldErrors, string, bool) {
	var e *identity.Error
	if !asIdentityError(err, &e) || e.Code != identity.EINVALID {
		return nil, "", false
	}
	fe := pages.FieldErrors(e.FieldTexts(h.cat(c)))
	msg := ""
	if len(fe) == 0 {
		msg = e.Text(h.cat(c))
	}
	return fe, msg, true
}

// addFieldErrors adds the field errors of err (an identity precheck) to
// errs for the fields that have none yet: a form whose own checks failed
// still shows every field's error in one round (issue 18 item 2).
func (h *Handler) addFieldErrors(c echo.Context, errs pages.FieldErrors, err error) pages.FieldErrors {
	more, _, ok := h.fieldErrors(c, err)
	if !ok {
		return errs
	}
	for k, v := range more {
		if errs.Get(k) == "" {
			errs[k] = v
		}
	}
	return errs
}

// errorText is the user-safe message of err, in the catalogue's wording.
func (h *Handler) errorText(c echo.Context, err error) string {
	return identity.ErrorText(err, h.cat(c))
}
