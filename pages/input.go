package pages

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// Input renders f: a labelled input with its hint and its validation
// message, in a div.field (div.field.field-invalid with an error):
//
//	<div class="field"><label for="f-NAME">LABEL</label> <input id="f-NAME" name="NAME" type="TYPE" value="…"
//	 autocomplete="…" inputmode="…" required autofocus aria-invalid="true" aria-describedby="…"> <p class="field-hint"
//	 id="f-NAME-hint">HINT</p><p class="field-error" id="f-NAME-error">ERROR</p></div>
//
// (a password input never carries its value). It is written in Go rather
// than templ because every form page renders several, and templ's
// generated code formats each of the dozen attribute expressions with
// fmt.Sprint: this is one write per piece, escaped as templ escapes
// (docs/performance.md; theme/builtin_test.go checks the html/template versions
// render the same).
func Input(f Field) InputComponent { return InputComponent(f) }

// InputComponent is the component of Input.
type InputComponent Field

// describedBy is the ids of the elements that explain the field: its hint
// and its error, both when both show (issue 18 item 2), or "".
func (f InputComponent) describedBy() string {
	switch {
	case f.Error != "" && f.Hint != "":
		return "f-" + f.Name + "-hint f-" + f.Name + "-error"
	case f.Error != "":
		return "f-" + f.Name + "-error"
	case f.Hint != "":
		return "f-" + f.Name + "-hint"
	}
	return ""
}

// Render writes the field.
func (f InputComponent) Render(_ context.Context, w io.Writer) error {
	hw := newHTMLWriter(w)
	esc := templ.EscapeString[string]
	if f.Error != "" {
		hw.put(`<div class="field field-invalid">`)
	} else {
		hw.put(`<div class="field">`)
	}
	hw.put(`<label for="f-`, esc(f.Name), `">`, esc(f.Label), `</label> <input id="f-`, esc(f.Name),
		`" name="`, esc(f.Name), `" type="`, esc(f.Type), `"`)
	if f.Type != "password" {
		hw.put(` value="`, esc(f.Value), `"`)
	}
	if f.Autocomplete != "" {
		hw.put(` autocomplete="`, esc(f.Autocomplete), `"`)
	}
	if f.InputMode != "" {
		hw.put(` inputmode="`, esc(f.InputMode), `"`)
	}
	if f.Required {
		hw.put(` required`)
	}
	if f.Autofocus {
		hw.put(` autofocus`)
	}
	if f.Error != "" {
		hw.put(` aria-invalid="true"`)
	}
	if d := f.describedBy(); d != "" {
		hw.put(` aria-describedby="`, esc(d), `"`)
	}
	hw.put(`> `)
	if f.Hint != "" {
		hw.put(`<p class="field-hint" id="f-`, esc(f.Name), `-hint">`, esc(f.Hint), `</p>`)
	}
	if f.Error != "" {
		hw.put(`<p class="field-error" id="f-`, esc(f.Name), `-error">`, esc(f.Error), `</p>`)
	}
	hw.put(`</div>`)
	return hw.err
}

// htmlWriter writes the pieces of the Go components' HTML and keeps the
// first error.
type htmlWriter struct {
	w   io.StringWriter
	err error
}

func newHTMLWriter(w io.Writer) htmlWriter {
	sw, ok := w.(io.StringWriter)
	if !ok {
		sw = stringWriter{w}
	}
	return htmlWriter{w: sw}
}

// put writes parts, in order, until one fails.
func (h *htmlWriter) put(parts ...string) {
	for _, p := range parts {
		if h.err == nil {
			_, h.err = h.w.WriteString(p)
		}
	}
}

type stringWriter struct{ io.Writer }

func (s stringWriter) WriteString(str string) (int, error) { return io.WriteString(s.Writer, str) }

// CSRF is the hidden _csrf field every form carries:
// <input type="hidden" name="_csrf" value="TOKEN">. (In Go for the reason
// Input is.)
func CSRF(c Common) CSRFInput { return CSRFInput(c.CSRFToken) }

// CSRFInput is the component of CSRF.
type CSRFInput string

// Render writes the field.
func (t CSRFInput) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, `<input type="hidden" name="_csrf" value="`+templ.EscapeString(string(t))+`">`)
	return err
}
