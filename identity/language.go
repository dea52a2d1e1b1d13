package identity

import (
	"context"

	"github.com/accountportal/portal/messages"
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
