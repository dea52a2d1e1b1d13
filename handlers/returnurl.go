package handlers

import (
	"net/url"
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
// safe, otherwise the home page.
func returnTo(raw string) string {
	if s := safeReturnURL(raw); s != "" {
		return s
	}
	return "/"
}

// loginURL is the login page with returnUrl set to path.
func loginURL(path string) string {
	if safeReturnURL(path) == "" || path == "/" {
		return "/account/login"
	}
	return "/account/login?" + url.Values{"returnUrl": {path}}.Encode()
}
