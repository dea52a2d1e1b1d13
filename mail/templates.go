package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// Data is what every message template gets.
type Data struct {
	SiteName string // the configured site name
	BaseURL  string // absolute base of every link
	To       string // the recipient's address
	Link     string // the action link of the message, absolute
	Expires  string // how long the link stays valid, in words ("24 hours")
}

// Templates renders the built-in messages. Each message NAME has
// templates/NAME.txt, whose "subject" block is the subject line, and
// templates/NAME.html.
type Templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Names of the built-in messages.
const (
	ConfirmEmail     = "confirm-email"     // confirm the address of a new account
	RegisterExisting = "register-existing" // someone tried to register with an address that has an account
)

// LoadTemplates parses the embedded templates.
func LoadTemplates() (*Templates, error) {
	t, err := texttemplate.ParseFS(templateFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	h, err := htmltemplate.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	return &Templates{text: t, html: h}, nil
}

// Render builds message name for d.
func (t *Templates) Render(name string, d Data) (Message, error) {
	var subject, text, html bytes.Buffer
	txt := t.text.Lookup(name + ".txt")
	if txt == nil {
		return Message{}, fmt.Errorf("mail: no template %q", name)
	}
	if err := txt.ExecuteTemplate(&text, name+".txt", d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	if err := t.text.ExecuteTemplate(&subject, name+".subject", d); err != nil {
		return Message{}, fmt.Errorf("mail %s subject: %w", name, err)
	}
	if err := t.html.ExecuteTemplate(&html, name+".html", d); err != nil {
		return Message{}, fmt.Errorf("mail %s: %w", name, err)
	}
	return Message{
		To:      d.To,
		Subject: strings.TrimSpace(subject.String()),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}
