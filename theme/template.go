package theme

import (
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
)

// Template is one html/template file of a theme: layout.html or a page
// override. It is safe for concurrent use.
type Template struct {
	// File is the file's path inside the theme, e.g. "pages/login.html".
	File string
	th   *Theme
	// base is parsed and never executed: each instance is a clone of it
	// with the template functions bound to that instance's Vars (an
	// executed html/template can no longer be cloned).
	base *template.Template
	pool sync.Pool // of *instance
}

// Vars are the values of one request that the template functions read.
type Vars struct {
	// CSRFToken is what {{csrfField}} puts in the hidden _csrf input.
	CSRFToken string
	// Nonce is the response's CSP nonce ({{cspNonce}}), for an inline
	// <script nonce="{{cspNonce}}">.
	Nonce string
	// Messages is the catalogue {{t "key"}} reads; nil means the theme's.
	Messages *messages.Catalog
	// BasePath is the path Portal serves under ("" for the root, or
	// "/auth"): {{url}}, {{withReturn}} and {{asset}} put their paths
	// under it.
	BasePath string
	// Location is the reader's time zone: {{date}} shows times in it (UTC
	// when nil).
	Location *time.Location
	// Now is the time the page is rendered at: {{since}} says how long
	// ago a time was within the last day (zero: always the date).
	Now time.Time
}

// LayoutData is what layout.html gets: the page's Common (so .Title,
// .SiteName, .User, .CSRFToken, .Status, .StatusIsError, .CSSURL,
// .ThemeCSSURL, .IconURL and .Common itself), the rendered page content and
// the page's name.
type LayoutData struct {
	pages.Common
	// Body is the page's content (the built-in page or the theme's
	// override), already rendered and escaped: write it with {{.Body}}.
	Body template.HTML
	// Page is the page's name, e.g. "login" (handy for a class on <body>).
	Page string
}

type instance struct {
	t    *template.Template
	vars Vars
}

// Funcs are the template functions a theme's templates may call: name,
// what it does, an example (for the README).
var Funcs = [][3]string{
	{"csrfField", "the hidden _csrf input every POST form must carry", `{{csrfField}}`},
	{"t", "a message of the catalogue by key (messages.toml overrides it), with name/value pairs for its {placeholders}", `{{t "login.title"}}, {{t "register.password_hint" "min" .MinPasswordLength}}`},
	{"tn", "a plural message by its base key (lockout.explanation for _one, _other, …) in the form the count takes in the page's language, then name/value pairs", `{{tn "lockout.explanation" .LockoutMinutes "minutes" .LockoutMinutes}}`},
	{"since", "how long ago a time was, within the last day, from a message key's _now, _minutes and _hours forms; older, the key with {time} as date writes it", `{{since .LastSeenAt "manage-sessions.last_active" "manage-sessions.time_format"}}`},
	{"date", "a time formatted with the Go layout of a message key (the keys ending in _format) in the page's language: month names and digits", `{{date .CreatedAt "manage-profile.date_format"}}`},
	{"lang", "the page's language (BCP 47), for <html lang>", `<html lang="{{lang}}" dir="{{dir}}">`},
	{"dir", "the text direction of the page's language: rtl (Arabic, Hebrew, …) or ltr", `<html lang="{{lang}}" dir="{{dir}}">`},
	{"cspNonce", "the response's Content-Security-Policy nonce, for an inline script", `<script nonce="{{cspNonce}}">`},
	{"asset", "the content-hashed URL of a static file, built-in or the theme's", `<img src="{{asset "logo.svg"}}" alt="">`},
	{"url", "a Portal path under the base path Portal serves at (--base-url https://example.com/auth: /auth/account/login); every link and form action", `href="{{url "/account/login"}}"`},
	{"withReturn", "url of a path with ?returnUrl= added when the return URL is not empty", `action="{{withReturn "/account/login" .ReturnURL}}"`},
	{"qrCode", "an inline SVG QR code of a URI (enable-authenticator)", `{{qrCode .URI}}`},
	{"address", "an email address with line-break opportunities after the @ and before each dot, so that it wraps there on a phone", `{{address .Email}}`},
	{"otpauthURI", "an otpauth:// URI as a URL that html/template lets through (it blocks unknown schemes)", `data-uri="{{otpauthURI .URI}}"`},
}

