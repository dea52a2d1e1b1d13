package identity

import (
	"testing"

	"github.com/accountportal/portal/messages"
)

// An error of several fields keeps a key per field: FieldTexts gives each
// in the catalogue's wording, Fields and Message stay the built-in wording.
func TestFieldTextsSeveralFields(t *testing.T) {
	e := fieldsErr(map[string]message{
		"email":    validateEmail("nope"),
		"password": DefaultPasswordPolicy.check("short", ""),
	})
	if e.Fields["email"] != "Enter a valid email address, like name@example.com." || e.Fields["password"] != "Use at least 8 characters." {
		t.Fatalf("Fields=%q", e.Fields)
	}
	if e.Message != "Please correct the marked fields." {
		t.Fatalf("Message=%q", e.Message)
	}
	c, err := messages.Parse([]byte("[errors]\nemail_invalid = \"Bad address.\"\nmin_length_other = \"At least {min}!\"\ncorrect_fields = \"Fix these.\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := e.FieldTexts(c)
	if got["email"] != "Bad address." || got["password"] != "At least 8!" {
		t.Errorf("FieldTexts=%q", got)
	}
	if s := e.Text(c); s != "Fix these." {
		t.Errorf("Text=%q", s)
	}
	// One field: the field's message is the error's own.
	one := fieldErr("email", "errors.email_invalid")
	if got := one.FieldTexts(c); got["email"] != "Bad address." {
		t.Errorf("FieldTexts=%q", got)
	}
	// Plain text (FieldError, for code outside Portal) stays as it is.
	if got := FieldError("nick", "Too short.").FieldTexts(c); got["nick"] != "Too short." {
		t.Errorf("FieldTexts=%q", got)
	}
}
