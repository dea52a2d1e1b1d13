package identity

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/accountportal/portal/store"
)

// OIDCAuthorization is a pending authorization request with its client:
// what the continue and consent pages decide on.
type OIDCAuthorization struct {
	Request *store.OIDCAuthRequest
	Client  *OIDCClient
}

// ErrAuthorizationGone: the authorization request is unknown or expired.
var ErrAuthorizationGone = errKey(ENOTFOUND, "errors.authorization_gone")

// OIDCAuthorization returns the pending request id.
func (s *Service) OIDCAuthorization(ctx context.Context, id string) (*OIDCAuthorization, error) {
	r, err := s.store.FindOIDCAuthRequest(ctx, id, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrAuthorizationGone
	} else if err != nil {
		return nil, internal(err)
	}
	c, err := s.store.FindOIDCClient(ctx, r.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrAuthorizationGone
	} else if err != nil {
		return nil, internal(err)
	}
	return &OIDCAuthorization{Request: r, Client: c}, nil
}

// PromptNone: the client asked that nothing be shown (prompt=none).
func (a *OIDCAuthorization) PromptNone() bool { return slices.Contains(a.Request.Prompt, "none") }

// NeedsLogin reports whether a session last authenticated at authAt must
// authenticate again for this request: prompt=login (the op package turns
// it into max_age=0) or max_age, counted from authAt; an authentication
// after the request was made always counts.
func (a *OIDCAuthorization) NeedsLogin(authAt, now time.Time) bool {
	r := a.Request
	if r.MaxAge < 0 || !authAt.Before(r.CreatedAt) {
		return false
	}
	return now.Sub(authAt) > time.Duration(r.MaxAge)*time.Second || slices.Contains(r.Prompt, "login")
}

// NeedsConsent reports whether userID must be asked: the client is not
// first-party (--skip-consent) and the person has not allowed every scope
// asked for — or the client asked again with prompt=consent.
func (s *Service) NeedsConsent(ctx context.Context, userID string, a *OIDCAuthorization) (bool, error) {
	if slices.Contains(a.Request.Prompt, "consent") {
		return true, nil
	}
	if a.Client.SkipConsent {
		return false, nil
	}
	g, err := s.store.FindOIDCGrant(ctx, userID, a.Client.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	} else if err != nil {
		return false, internal(err)
	}
	for _, sc := range a.Request.Scopes {
		if !slices.Contains(g.Scopes, sc) {
			return true, nil
		}
	}
	return false, nil
}

// AllowOIDC records that u allowed the client the request's scopes (added
// to any allowed before), with an event and a mail when something new was
// allowed.
func (s *Service) AllowOIDC(ctx context.Context, c Client, u *User, a *OIDCAuthorization) error {
	now := s.now()
	g, err := s.store.FindOIDCGrant(ctx, u.ID, a.Client.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		g = &store.OIDCGrant{UserID: u.ID, ClientID: a.Client.ID, CreatedAt: now}
	case err != nil:
		return internal(err)
	}
	before := len(g.Scopes)
	for _, sc := range a.Request.Scopes {
		if !slices.Contains(g.Scopes, sc) {
			g.Scopes = append(g.Scopes, sc)
		}
	}
	if len(g.Scopes) == before && before > 0 {
		return nil
	}
	slices.Sort(g.Scopes)
	g.UpdatedAt = now
	if err := s.store.SetOIDCGrant(ctx, g); err != nil {
		return internal(err)
	}
	if a.Client.SkipConsent {
		return nil // first-party: part of Portal, no news
	}
	s.RecordEvent(ctx, u.ID, EventAppAllowed, c, a.Client.Name)
	s.notify(ctx, u, c, "mail-notice.app_allowed", "app", a.Client.Name)
	return nil
}

// CompleteOIDC marks the request signed in by u, at authAt with the
// methods amr (RFC 8176): the op package then issues the code.
func (s *Service) CompleteOIDC(ctx context.Context, a *OIDCAuthorization, u *User, authAt time.Time, amr []string) error {
	if len(amr) == 0 {
		amr = []string{AMRPassword}
	}
	err := s.store.CompleteOIDCAuthRequest(ctx, a.Request.ID, u.ID, authAt.UTC(), amr, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return ErrAuthorizationGone
	}
	return err
}

// ConnectedApp is one application a person allowed.
type ConnectedApp struct {
	ClientID  string
	Name      string
	Scopes    []string
	AllowedAt time.Time
	UpdatedAt time.Time
}

// ConnectedApps lists the applications u allowed, oldest first.
func (s *Service) ConnectedApps(ctx context.Context, userID string) ([]ConnectedApp, error) {
	gs, err := s.store.ListOIDCGrants(ctx, userID)
	if err != nil {
		return nil, internal(err)
	}
	out := make([]ConnectedApp, 0, len(gs))
	for _, g := range gs {
		c, err := s.store.FindOIDCClient(ctx, g.ClientID)
		if err != nil {
			continue
		}
		out = append(out, ConnectedApp{ClientID: c.ID, Name: c.Name, Scopes: g.Scopes, AllowedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt})
	}
	return out, nil
}

// RemoveConnectedApp revokes u's grant to the client and every token it
// holds for u; the owner is told.
func (s *Service) RemoveConnectedApp(ctx context.Context, c Client, u *User, clientID string) error {
	cl, err := s.store.FindOIDCClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return errKey(ENOTFOUND, "errors.app_not_found")
	} else if err != nil {
		return internal(err)
	}
	if err := s.store.DeleteOIDCGrant(ctx, u.ID, clientID); errors.Is(err, store.ErrNotFound) {
		return errKey(ENOTFOUND, "errors.app_not_found")
	} else if err != nil {
		return internal(err)
	}
	s.RecordEvent(ctx, u.ID, EventAppAccessRemoved, c, cl.Name)
	s.notify(ctx, u, c, "mail-notice.app_access_removed", "app", cl.Name)
	return nil
}
