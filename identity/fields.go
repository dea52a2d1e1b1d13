package identity

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/accountportal/portal/messages"
)

// ExtraField is a registration field declared by the operator
// (--register-field name:type[:required]): validated, stored as a profile
// attribute, editable on the profile page, part of the personal-data
// export.
type ExtraField struct {
	Name     string // form field name and attribute key: [a-z][a-z0-9_]*
	Label    string // shown on the forms
	Type     string // text, number, tel or url
	Required bool
}

// maxAttributeLength is the longest value of an extra field.
const maxAttributeLength = 256

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// reservedFields are the forms' own field names.
var reservedFields = map[string]bool{
	"email": true, "password": true, "confirm_password": true, "username": true, "phone_number": true,
	"code": true, "invite": true, LanguageAttribute: true, ImportedIDAttribute: true, "_csrf": true, "returnurl": true, "remember_me": true,
}

// ParseExtraFields reads "nickname:text:required,company:text" (each
// name:type with an optional :required; the label is the name in words).
func ParseExtraFields(spec string) ([]ExtraField, error) {
	var out []ExtraField
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) < 2 || len(parts) > 3 || (len(parts) == 3 && parts[2] != "required") {
			return nil, fmt.Errorf("register field %q: want name:type or name:type:required", item)
		}
		out = append(out, ExtraField{Name: parts[0], Type: parts[1], Required: len(parts) == 3})
	}
	return CheckExtraFields(out)
}

// CheckExtraFields validates declared fields (however they were read: the
// flag, a TOML file) and fills in missing labels with the name in words.
func CheckExtraFields(fields []ExtraField) ([]ExtraField, error) {
	out := make([]ExtraField, 0, len(fields))
	seen := map[string]bool{}
	for _, f := range fields {
		if !fieldName.MatchString(f.Name) || reservedFields[f.Name] {
			return nil, fmt.Errorf("register field %q: the name must be lower-case letters, digits and _ (at most 32), and not a built-in field", f.Name)
		}
		switch f.Type {
		case "text", "number", "tel", "url":
		default:
			return nil, fmt.Errorf("register field %q: type %q: want text, number, tel or url", f.Name, f.Type)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("register field %q declared twice", f.Name)
		}
		seen[f.Name] = true
		f.Label = strings.TrimSpace(f.Label)
		if utf8.RuneCountInString(f.Label) > 64 || !utf8.ValidString(f.Label) {
			return nil, fmt.Errorf("register field %q: the label is longer than 64 characters", f.Name)
		}
		if f.Label == "" {
			label := strings.ReplaceAll(f.Name, "_", " ")
			r, size := utf8.DecodeRuneInString(label)
			f.Label = string(unicode.ToUpper(r)) + label[size:]
		}
		out = append(out, f)
	}
	return out, nil
}

// hasBidiControl reports whether s holds a bidirectional formatting
// character (U+202A–U+202E embeddings and overrides, U+2066–U+2069
// isolates): they reorder what follows them on screen, so a value shown to
// the owner, the operator or in the log could read differently from what
// it is ("Trojan Source"). U+200E/U+200F marks are not refused: they
// change no order of other text.
func hasBidiControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
	}) >= 0
}

// ExtraFields are the configured extra registration fields.
func (s *Service) ExtraFields() []ExtraField { return s.opts.RegisterFields }

// checkAttributes validates values for the configured fields and returns
// the cleaned values (only configured fields; unknown ones are ignored,
// ACC-02) or field errors.
func (s *Service) checkAttributes(values map[string]string) (map[string]string, map[string]message) {
	clean := map[string]string{}
	errs := map[string]message{}
	for _, f := range s.opts.RegisterFields {
		v := strings.TrimSpace(values[f.Name])
		switch {
		case v == "" && f.Required:
			errs[f.Name] = message{Key: "errors.field_required", Args: []any{"label", strings.ToLower(f.Label)}}
			continue
		case v == "":
			clean[f.Name] = ""
			continue
		case utf8.RuneCountInString(v) > maxAttributeLength || !utf8.ValidString(v):
			errs[f.Name] = maxLength(maxAttributeLength)
			continue
		case hasBidiControl(v):
			errs[f.Name] = message{Key: "errors.field_bidi"}
			continue
		}
		switch f.Type {
		case "number":
			// ParseFloat takes "NaN", "Inf" and "-Infinity": not numbers
			// a person has (issue 17 item 16).
			if n, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				errs[f.Name] = message{Key: "errors.field_number"}
				continue
			}
		case "tel":
			n, m := normalizePhone(v)
			if !m.ok() {
				errs[f.Name] = m
				continue
			}
			v = n
		case "url":
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs[f.Name] = message{Key: "errors.field_url"}
				continue
			}
		}
		clean[f.Name] = v
	}
	return clean, errs
}

// ValidateAttributes returns the field errors of values for the configured
// extra fields (none when they are fine), in the built-in wording.
func (s *Service) ValidateAttributes(values map[string]string) map[string]string {
	return s.ValidateAttributesText(values, nil)
}

// ValidateAttributesText is ValidateAttributes with the messages in the
// catalogue c (nil: the built-in wording).
func (s *Service) ValidateAttributesText(values map[string]string, c *messages.Catalog) map[string]string {
	_, errs := s.checkAttributes(values)
	out := make(map[string]string, len(errs))
	for k, m := range errs {
		out[k] = m.text(c)
	}
	return out
}

// UserAttributes returns the user's extra-field values.
func (s *Service) UserAttributes(ctx context.Context, userID string) (map[string]string, error) {
	if len(s.opts.RegisterFields) == 0 {
		return map[string]string{}, nil
	}
	a, err := s.store.UserAttributes(ctx, userID)
	return a, internal(err)
}

// UpdateAttributes validates and stores the user's extra-field values.
func (s *Service) UpdateAttributes(ctx context.Context, c Client, u *User, values map[string]string) error {
	if len(s.opts.RegisterFields) == 0 {
		return nil
	}
	clean, errs := s.checkAttributes(values)
	if len(errs) > 0 {
		return fieldsErr(errs)
	}
	if err := s.store.SetUserAttributes(ctx, u.ID, clean); err != nil {
		return internal(err)
	}
	return nil
}

// isExtraField reports whether name is one of the operator's extra fields.
func (s *Service) isExtraField(name string) bool {
	for _, f := range s.opts.RegisterFields {
		if f.Name == name {
			return true
		}
	}
	return false
}
