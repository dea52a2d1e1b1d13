package identity

import (
	"strings"
	"unicode/utf8"
)

// Client is who made a request, as far as the server can tell: the IP
// address (from the socket, or a trusted proxy) and the User-Agent. Rate
// limits key on the IP; notification mails show both.
type Client struct {
	IP        string
	UserAgent string
	// RememberBrowser is the browser's "remember this browser" cookie,
	// if it sent one (see RememberBrowserToken): a sign-in from it skips
	// the second factor.
	RememberBrowser string
	// Device is the browser's long-lived device cookie, if it sent one: a
	// random handle that tells the lockout rules this browser signed in
	// to the account before (AUTH-03). The owner's browsers are not held
	// up by strangers' failures.
	Device string
}

// NewClient cleans what the handler saw: the user agent is cut to 256
// characters and stripped of control characters, so that it is safe to
// store and to put in a mail.
func NewClient(ip, userAgent string) Client {
	ua := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, userAgent)
	if !utf8.ValidString(ua) {
		ua = strings.ToValidUTF8(ua, "")
	}
	if utf8.RuneCountInString(ua) > 256 {
		ua = string([]rune(ua)[:256])
	}
	return Client{IP: ip, UserAgent: ua}
}
