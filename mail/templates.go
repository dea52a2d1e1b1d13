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
	texttemplate "text/template"
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

// SampleData is what theme overrides are checked against at start.
var SampleData = Data{
	SiteName: "Example", BaseURL: "https://portal.example/", To: "someone@example.com",
	Link: "https://portal.example/account/confirm-email?userId=1&code=abc", Expires: "24 hours",
	NewEmail: "new@example.com", OldEmail: "old@example.com", Time: "22 Nov 2026 08:00 UTC",
	IP: "203.0.113.7", Browser: "Firefox on Linux", SignedOut: true,
	Notice: "Two-factor authentication was turned on", Code: "K7QM-3XPD", Provider: "Google",
}

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Templates renders messages: a theme's overrides first, the built-in
// templates when there is no override or it fails.
type Templates struct {
	builtin templateSet
	themed  *templateSet // nil without overrides
	log     *slog.Logger
}

// LoadTemplates parses the built-in templates and, if override is not nil,
// a theme's mail directory. Every override must be named after a message
// (NAME.txt or NAME.html), parse, and render the sample data: otherwise
// LoadTemplates fails naming the file (fail fast at start).
func LoadTemplates(override fs.FS, log *slog.Logger) (*Templates, error) {
	if log == nil {
		log = slog.Default()
	}
	t, err := texttemplate.ParseFS(templateFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	h, err := htmltemplate.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	ts := &Templates{builtin: templateSet{text: t, html: h}, log: log}
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

func loadOverrides(builtin templateSet, override fs.FS) (*templateSet, error) {
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
	set := &templateSet{text: text, html: html}
	if len(errs) == 0 {
		for _, name := range Names {
			if _, err := set.render(name, SampleData); err != nil {
				errs = append(errs, fmt.Errorf("mail override for %s does not render the sample data: %w", name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// Render builds message name for d.
func (t *Templates) Render(name string, d Data) (Message, error) {
	if t.themed != nil {
		m, err := t.themed.render(name, d)
		if err == nil {
			return m, nil
		}
		t.log.Error("mail override failed; using the built-in template", "message", name, "err", err)
	}
	return t.builtin.render(name, d)
}

func (s *templateSet) render(name string, d Data) (Message, error) {
	var subject, text, html bytes.Buffer
	if s.text.Lookup(name+".txt") == nil {
		return Message{}, fmt.Errorf("mail: no template %q", name)
	}
	if err := s.text.ExecuteTemplate(&text, name+".txt", d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	if err := s.text.ExecuteTemplate(&subject, name+".subject", d); err != nil {
		return Message{}, fmt.Errorf("mail %s subject: %w", name, err)
	}
	if err := s.html.ExecuteTemplate(&html, name+".html", d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	subj := strings.Join(strings.Fields(subject.String()), " ")
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
