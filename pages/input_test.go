package pages

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Input is hand-written HTML: every value is escaped, in attributes and
// in text alike, and a password's value is never written.
func TestInputEscapes(t *testing.T) {
	evil := `x"><script>alert('1')</script>&`
	f := Field{Name: evil, Label: evil, Type: "text", Value: evil, Autocomplete: evil, InputMode: evil, Hint: evil, Error: evil}
	var b bytes.Buffer
	if err := Input(f).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, `x">`) || strings.Contains(out, "'1'") {
		t.Fatalf("unescaped value in %s", out)
	}
	if n := strings.Count(out, `x&#34;&gt;&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;`); n != 13 {
		// label for, label, id, name, value, autocomplete, inputmode,
		// aria-describedby (hint and error), hint id, hint, error id, error
		t.Errorf("%d escaped copies of the value, want 13:\n%s", n, out)
	}
	f.Type, f.Value = "password", "secret-password"
	b.Reset()
	if err := Input(f).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "secret-password") {
		t.Fatalf("a password input carries its value: %s", b.String())
	}
}

// A field with a hint and an error is described by both (issue 18 item 2):
// the error must not hide the rule it is about.
func TestInputDescribedByHintAndError(t *testing.T) {
	for _, tc := range []struct {
		hint, err, want string
	}{
		{"h", "e", `aria-describedby="f-pw-hint f-pw-error"`},
		{"h", "", `aria-describedby="f-pw-hint"`},
		{"", "e", `aria-describedby="f-pw-error"`},
	} {
		var b bytes.Buffer
		if err := Input(Field{Name: "pw", Type: "password", Hint: tc.hint, Error: tc.err}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("hint %q error %q: want %s in %s", tc.hint, tc.err, tc.want, b.String())
		}
	}
}
