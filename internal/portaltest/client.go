package portaltest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// SessionCookie is the session cookie's name on plain HTTP
// (__Host-portal_session on https).
const SessionCookie = "portal_session"

// CSRFCookie is the cookie the anonymous CSRF token is bound to
// (__Host-portal_csrf on https).
const CSRFCookie = "portal_csrf"

// Client is one browser: a cookie jar, no automatic redirects, and the
// Origin and Sec-Fetch-Site headers a browser sends with a same-origin
// form. Its methods fail the test it was made for; the Try forms return
// errors instead, for goroutines.
type Client struct {
	t    testing.TB
	base string  // the server's URL
	srv  *Server // nil for a server the kit did not start
	// HTTP is the client's transport (its Jar is Jar); a test may replace
	// HTTP.Transport, e.g. to connect from another source address.
	HTTP *http.Client
	Jar  *cookiejar.Jar
	// extra headers sent with every request (e.g. X-Forwarded-For to act
	// as another client behind a trusted proxy).
	extra http.Header
}

// NewClient is a new browser on srv.
func NewClient(t testing.TB, srv *Server) *Client {
	t.Helper()
	c := NewClientAt(t, srv.URL)
	c.srv = srv
	return c
}

// NewClientAt is a new browser on the server at base (a URL), for servers
// the kit did not start, such as a subprocess.
func NewClientAt(t testing.TB, base string) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{t: t, base: base, Jar: jar, HTTP: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// WithHeader makes every later request of c carry the header.
func (c *Client) WithHeader(key, value string) *Client {
	if c.extra == nil {
		c.extra = http.Header{}
	}
	c.extra.Set(key, value)
	return c
}

// On is the same browser (its cookie jar, transport and headers) talking
// to srv, another instance behind the same address.
func (c *Client) On(srv *Server) *Client {
	c2 := *c
	c2.srv, c2.base = srv, srv.URL
	return &c2
}

// T is the test c fails.
func (c *Client) T() testing.TB { return c.t }

// Server is the server c was made for (nil from NewClientAt).
func (c *Client) Server() *Server { return c.srv }

// URL is path on c's server; absolute URLs are returned as they are. On
// a server under a base path (BasePath) a Portal path ("/account/login")
// is put under it, and a path already under it (a Location, a form's
// action) is left alone: ask for the absolute URL to reach outside it.
func (c *Client) URL(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.base + under(c.basePath(), path)
}

// basePath is the base path of c's server ("" at the root).
func (c *Client) basePath() string {
	if c.srv == nil {
		return ""
	}
	return c.srv.Base
}

// under is the browser's path of the Portal path p on a server under base
// (p itself when it is already under base, or not a path).
func under(base, p string) string {
	if base == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || p == base || strings.HasPrefix(p, base+"/") {
		return p
	}
	return base + p
}

// Page is one response, read whole.
type Page struct {
	Status int
	Header http.Header
	Body   string
	URL    string
	doc    *goquery.Document
	// base is the server's base path: assertions compare Locations with
	// Portal paths under it.
	base string
}

// Under is the browser's path of the Portal path p on the server p came
// from ("/account/manage" → "/auth/account/manage" under /auth).
func (p *Page) Under(path string) string { return under(p.base, path) }

func (p *Page) parse() (*goquery.Document, error) {
	if p.doc == nil {
		d, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p.URL, err)
		}
		p.doc = d
	}
	return p.doc, nil
}

// Doc parses the body as HTML.
func (p *Page) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := p.parse()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Text returns the trimmed text of the first element matching sel.
func (p *Page) Text(t testing.TB, sel string) string {
	t.Helper()
	return strings.TrimSpace(p.Doc(t).Find(sel).First().Text())
}

// Has reports whether an element matches sel.
func (p *Page) Has(t testing.TB, sel string) bool {
	t.Helper()
	return p.Doc(t).Find(sel).Length() > 0
}

// Location is the redirect target.
func (p *Page) Location() string { return p.Header.Get("Location") }

// String sums p up for failure messages.
func (p *Page) String() string {
	return fmt.Sprintf("%s: status %d, Location %q", p.URL, p.Status, p.Location())
}

// CSRF is the value of the first _csrf field on p.
func (p *Page) CSRF(t testing.TB) string {
	t.Helper()
	v := p.Doc(t).Find("input[name=_csrf]").First().AttrOr("value", "")
	if v == "" {
		t.Fatalf("%s: no _csrf field:\n%s", p.URL, p.Body)
	}
	return v
}

// SetCookie is p's Set-Cookie for the named cookie, or nil.
func (p *Page) SetCookie(t testing.TB, name string) *http.Cookie {
	t.Helper()
	for _, v := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			ck, err := http.ParseSetCookie(v)
			if err != nil {
				t.Fatalf("parse Set-Cookie %q: %v", v, err)
			}
			return ck
		}
	}
	return nil
}

// SessionSetCookies are p's raw Set-Cookie headers for the session cookie.
func (p *Page) SessionSetCookies() []string {
	var out []string
	for _, v := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, SessionCookie+"=") {
			out = append(out, v)
		}
	}
	return out
}

// TryDo sends req with c's headers and reads the whole response.
func (c *Client) TryDo(req *http.Request) (*Page, error) {
	for k, vs := range c.extra {
		req.Header[k] = vs
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL, err)
	}
	return &Page{Status: resp.StatusCode, Header: resp.Header, Body: string(body), URL: req.URL.String(), base: c.basePath()}, nil
}

