package identity

import (
	"context"
	"encoding/json"
	"testing"
)

func TestParseExtraFields(t *testing.T) {
	fs, err := ParseExtraFields("nickname:text:required, website:url,employee_no:number")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 || fs[0] != (ExtraField{Name: "nickname", Label: "Nickname", Type: "text", Required: true}) || fs[2].Label != "Employee no" {
		t.Fatalf("parsed %+v", fs)
	}
	for _, bad := range []string{"nickname", "Nick:text", "email:text", "n:color", "n:text:optional", "n:text,n:text"} {
		if _, err := ParseExtraFields(bad); err == nil {
			t.Errorf("ParseExtraFields(%q) accepted", bad)
		}
	}
}

func TestExtraFieldsStoredAndExported(t *testing.T) {
	fields, _ := ParseExtraFields("nickname:text:required,website:url")
	f := newFixture(t, func(o *Options) { o.RegisterFields = fields; o.RequireConfirmedEmail = false })
	ctx := context.Background()
	_, err := f.svc.Register(ctx, Client{}, RegisterInput{Email: "a@example.com", Password: pw, Attributes: map[string]string{"website": "ftp://x"}})
	if e, ok := err.(*Error); !ok || e.Fields["nickname"] == "" || e.Fields["website"] == "" {
		t.Fatalf("missing required and bad url err=%v", err)
	}
	res, err := f.svc.Register(ctx, Client{}, RegisterInput{Email: "a@example.com", Password: pw,
		Attributes: map[string]string{"nickname": " Ann ", "website": "https://ann.example", "is_admin": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.UserAttributes(ctx, res.User.ID)
	if len(got) != 2 || got["nickname"] != "Ann" || got["website"] != "https://ann.example" {
		t.Fatalf("stored %v (unknown fields must be ignored)", got)
	}
	if err := f.svc.UpdateAttributes(ctx, Client{}, res.User, map[string]string{"nickname": "Annie", "website": ""}); err != nil {
		t.Fatal(err)
	}
	data, err := f.svc.ExportPersonalData(ctx, Client{}, res.User)
	if err != nil {
		t.Fatal(err)
	}
	var export struct {
		Account struct {
			Attributes map[string]string `json:"attributes"`
		} `json:"account"`
	}
	json.Unmarshal(data, &export)
	if a := export.Account.Attributes; len(a) != 1 || a["nickname"] != "Annie" {
		t.Fatalf("export attributes %v", a)
	}
}

// TestFieldsRefuseBidiAndNonNumbers (REL-11, issue 17 item 16): text fields refuse
// bidi embedding, override and isolate characters, which reorder what
// follows on screen; number fields refuse NaN and infinities, which
// strconv.ParseFloat takes.
func TestFieldsRefuseBidiAndNonNumbers(t *testing.T) {
	fields, _ := ParseExtraFields("nickname:text,website:url,employee_no:number")
	f := newFixture(t, func(o *Options) { o.RegisterFields = fields })
	for _, r := range []rune{'\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'} {
		errs := f.svc.ValidateAttributes(map[string]string{"nickname": "ann" + string(r) + "moc.exe", "website": "https://a.example/" + string(r)})
		if errs["nickname"] == "" || errs["website"] == "" {
			t.Errorf("U+%04X accepted in a text field: %v", r, errs)
		}
		if msg := ValidateEmail("ann" + string(r) + "@example.com"); msg == "" {
			t.Errorf("U+%04X accepted in an email address", r)
		}
	}
	for _, bad := range []string{"NaN", "nan", "Inf", "-Inf", "+Infinity", "1e999"} {
		if errs := f.svc.ValidateAttributes(map[string]string{"employee_no": bad}); errs["employee_no"] == "" {
			t.Errorf("number field took %q", bad)
		}
	}
	if errs := f.svc.ValidateAttributes(map[string]string{"nickname": "עמית \u200f Ann", "employee_no": "-12.5"}); len(errs) != 0 {
		t.Errorf("plain right-to-left text or a number refused: %v", errs)
	}
}
