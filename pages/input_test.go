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
	if n := strings.Count(out, `x&#34;&gt;&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;`); n != 12 {
		// label for, label, id, name, value, autocomplete, inputmode,
		// aria-describedby, hint id, hint, error id, error
		t.Errorf("%d escaped copies of the value, want 12:\n%s", n, out)
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