// funcs are the template functions; in is nil while parsing (only the
// names and signatures matter then).
func (th *Theme) funcs(in *instance) template.FuncMap {
	return template.FuncMap{
		"csrfField": func() template.HTML {
			token := ""
			if in != nil {
				token = in.vars.CSRFToken
			}
			return template.HTML(`<input type="hidden" name="_csrf" value="` + template.HTMLEscapeString(token) + `">`)
		},
		"cspNonce": func() string {
			if in == nil {
				return ""
			}
			return in.vars.Nonce
		},
		"t": func(key string, args ...any) string {
			if in != nil && in.vars.Messages != nil {
				return in.vars.Messages.T(key, args...)
			}
			return th.Messages().T(key, args...)
		},
		"tn": func(key string, n int, args ...any) string {
			return th.catalog(in).N(key, n, args...)
		},
		"date": func(t time.Time, layoutKey string) string {
			var loc *time.Location
			if in != nil {
				loc = in.vars.Location
			}
			return th.catalog(in).Time(pages.InZone(t, loc), layoutKey)
		},
		"since": func(t time.Time, key, layoutKey string) string {
			var now time.Time
			var loc *time.Location
			if in != nil {
				now, loc = in.vars.Now, in.vars.Location
			}
			return pages.Since(th.catalog(in), now, loc, t, key, layoutKey)
		},
		"lang":    func() string { return th.catalog(in).T("layout.lang") },
		"dir":     func() string { return th.catalog(in).Dir() },
		"asset":   func(name string) string { return in.url(th.assetURL(name)) },
		"url":     in.url,
		"address": func(s string) template.HTML { return template.HTML(pages.AddressHTML(s)) },
		"withReturn": func(path, returnURL string) string {
			return WithReturn(in.url(path), returnURL)
		},
		"qrCode": func(uri string) (template.HTML, error) {
			svg, err := pages.QRCodeSVG(uri)
			return template.HTML(svg), err
		},
		"otpauthURI": func(uri string) template.URL {
			if !strings.HasPrefix(uri, "otpauth://") {
				return "#"
			}
			return template.URL(uri)
		},
	}
}

// catalog is the catalogue of the page being rendered (in is nil while
// parsing).
func (th *Theme) catalog(in *instance) *messages.Catalog {
	if in != nil && in.vars.Messages != nil {
		return in.vars.Messages
	}
	return th.Messages()
}

// url is the Portal path p under the instance's base path.
func (in *instance) url(p string) string {
	if in == nil || in.vars.BasePath == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return p
	}
	return in.vars.BasePath + p
}

// WithReturn adds ?returnUrl= to path when returnURL is not empty, as the
// built-in pages do.
func WithReturn(path, returnURL string) string {
	if returnURL == "" {
		return path
	}
	return path + "?" + url.Values{"returnUrl": {returnURL}}.Encode()
}

func (th *Theme) assetURL(name string) string {
	th.mu.RLock()
	f := th.asset
	th.mu.RUnlock()
	if f == nil {
		return "/static/" + name
	}
	return f(name)
}

// parse parses src as the theme file file.
func (th *Theme) parse(file, src string) (*Template, error) {
	base, err := template.New(file).Funcs(th.funcs(nil)).Parse(src)
	if err != nil {
		return nil, err
	}
	return &Template{File: file, th: th, base: base}, nil
}

func (t *Template) get() (*instance, error) {
	if in, ok := t.pool.Get().(*instance); ok {
		return in, nil
	}
	c, err := t.base.Clone()
	if err != nil {
		return nil, err
	}
	in := &instance{t: c}
	c.Funcs(t.th.funcs(in))
	return in, nil
}

// Execute renders the template with data into w. A panic becomes an
// error. Render into a buffer: on error, w holds part of the output.
func (t *Template) Execute(w io.Writer, data any, vars Vars) (err error) {
	in, err := t.get()
	if err != nil {
		return fmt.Errorf("%s: %w", t.File, err)
	}
	in.vars = vars
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: panic: %v", t.File, r)
			return // drop the instance
		}
		in.vars = Vars{}
		t.pool.Put(in)
	}()
	return in.t.Execute(w, data)
}
