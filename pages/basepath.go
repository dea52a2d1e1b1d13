package pages

import (
	"context"
	"net/url"
	"strings"

	"github.com/a-h/templ"
)

// Portal may serve under a path of its origin (--base-url
// https://example.com/auth). Pages write Portal paths — "/account/login" —
// and URL puts them under that base path, which the handlers put in the
// render context (WithBasePath). Every link, form action and asset URL of
// a page goes through URL; a returnUrl (ReturnURL of a view) is already
// the browser's URL and is written as it is.

type basePathKey struct{}

// WithBasePath returns ctx with the base path pages are rendered for: ""
// (the root) or "/auth".
func WithBasePath(ctx context.Context, base string) context.Context {
	if base == "" && ctx.Value(basePathKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, basePathKey{}, base)
}

// BasePath is the base path of ctx ("" for the root).
func BasePath(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	s, _ := ctx.Value(basePathKey{}).(string)
	return s
}

// Path is the browser's path of the Portal path p ("/account/login" →
// "/auth/account/login"); absolute URLs are returned as they are.
func Path(ctx context.Context, p string) string {
	base := BasePath(ctx)
	if base == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return p
	}
	return base + p
}

// URL is Path as a templ.SafeURL, for href, action and src:
//
//	<a href={ URL(ctx, "/account/login") }>
func URL(ctx context.Context, p string) templ.SafeURL { return templ.SafeURL(Path(ctx, p)) }

// URLWithReturn is URL with ?returnUrl=returnURL added when returnURL (the
// browser's URL of the page to come back to) is not empty.
func URLWithReturn(ctx context.Context, p, returnURL string) templ.SafeURL {
	return templ.SafeURL(withReturn(Path(ctx, p), returnURL))
}

func withReturn(path, returnURL string) string {
	if returnURL == "" {
		return path
	}
	return path + "?" + url.Values{"returnUrl": {returnURL}}.Encode()
}
