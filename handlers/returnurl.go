package handlers

import (
	"net/url"
	"path"
	"slices"
	"strings"
)

// safeReturnURL returns raw if it is a local path that a browser cannot
// read as another origin, and "" otherwise (BRW-08). The rule: after
// decoding, a single "/" followed by anything but "/" or "\", no backslash
// or control character anywhere, no scheme, no host.
func safeReturnURL(raw string) string {
	if raw == "" || len(raw) > 2048 {
		return ""
	}
	for _, s := range []string{raw, decodeAll(raw)} {
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") {
			return ""
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return ""
			}
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return raw
}

// decodeAll percent-decodes s until it stops changing (at most a few
// rounds), so that /%252F%252Fevil.example is judged as //evil.example.
func decodeAll(s string) string {
	for range 4 {
		d, err := url.PathUnescape(s)
		if err != nil {
			return "\\" // undecodable: refuse
		}
		if d == s {
			return s
		}
		s = d
	}
	return s
}

// returnTo is where to go after an action: the return URL when it is
// safe, otherwise the home page (of a Portal at the root of its origin;
// handlers use the Handler's returnTo).
func returnTo(raw string) string {
	if s := safeReturnURL(raw); s != "" {
		return s
	}
	return "/"
}

// loginURL is the login page (a Portal path, for redirect) with returnUrl
// set to to, the browser's URL of the page to come back to.
func (h *Handler) loginURL(to string) string {
	if h.localReturnURL(to) == "" || to == h.home() {
		return "/account/login"
	}
	return "/account/login?" + url.Values{"returnUrl": {to}}.Encode()
}

// localReturnURL is safeReturnURL, and under a base path also a path that
// stays under it once the browser has resolved its dot segments (a
// returnUrl never leads to the application beside Portal by a local path:
// that takes an absolute URL on an allowed origin).
func (h *Handler) localReturnURL(raw string) string {
	s := safeReturnURL(raw)
	if s == "" || h.base == "" {
		return s
	}
	p := decodeAll(s)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if c := path.Clean(p); !h.inBase(c) || !h.inBase(p) {
		return ""
	}
	return s
}

// returnURL is safeReturnURL, and also an absolute http(s) URL whose
// origin is in --allowed-return-origins (the applications behind forward
// auth), normalised; "" for anything else (BRW-08). Every returnUrl Portal
// reads goes through it.
func (h *Handler) returnURL(raw string) string {
	if s := h.localReturnURL(raw); s != "" {
		return s
	}
	return h.absoluteReturnURL(raw)
}

// absoluteReturnURL is raw when it is an absolute URL on an allowed
// return origin, else "".
func (h *Handler) absoluteReturnURL(raw string) string {
	if raw == "" || len(raw) > 2048 || len(h.opts.ReturnOrigins) == 0 || strings.ContainsAny(raw, "\\") {
		return ""
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	o, ok := originOf(raw)
	if !ok || !slices.Contains(h.opts.ReturnOrigins, o) {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if s := u.String(); strings.HasPrefix(s, o) || strings.HasPrefix(s, u.Scheme+"://"+u.Host) {
		return s
	}
	return ""
}

// returnTo is where to go after an action: the return URL when it is
// allowed, otherwise the home page; the browser's URL, for redirectBack.
func (h *Handler) returnTo(raw string) string {
	if s := h.returnURL(raw); s != "" {
		return s
	}
	return h.home()
}
