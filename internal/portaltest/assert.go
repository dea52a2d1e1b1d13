package portaltest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// WantStatus fails the test when p's status is not want.
func WantStatus(t testing.TB, p *Page, want int) {
	t.Helper()
	if got := p.Status; got != want {
		t.Fatalf("%s: status=%d, want %d; body:\n%s", p.URL, got, want, p.Body)
	}
}

// WantRedirect fails the test unless p is a 303 to exactly location.
func WantRedirect(t testing.TB, p *Page, location string) {
	t.Helper()
	WantStatus(t, p, http.StatusSeeOther)
	if got, want := p.Location(), p.Under(location); got != want {
		t.Fatalf("%s: Location=%q, want %q", p.URL, got, want)
	}
}

// WantRedirectPrefix fails the test unless p is a 303 to a location that
// starts with prefix.
func WantRedirectPrefix(t testing.TB, p *Page, prefix string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), p.Under(prefix)) {
		t.Fatalf("%v, want 303 to %s; body:\n%.2000s", p, prefix, p.Body)
	}
}

// WantLoginRedirect fails the test unless p sends the browser to the
// login page, to come back to returnPath.
func WantLoginRedirect(t testing.TB, p *Page, returnPath string) {
	t.Helper()
	WantRedirect(t, p, p.Under("/account/login?"+url.Values{"returnUrl": {p.Under(returnPath)}}.Encode()))
}

// FieldError is the error shown under the form field (or "").
func FieldError(t testing.TB, p *Page, field string) string {
	t.Helper()
	return p.Text(t, "#f-"+field+"-error.field-error")
}

// WantFieldError fails the test unless p is a 422 with an error under
// field, and returns the error.
func WantFieldError(t testing.TB, p *Page, field string) string {
	t.Helper()
	WantStatus(t, p, http.StatusUnprocessableEntity)
	msg := FieldError(t, p, field)
	if msg == "" {
		t.Fatalf("%s: 422 without a .field-error on %s:\n%s", p.URL, field, p.Body)
	}
	return msg
}

// StatusMessage is the status message on p and whether it is an error.
func StatusMessage(t testing.TB, p *Page) (string, bool) {
	t.Helper()
	s := p.Doc(t).Find("#status-message")
	return strings.TrimSpace(s.Text()), s.HasClass("alert-error")
}

// WantStatusMessage fails the test unless p is a 200 with a status
// message, and returns the message.
func WantStatusMessage(t testing.TB, p *Page) string {
	t.Helper()
	WantStatus(t, p, http.StatusOK)
	msg := p.Text(t, "#status-message")
	if msg == "" {
		t.Fatalf("%s: no #status-message after a successful POST:\n%s", p.URL, p.Body)
	}
	return msg
}

// WantTooMany fails the test unless p is the friendly HTML 429 page with a
// Retry-After in seconds.
func WantTooMany(t testing.TB, p *Page) {
	t.Helper()
	WantStatus(t, p, http.StatusTooManyRequests)
	ra := p.Header.Get("Retry-After")
	if secs, err := strconv.Atoi(ra); err != nil || secs < 1 {
		t.Fatalf("Retry-After=%q, want a positive number of seconds", ra)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("429 Content-Type=%q, want text/html", ct)
	}
	if !p.Has(t, "[data-testid=error-message]") {
		t.Fatalf("429 is not the HTML error page:\n%s", p.Body)
	}
}

var nonceAttr = regexp.MustCompile(`nonce="[^"]*"`)

// MaskedBody is p's body with what legitimately differs between two
// otherwise identical answers masked (docs/security.md, Alike responses):
// every _csrf value, every nonce attribute (there should be none, but a
// masked comparison must not depend on that), and each of mask (such as
// the typed email address).
func MaskedBody(t testing.TB, p *Page, mask ...string) string {
	t.Helper()
	body := p.Body
	p.Doc(t).Find(`input[name="_csrf"]`).Each(func(_ int, s *goquery.Selection) {
		if v, _ := s.Attr("value"); v != "" {
			body = strings.ReplaceAll(body, `value="`+v+`"`, `value="CSRF"`)
		}
	})
	body = nonceAttr.ReplaceAllString(body, `nonce="NONCE"`)
	for _, m := range mask {
		body = strings.ReplaceAll(body, m, "MASKED")
	}
	return body
}

// WithQuery returns raw with the query parameter k set to v.
func WithQuery(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// WantErrorSummary fails the test unless p is a 422 whose error summary
// (issue 18 item 2) links to exactly fields, in that order, each with its
// message under the field, and the first of them has autofocus (the only
// element that has). It returns the messages by field.
func WantErrorSummary(t testing.TB, p *Page, fields ...string) map[string]string {
	t.Helper()
	WantStatus(t, p, http.StatusUnprocessableEntity)
	doc := p.Doc(t)
	var hrefs, want []string
	msgs := map[string]string{}
	doc.Find("[data-testid=error-summary] a").Each(func(_ int, a *goquery.Selection) {
		hrefs = append(hrefs, a.AttrOr("href", ""))
	})
	for _, f := range fields {
		want = append(want, "#f-"+f)
		msgs[f] = FieldError(t, p, f)
		if msgs[f] == "" {
			t.Errorf("%s: no .field-error under %s", p.URL, f)
		}
		if got := doc.Find("[data-testid=error-summary] a[href='#f-" + f + "']").Text(); got != msgs[f] {
			t.Errorf("%s: summary entry for %s=%q, want the field's message %q", p.URL, f, got, msgs[f])
		}
	}
	if !slices.Equal(hrefs, want) {
		t.Errorf("%s: error summary links=%q, want %q", p.URL, hrefs, want)
	}
	var focus []string
	doc.Find("[autofocus]").Each(func(_ int, s *goquery.Selection) { focus = append(focus, s.AttrOr("id", "?")) })
	if len(fields) > 0 && !slices.Equal(focus, []string{"f-" + fields[0]}) {
		t.Errorf("%s: autofocus on %q, want only the first invalid field f-%s", p.URL, focus, fields[0])
	}
	return msgs
}
