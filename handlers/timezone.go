package handlers

import (
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal/identity"
)

// Time zones (issue 18 item 9): times on pages are shown in the reader's
// zone — the one they chose on their profile (saved on the account and,
// at sign-in, put in the time zone cookie of the browser), else the one
// their browser tells through /static/timezone.js (the cookie's value
// then starts with "~"), else UTC.

const timeZoneCookieLifetime = 365 * 24 * time.Hour

func (h *Handler) timeZoneCookieName() string { return h.cookieName("portal_tz", false) }

// location is the request's time zone, or nil (UTC).
func (h *Handler) location(c echo.Context) *time.Location {
	ck, err := c.Cookie(h.timeZoneCookieName())
	if err != nil {
		return nil
	}
	v, err := url.PathUnescape(ck.Value)
	if err != nil {
		return nil
	}
	loc, ok := identity.LoadTimeZone(strings.TrimPrefix(v, "~"))
	if !ok {
		return nil
	}
	return loc
}

// setTimeZoneCookie keeps the chosen zone in this browser; "" gives the
// choice back to the browser (the script sets the cookie again).
func (h *Handler) setTimeZoneCookie(c echo.Context, zone string) {
	ck := h.newCookie("portal_tz", zone)
	ck.HttpOnly = false // the script reads it: a chosen zone is not replaced
	if zone == "" {
		ck.MaxAge, ck.Expires = -1, time.Unix(0, 0)
	} else {
		ck.MaxAge, ck.Expires = int(timeZoneCookieLifetime/time.Second), h.now().Add(timeZoneCookieLifetime)
	}
	c.SetCookie(ck)
}

// rememberTimeZone sets the time zone cookie to zone, the one saved on
// the account of a person who just signed in, when they chose one.
func (h *Handler) rememberTimeZone(c echo.Context, zone string) {
	if _, ok := identity.LoadTimeZone(zone); ok {
		h.setTimeZoneCookie(c, zone)
	}
}
