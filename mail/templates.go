package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/accountportal/portal/messages"
)

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// Data is what every message template gets. Fields a message does not use
// are empty.
type Data struct {
	SiteName string // the configured site name
	BaseURL  string // absolute base of every link, ending in "/"
	To       string // the recipient's address
	Link     string // the action link of the message, absolute
	Expires  string // how long the link stays valid, in words ("24 hours")
	NewEmail string // email change: the new address
	OldEmail string // email change: the old address
	Time     string // when the event happened, e.g. "22 Nov 2026 08:00 UTC"
	IP       string // from where (notifications)
	Browser  string // the device as the pages name it, "Chrome on macOS" (notifications)
	Notice   string // security-notice: what happened, one sentence
	// SignedOut: the change ended every other session of the account
	// (security-notice says so).
	SignedOut bool
	Code      string // external-signup: the code to type on the page
	Provider  string // external-signup: the provider's name ("Google")
}

// Names of the built-in messages. Each NAME has templates/NAME.txt, whose
// "NAME.subject" block is the subject, and templates/NAME.html. A theme
// overrides either file with <theme>/mail/NAME.txt or NAME.html.
//
// The words come from the message catalogue (messages/*/mail.toml, keys
// mail.* and mail-NAME.*), so that a message goes out in the recipient's
// language: the templates call t, tn, lang and dir (Funcs) like a theme's
// pages do, and a theme rewords a mail in any language with
// messages.<lang>.toml. templates/common.txt and common.html hold the
// blocks every message shares ("details": when, from where, which
// browser; "signature").
const (
	ConfirmEmail         = "confirm-email"          // confirm the address of a new account
	RegisterExisting     = "register-existing"      // someone tried to register with an address that has an account
	ResetPassword        = "reset-password"         // the reset link
	PasswordChanged      = "password-changed"       // notification: the password was changed or reset
	PasswordSet          = "password-set"           // notification: a first password was set on an account that had none
	ChangeEmail          = "change-email"           // to the new address: confirm the change
	EmailChangeRequested = "email-change-requested" // to the old address: a change was asked for
	EmailChanged         = "email-changed"          // to the old address: the change is done
	AccountDeleted       = "account-deleted"        // the account and its data are gone
	SecurityNotice       = "security-notice"        // a security setting changed (2FA on/off, codes, …)
	Invite               = "invite"                 // an invitation to register (--registration invite)
	ExternalSignup       = "external-signup"        // the code that proves the address of a new external-login account
)

// Names lists every message.
var Names = []string{ConfirmEmail, RegisterExisting, ResetPassword, PasswordChanged, PasswordSet, ChangeEmail, EmailChangeRequested, EmailChanged, AccountDeleted, SecurityNotice, Invite, ExternalSignup}

// SampleData is the English sample (Sample(nil)).
var SampleData = Sample(nil)

// Sample is the data theme overrides are checked against at start, and
// the preview shows, with the words that come from Portal (how long a
// link works, when, which browser, the notice) in the language of c
// (nil: English), as the server fills them in.
func Sample(c *messages.Catalog) Data {
	return Data{
		SiteName: "Example", BaseURL: "https://portal.example/", To: "someone@example.com",
		Link: "https://portal.example/account/confirm-email?userId=1&code=abc", Expires: c.N("mail.hours", 24, "n", 24),
		NewEmail: "new@example.com", OldEmail: "old@example.com",
		Time: c.Time(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), "mail.time_format"),
		IP:   "203.0.113.7", Browser: c.T("device.on_os", "browser", "Firefox", "os", "Linux"), SignedOut: true,
		Notice: c.T("mail-notice.2fa_enabled"), Code: "K7QM-3XPD", Provider: "Google",
	}
}

// Funcs are the template functions a mail template may call (a theme's
// override too): name, what it does, an example (for the theme README).
var Funcs = [][3]string{
	{"t", "a message of the catalogue by key, in the recipient's language, with name/value pairs for its {placeholders}", `{{t "mail-reset-password.subject" "site" .SiteName}}`},
	{"tn", "a plural message by its base key in the form the count takes in the recipient's language, then name/value pairs", `{{tn "mail.hours" 24 "n" 24}}`},
	{"lang", "the recipient's language (BCP 47), for <html lang>", `<html lang="{{lang}}" dir="{{dir}}">`},
	{"dir", "the text direction of the recipient's language: rtl or ltr", `<html lang="{{lang}}" dir="{{dir}}">`},
	{"wrap", "plain text only: a paragraph broken into lines of at most 72 characters", `{{wrap (t "mail-invite.intro" "site" .SiteName "to" .To)}}`},
}

// instance is one clone of a template set whose functions speak the
// catalogue cat; clones are pooled (a template's functions are fixed
// once it runs, and the language changes from one message to the next).
type instance struct {
	text *texttemplate.Template
	html *htmltemplate.Template
	cat  *messages.Catalog
}

func (in *instance) catalog() *messages.Catalog {
	if in == nil {
		return nil // the built-in English catalogue
	}
	return in.cat
}

// funcs are the template functions bound to in (nil while parsing: only
// the names and signatures matter then).
func funcs(in *instance) map[string]any {
	return map[string]any{
		"t":    func(key string, args ...any) string { return in.catalog().T(key, args...) },
		"tn":   func(key string, n int, args ...any) string { return in.catalog().N(key, n, args...) },
		"lang": func() string { return in.catalog().Lang() },
		"dir":  func() string { return in.catalog().Dir() },
		"wrap": wrap,
	}
}