// Do is TryDo failing the test on a transport error.
func (c *Client) Do(req *http.Request) *Page {
	c.t.Helper()
	p, err := c.TryDo(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// TryGet fetches path.
func (c *Client) TryGet(path string) (*Page, error) {
	req, err := http.NewRequest(http.MethodGet, c.URL(path), nil)
	if err != nil {
		return nil, err
	}
	return c.TryDo(req)
}

// Get fetches path.
func (c *Client) Get(path string) *Page {
	c.t.Helper()
	p, err := c.TryGet(path)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// sameOrigin are the headers a browser sends with a same-origin form.
func (c *Client) sameOrigin() http.Header {
	return http.Header{"Origin": {c.base}, "Sec-Fetch-Site": {"same-origin"}}
}

// TryPost sends form to path as a same-origin browser form would.
func (c *Client) TryPost(path string, form url.Values) (*Page, error) {
	return c.tryPostWithHeaders(path, form, c.sameOrigin())
}

// Post sends form to path as a same-origin browser form would.
func (c *Client) Post(path string, form url.Values) *Page {
	c.t.Helper()
	return c.PostWithHeaders(path, form, c.sameOrigin())
}

func (c *Client) tryPostWithHeaders(path string, form url.Values, h http.Header) (*Page, error) {
	req, err := http.NewRequest(http.MethodPost, c.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range h {
		req.Header[k] = vs
	}
	return c.TryDo(req)
}

// PostWithHeaders sends form with exactly the extra headers given.
func (c *Client) PostWithHeaders(path string, form url.Values, h http.Header) *Page {
	c.t.Helper()
	p, err := c.tryPostWithHeaders(path, form, h)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// PostFrom GETs the page from (which must answer 200), takes its _csrf
// token and posts fields with it to path.
func (c *Client) PostFrom(from, path string, fields url.Values) *Page {
	c.t.Helper()
	vals := url.Values{"_csrf": {c.CSRF(from)}}
	for k, vs := range fields {
		vals[k] = vs
	}
	return c.Post(path, vals)
}

// CSRF GETs path (which must answer 200) and returns its first _csrf value.
func (c *Client) CSRF(path string) string {
	c.t.Helper()
	p := c.Get(path)
	WantStatus(c.t, p, http.StatusOK)
	return p.CSRF(c.t)
}

// Follow GETs the redirect target of p (which must be a 303 or 302).
func (c *Client) Follow(p *Page) *Page {
	c.t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		c.t.Fatalf("%s: status %d, want a redirect; body:\n%s", p.URL, p.Status, p.Body)
	}
	return c.Get(p.Location())
}

// Form is an HTML form read from a page: its action and every named
// input's value, as a browser would submit it.
type Form struct {
	Action string
	Values url.Values
}

// ReadForm reads the form matching sel on p, or returns an error.
func (p *Page) ReadForm(sel string) (*Form, error) {
	d, err := p.parse()
	if err != nil {
		return nil, err
	}
	f := d.Find(sel).First()
	if f.Length() == 0 {
		return nil, fmt.Errorf("%s (status %d): no form %q in:\n%s", p.URL, p.Status, sel, p.Body)
	}
	action, _ := f.Attr("action")
	if action == "" {
		u, _ := url.Parse(p.URL)
		action = u.RequestURI()
	}
	vals := url.Values{}
	f.Find("input").Each(func(_ int, in *goquery.Selection) {
		name, ok := in.Attr("name")
		if !ok || name == "" {
			return
		}
		typ, _ := in.Attr("type")
		val, _ := in.Attr("value")
		switch typ {
		case "checkbox", "radio":
			if _, checked := in.Attr("checked"); checked {
				vals.Add(name, val)
			}
		case "submit", "button":
		default:
			vals.Add(name, val)
		}
	})
	return &Form{Action: action, Values: vals}, nil
}

// Form reads the form matching sel on p.
func (p *Page) Form(t testing.TB, sel string) *Form {
	t.Helper()
	f, err := p.ReadForm(sel)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Set sets a field, replacing its value.
func (f *Form) Set(name, value string) *Form {
	f.Values.Set(name, value)
	return f
}

// Prepare GETs path (which must answer 200) and reads the form sel with
// fields filled in, ready to post (the POST itself may then race others).
func (c *Client) Prepare(path, sel string, fields map[string]string) (*Form, error) {
	p, err := c.TryGet(path)
	if err != nil {
		return nil, err
	}
	if p.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d, want 200; body:\n%s", path, p.Status, p.Body)
	}
	f, err := p.ReadForm(sel)
	if err != nil {
		return nil, err
	}
	for k, v := range fields {
		f.Set(k, v)
	}
	return f, nil
}

// Submit posts the form from the page at path (GET path, read the form
// sel, fill in fields, post it).
func (c *Client) Submit(path, sel string, fields map[string]string) *Page {
	c.t.Helper()
	f, err := c.Prepare(path, sel, fields)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Post(f.Action, f.Values)
}

// Cookie returns the value of the named cookie for the server, or "".
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.URL("/"))
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// SetCookie puts a cookie in the jar (to replay an old one).
func (c *Client) SetCookie(name, value string) {
	u, _ := url.Parse(c.URL("/"))
	c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
