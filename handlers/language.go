package handlers

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
)

// Languages (DESIGN.md "Languages"): every page is in the reader's
// language. It is, first match wins, the one the language picker stored
// in the language cookie (set from the account at sign-in, so a signed-in
// person's saved choice follows them to every browser), the best match of
// the browser's Accept-Language among the offered languages, or the
// default language.

// ctxCatalog holds the request's message catalogue.
const ctxCatalog = "portal.catalog"

// languageCookieLifetime: a choice of language is kept for a year.
const languageCookieLifetime = 365 * 24 * time.Hour

func (h *Handler) languageCookieName() string { return h.cookieName("portal_lang", false) }

// cat returns the message catalogue of the request's language.
func (h *Handler) cat(c echo.Context) *messages.Catalog {
	if cat, ok := c.Get(ctxCatalog).(*messages.Catalog); ok {
		return cat
	}
	cat := h.negotiate(c)
	c.Set(ctxCatalog, cat)
	return cat
}

// negotiate picks the request's language: the cookie, Accept-Language,
// the default.
func (h *Handler) negotiate(c echo.Context) *messages.Catalog {
	set := h.look().msgs
	if ck, err := c.Cookie(h.languageCookieName()); err == nil {
		if cat := set.Get(ck.Value); cat != nil {
			return cat
		}
	}
	return set.Match(c.Request().Header.Get("Accept-Language"))
}

// language decides the request's language before any handler runs and
// hands it to identity in the request's context, for the mail a request
// causes and the messages of its errors. Responses vary with
// Accept-Language (and the cookie, which caches do not share).
func (h *Handler) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/static/") || h.isAppCheck(c) {
			return next(c) // (the app checks answer in JSON and headers; h.cat still works if one needs it)
		}
		cat := h.cat(c)
		r := c.Request()
		c.SetRequest(r.WithContext(messages.NewContext(r.Context(), cat)))
		c.Response().Header().Add(echo.HeaderVary, "Accept-Language")
		return next(c)
	}
}

// setLanguageCookie keeps the choice of lang in this browser.
func (h *Handler) setLanguageCookie(c echo.Context, lang string) {
	ck := h.newCookie("portal_lang", lang)
	ck.MaxAge, ck.Expires = int(languageCookieLifetime/time.Second), h.now().Add(languageCookieLifetime)
	c.SetCookie(ck)
}

// handleLanguagePost is the footer's language picker: it stores the
// choice in a cookie and, for a signed-in person, on the account (their
// mail follows it), then goes back to the page (returnUrl, a local path
// only: BRW-08). A language the site does not offer is a 422
// (only a hand-made request sends one).
func (h *Handler) handleLanguagePost(c echo.Context) error {
	lang := c.FormValue("lang")
	cat := h.look().msgs.Get(lang)
	if cat == nil {
		return identity.ErrUnknownLanguage
	}
	if u := currentUser(c); u != nil {
		if err := h.id.SetLanguage(c.Request().Context(), u, cat.Lang()); err != nil {
			return err
		}
	}
	h.setLanguageCookie(c, cat.Lang())
	c.Set(ctxCatalog, cat)
	return h.redirect(c, returnTo(c.FormValue("returnUrl")))
}

// rememberLanguage sets the language cookie to lang, the language saved
// on the account of a person who just signed in, when the site offers it.
func (h *Handler) rememberLanguage(c echo.Context, lang string) {
	if cat := h.look().msgs.Get(lang); cat != nil && lang != "" {
		h.setLanguageCookie(c, lang)
		c.Set(ctxCatalog, cat)
	}
}

// rememberPreferences brings the choices saved on the account of a person
// who just signed in (language, time zone) to this browser.
func (h *Handler) rememberPreferences(c echo.Context, userID string) {
	p, err := h.id.Preferences(c.Request().Context(), userID)
	if err != nil {
		h.log.WarnContext(c.Request().Context(), "reading the saved language and time zone", "err", err)
		return
	}
	h.rememberLanguage(c, p.Language)
	h.rememberTimeZone(c, p.TimeZone)
}

// languageOptions are the picker's choices for set: nil when it offers
// one language (no picker).
func languageOptions(set *messages.Set) []pages.LanguageOption {
	cats := set.Catalogs()
	if len(cats) < 2 {
		return nil
	}
	out := make([]pages.LanguageOption, len(cats))
	for i, c := range cats {
		out[i] = pages.LanguageOption{Tag: c.Lang(), Name: c.Name(), Dir: c.Dir()}
	}
	return out
}