// wrapWidth is the longest line wrap writes (in characters).
const wrapWidth = 72

// wrap breaks a paragraph into lines of at most wrapWidth characters at
// spaces (a longer word stands on a line of its own).
func wrap(s string) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.FieldsFunc(s, asciiSpace) {
		n := utf8.RuneCountInString(w)
		switch {
		case i == 0:
		case line+1+n > wrapWidth:
			b.WriteByte('\n')
			line = 0
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += n
	}
	return b.String()
}

// asciiSpace separates words; a no-break space (French "Date :")
// does not.
func asciiSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }

// templateSet is a parsed set of text and HTML templates, never run
// itself: each message runs on a pooled clone (instance).
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
	pool sync.Pool
}

func newTemplateSet(text *texttemplate.Template, html *htmltemplate.Template) *templateSet {
	return &templateSet{text: text, html: html}
}

// get returns an instance of the set for cat.
func (s *templateSet) get(cat *messages.Catalog) (*instance, error) {
	in, ok := s.pool.Get().(*instance)
	if !ok {
		text, err := s.text.Clone()
		if err != nil {
			return nil, err
		}
		html, err := s.html.Clone()
		if err != nil {
			return nil, err
		}
		in = &instance{text: text, html: html}
		text.Funcs(funcs(in))
		html.Funcs(funcs(in))
	}
	in.cat = cat
	return in, nil
}

// Templates renders messages: a theme's overrides first, the built-in
// templates when there is no override or it fails.
type Templates struct {
	builtin *templateSet
	themed  *templateSet // nil without overrides
	log     *slog.Logger
}

// LoadTemplates parses the built-in templates and, if override is not nil,
// a theme's mail directory. Every override must be named after a message
// (NAME.txt or NAME.html), parse, and render the sample data in every
// built-in language: otherwise LoadTemplates fails naming the file (fail
// fast at start).
func LoadTemplates(override fs.FS, log *slog.Logger) (*Templates, error) {
	if log == nil {
		log = slog.Default()
	}
	t, err := texttemplate.New("mail").Funcs(funcs(nil)).ParseFS(templateFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	h, err := htmltemplate.New("mail").Funcs(funcs(nil)).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	ts := &Templates{builtin: newTemplateSet(t, h), log: log}
	if override == nil {
		return ts, nil
	}
	themed, err := loadOverrides(ts.builtin, override)
	if err != nil {
		return nil, err
	}
	ts.themed = themed
	return ts, nil
}

func loadOverrides(builtin *templateSet, override fs.FS) (*templateSet, error) {
	text, err := builtin.text.Clone()
	if err != nil {
		return nil, err
	}
	html, err := builtin.html.Clone()
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(override, ".")
	if err != nil {
		return nil, fmt.Errorf("mail overrides: %w", err)
	}
	var errs []error
	for _, e := range entries {
		file := e.Name()
		if strings.HasPrefix(file, ".") {
			continue
		}
		ext := path.Ext(file)
		name := strings.TrimSuffix(file, ext)
		if e.IsDir() || (ext != ".txt" && ext != ".html") || !slices.Contains(Names, name) {
			errs = append(errs, fmt.Errorf("mail/%s: unknown file; a mail override is NAME.txt or NAME.html with NAME one of %s", file, strings.Join(Names, ", ")))
			continue
		}
		src, err := fs.ReadFile(override, file)
		if err != nil {
			errs = append(errs, fmt.Errorf("mail/%s: %w", file, err))
			continue
		}
		if ext == ".txt" {
			_, err = text.New(file).Parse(string(src))
		} else {
			_, err = html.New(file).Parse(string(src))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("mail/%s: %w", file, err))
		}
	}
	set := newTemplateSet(text, html)
	if len(errs) == 0 {
		for _, name := range Names {
			for _, lang := range messages.Languages() {
				c := messages.Builtin(lang)
				if _, err := set.render(c, name, Sample(c)); err != nil {
					errs = append(errs, fmt.Errorf("mail override for %s does not render the sample data (%s): %w", name, lang, err))
					break
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// Render builds message name for d in the language of the catalogue c
// (nil: the built-in English one).
func (t *Templates) Render(c *messages.Catalog, name string, d Data) (Message, error) {
	if t.themed != nil {
		m, err := t.themed.render(c, name, d)
		if err == nil {
			return m, nil
		}
		t.log.Error("mail override failed; using the built-in template", "message", name, "lang", c.Lang(), "err", err)
	}
	return t.builtin.render(c, name, d)
}

func (s *templateSet) render(c *messages.Catalog, name string, d Data) (m Message, err error) {
	if s.text.Lookup(name+".txt") == nil {
		return Message{}, fmt.Errorf("mail: no template %q", name)
	}
	in, err := s.get(c)
	if err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			m, err = Message{}, fmt.Errorf("mail %s: panic: %v", name, r)
			return // drop the instance
		}
		in.cat = nil
		s.pool.Put(in)
	}()
	var subject, text, html bytes.Buffer
	if err := in.text.ExecuteTemplate(&text, name+".txt", d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	if err := in.text.ExecuteTemplate(&subject, name+".subject", d); err != nil {
		return Message{}, fmt.Errorf("mail %s subject: %w", name, err)
	}
	if err := in.html.ExecuteTemplate(&html, name+".html", d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	subj := strings.Join(strings.FieldsFunc(subject.String(), asciiSpace), " ")
	if subj == "" {
		return Message{}, fmt.Errorf("mail %s: empty subject", name)
	}
	return Message{
		To:      d.To,
		Subject: subj,
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}
