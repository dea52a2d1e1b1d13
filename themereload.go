package portal

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/accountportal/portal/handlers"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/mail"
	"github.com/accountportal/portal/static"
	"github.com/accountportal/portal/theme"
)

// loadTheme reads and checks a theme directory the way the server uses
// it: the theme, the static files layered over the built-in ones (the
// theme's {{asset}} pointing at them) and the mail templates. The error
// is what `portal theme check` prints.
func loadTheme(dir string, log *slog.Logger) (*theme.Theme, *static.Assets, *mail.Templates, error) {
	th, err := theme.Load(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	mails, err := mail.LoadTemplates(th.Mail, log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("theme %s: %w", dir, err)
	}
	assets, err := static.Load(th.Static, static.Embedded())
	if err != nil {
		return nil, nil, nil, err
	}
	th.SetAssetURL(assets.URL)
	return th, assets, mails, nil
}

// themeReloader serves the portal, first reading the theme directory again
// when a file in it changed (--theme-reload, development only): an edit
// shows on the next request. A theme that no longer loads is logged, once
// per broken state, and the last good one stays.
type themeReloader struct {
	dir  string
	log  *slog.Logger
	h    *handlers.Handler
	id   *identity.Service
	next http.Handler

	mu  sync.Mutex
	sum [32]byte // of the files last read, good or not
}

func newThemeReloader(dir string, log *slog.Logger, h *handlers.Handler, id *identity.Service) *themeReloader {
	r := &themeReloader{dir: dir, log: log, h: h, id: id, next: h}
	r.sum, _ = theme.Fingerprint(dir) // New has just loaded this state
	return r
}

func (r *themeReloader) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.reload()
	r.next.ServeHTTP(w, req)
}

func (r *themeReloader) reload() {
	sum, err := theme.Fingerprint(r.dir)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && sum == r.sum {
		return
	}
	r.sum = sum
	if err != nil {
		r.log.Error("theme reload: cannot read the theme directory; keeping the last good theme", "dir", r.dir, "err", err)
		return
	}
	th, assets, mails, err := loadTheme(r.dir, r.log)
	if err != nil {
		r.log.Error("theme reload: the theme does not load; keeping the last good theme", "err", err)
		return
	}
	r.h.SetTheme(th, assets)
	r.id.SetMailTemplates(mails)
	r.log.Info("theme reloaded", "dir", r.dir)
}
