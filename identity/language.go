package identity

import (
	"context"
	"time"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/store"
)

// LanguageAttribute is the user attribute that holds the language a person
// chose with the language picker (a BCP 47 tag): their pages follow it
// wherever they sign in, and their mail is written in it.
const LanguageAttribute = "language"

// SetMessages sets the languages mail is written in (the handlers' set:
// the offered languages with the theme's wording).
func (s *Service) SetMessages(set *messages.Set) { s.msgs.Store(set) }

// messageSet returns the offered languages (nil: English only).
func (s *Service) messageSet() *messages.Set { return s.msgs.Load() }

// ErrUnknownLanguage refuses a language the site does not offer.
var ErrUnknownLanguage = errKey(EINVALID, "errors.unknown_language")

// SetLanguage saves lang (a tag the site offers) as u's language.
func (s *Service) SetLanguage(ctx context.Context, u *User, lang string) error {
	if s.messageSet().Get(lang) == nil {
		return ErrUnknownLanguage
	}
	return internal(s.store.SetUserAttributes(ctx, u.ID, map[string]string{LanguageAttribute: lang}))
}

// Language returns the language saved on the account with this id, or ""
// when the person never chose one.
func (s *Service) Language(ctx context.Context, userID string) (string, error) {
	a, err := s.store.UserAttributes(ctx, userID)
	if err != nil {
		return "", internal(err)
	}
	return a[LanguageAttribute], nil
}

// Preferences are the choices a person saved on the account: the
// language picker's and the profile's time zone ("" when not made).
type Preferences struct {
	Language string
	TimeZone string
}

// Preferences returns the saved choices of the account with this id, in
// one read (sign-in restores both).
func (s *Service) Preferences(ctx context.Context, userID string) (Preferences, error) {
	a, err := s.store.UserAttributes(ctx, userID)
	if err != nil {
		return Preferences{}, internal(err)
	}
	return Preferences{Language: a[LanguageAttribute], TimeZone: a[TimeZoneAttribute]}, nil
}

// catalogFor is the language of mail to u: the language saved on the
// account when the site still offers it, else that of the request that
// causes the mail (ctx, see messages.NewContext), else the default. u may
// be nil (mail to an address without an account).
func (s *Service) catalogFor(ctx context.Context, u *User) *messages.Catalog {
	set := s.messageSet()
	if u != nil && u.ID != "" {
		if lang, err := s.Language(ctx, u.ID); err != nil {
			s.log.WarnContext(ctx, "reading the saved language", "user", u.ID, "err", err)
		} else if c := set.Get(lang); c != nil {
			return c
		}
	}
	if c := messages.FromContext(ctx); c != nil && set.Get(c.Lang()) == c {
		return c
	}
	return set.Default()
}

// requestLang is the language of the request behind ctx (its catalogue's
// tag), or "" outside a request: what an outbox job carries, so that the
// worker writes the mail as the request would have.
func requestLang(ctx context.Context) string {
	if c := messages.FromContext(ctx); c != nil {
		return c.Lang()
	}
	return ""
}

// jobContext is ctx with the language of the request that queued the job
// m (see jobPayload.Lang), for catalogFor.
func (s *Service) jobContext(ctx context.Context, m *store.OutboxMessage) context.Context {
	if c := s.messageSet().Get(parsePayload(m).Lang); c != nil {
		return messages.NewContext(ctx, c)
	}
	return ctx
}

// duration writes d in words in the language of c: "24 hours", "30
// minutes" (the mail's {expires}).
func duration(c *messages.Catalog, d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		n := int(d / time.Hour)
		return c.N("mail.hours", n, "n", n)
	case d >= time.Minute:
		n := int(d / time.Minute)
		return c.N("mail.minutes", n, "n", n)
	default:
		n := int(d / time.Second)
		return c.N("mail.seconds", n, "n", n)
	}
}

// noticeText is the sentence of a security notice in the language of c:
// the message key with args' name/value pairs, a time.Duration value in
// words (duration); a plural message (key_other exists) takes the form of
// the value named "n".
func noticeText(c *messages.Catalog, key string, args ...any) string {
	n, plural := 0, messages.Has(key+"_other")
	for i := 0; i+1 < len(args); i += 2 {
		switch v := args[i+1].(type) {
		case time.Duration:
			args[i+1] = duration(c, v)
		case int:
			if args[i] == "n" {
				n = v
			}
		}
	}
	if plural {
		return c.N(key, n, args...)
	}
	return c.T(key, args...)
}
