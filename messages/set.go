package messages

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Set is the languages a site offers, one catalogue each, and picks the
// one for a request. The first is the default: the language of a reader
// whose browser asks for none of the others. A Set is immutable; the nil
// *Set offers the built-in English catalogue only.
type Set struct {
	cats    []*Catalog
	by      map[string]*Catalog
	matcher language.Matcher
}

// NewSet offers cats (at least one, no language twice); cats[0] is the
// default.
func NewSet(cats ...*Catalog) (*Set, error) {
	if len(cats) == 0 {
		return nil, fmt.Errorf("messages: a set needs at least one language")
	}
	s := &Set{cats: cats, by: map[string]*Catalog{}}
	tags := make([]language.Tag, len(cats))
	for i, c := range cats {
		if c == nil {
			c = Default()
			s.cats[i] = c
		}
		if _, dup := s.by[c.Lang()]; dup {
			return nil, fmt.Errorf("messages: language %s offered twice", c.Lang())
		}
		s.by[c.Lang()] = c
		tags[i] = c.loc.tag
	}
	s.matcher = language.NewMatcher(tags)
	return s, nil
}

// Default returns the default language's catalogue.
func (s *Set) Default() *Catalog {
	if s == nil {
		return Default()
	}
	return s.cats[0]
}

// Catalogs returns the offered catalogues, the default first.
func (s *Set) Catalogs() []*Catalog {
	if s == nil {
		return []*Catalog{Default()}
	}
	return slices.Clone(s.cats)
}

// Get returns the catalogue of lang when the set offers it (a tag as Lang
// returns it; the value of the language cookie, a saved preference), or
// nil.
func (s *Set) Get(lang string) *Catalog {
	if s == nil {
		if lang == "en" {
			return Default()
		}
		return nil
	}
	return s.by[lang]
}

// maxAcceptLanguage bounds the Accept-Language header read: a browser's
// is a few dozen bytes.
const maxAcceptLanguage = 512

// Match returns the catalogue that best fits an Accept-Language header
// ("de-CH, de;q=0.9, en;q=0.8" gets German when the set offers it), or
// the default when none fits.
func (s *Set) Match(acceptLanguage string) *Catalog {
	if s == nil || len(s.cats) == 1 || acceptLanguage == "" {
		return s.Default()
	}
	if len(acceptLanguage) > maxAcceptLanguage {
		acceptLanguage = acceptLanguage[:maxAcceptLanguage]
		if i := strings.LastIndexByte(acceptLanguage, ','); i > 0 {
			acceptLanguage = acceptLanguage[:i]
		}
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return s.Default()
	}
	_, i, conf := s.matcher.Match(tags...)
	if conf == language.No || i < 0 || i >= len(s.cats) {
		return s.Default()
	}
	return s.cats[i]
}

type ctxKey struct{}

// NewContext returns ctx carrying c, the language of the request it
// belongs to (handlers put it there; identity writes mail and errors in
// it).
func NewContext(ctx context.Context, c *Catalog) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the catalogue NewContext put in ctx, or nil (the
// built-in English one).
func FromContext(ctx context.Context) *Catalog {
	c, _ := ctx.Value(ctxKey{}).(*Catalog)
	return c
}
