package identity

import (
	"context"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // every IANA zone, whatever the machine has installed
)

// TimeZoneAttribute is the user attribute that holds the time zone a
// person chose on their profile (an IANA name such as "Europe/Berlin"); ""
// or absent means "automatic": the browser's zone where JavaScript runs,
// UTC otherwise (issue 18 item 9).
const TimeZoneAttribute = "time_zone"

// ErrUnknownTimeZone refuses a name that is not an IANA time zone.
var ErrUnknownTimeZone = fieldErr(TimeZoneAttribute, "errors.unknown_time_zone")

var zones sync.Map // name → *time.Location: LoadLocation reads and parses a file each time

// LoadTimeZone returns the IANA time zone name (as "Europe/Berlin" or
// "UTC"), or false for anything else: "", "Local" (the server's, not the
// reader's), names too long or with characters no zone has.
func LoadTimeZone(name string) (*time.Location, bool) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), true
	}
	if name == "" || name == "Local" || len(name) > 64 || strings.Contains(name, "..") {
		return nil, false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+-", r)) {
			return nil, false
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

// SetTimeZone saves name (an IANA zone, or "" for automatic) as u's time
// zone.
func (s *Service) SetTimeZone(ctx context.Context, u *User, name string) error {
	if name != "" {
		if _, ok := LoadTimeZone(name); !ok {
			return ErrUnknownTimeZone
		}
	}
	return internal(s.store.SetUserAttributes(ctx, u.ID, map[string]string{TimeZoneAttribute: name}))
}

// TimeZone returns the time zone saved on the account with this id, or ""
// (automatic).
func (s *Service) TimeZone(ctx context.Context, userID string) (string, error) {
	a, err := s.store.UserAttributes(ctx, userID)
	if err != nil {
		return "", internal(err)
	}
	return a[TimeZoneAttribute], nil
}
