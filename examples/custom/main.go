// Command custom embeds Portal in a program of its own and changes two
// things, the way an application would:
//
//   - registration asks for a nickname: the register page is replaced from
//     Go (OverridePage) and so is its POST handler (OverrideHandler), which
//     validates the nickname and then reuses Portal's own registration
//     (identity) — the nickname is stored as a profile attribute declared
//     with Config.RegisterFields;
//   - the login page is restyled (OverridePage) around Portal's own form.
//
// Run it with:
//
//	go run ./examples/custom -addr localhost:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
	"github.com/accountportal/portal/pages"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	db := flag.String("db", "custom.db", "SQLite file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *db, "log", nil); err != nil {
		log.Fatal(err)
	}
}

// run starts the customised portal and serves until ctx ends; ready gets
// the listening address.
func run(ctx context.Context, addr, db, mailSpec string, ready func(net.Addr), tweak ...func(*portal.Config)) error {
	cfg := portal.DefaultConfig()
	cfg.Addr, cfg.DB, cfg.Mail = addr, db, mailSpec
	cfg.RegisterFields = identity.ExtraFields{{Name: "nickname", Type: "text", Required: true}} // stored, editable, exported
	cfg.RequireConfirmedEmail = false
	for _, t := range tweak {
		t(&cfg)
	}
	p, err := portal.New(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := customize(p); err != nil {
		return err
	}
	return p.Serve(ctx, ready)
}

var nicknameRE = regexp.MustCompile(`^[\p{L}\p{N}_.-]{3,20}$`)

// customize installs the overrides.
func customize(p *portal.Portal) error {
	h := p.Helpers()
	// The register page: Portal's own page, with a note on nicknames above
	// it (the form already carries the nickname field declared in
	// RegisterFields).
	if err := p.OverridePage("register", func(view any) templ.Component {
		v := view.(pages.RegisterView)
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			if _, err := io.WriteString(w, `<p class="lead" data-testid="custom-register">Pick a nickname: 3 to 20 letters, digits, _ . or -.</p>`); err != nil {
				return err
			}
			return pages.RegisterBody(v).Render(ctx, w)
		})
	}); err != nil {
		return err
	}
	// The register POST: the application's rule for nicknames first, then
	// Portal's registration (validation, policy, mail) as usual. Portal's
	// own wording comes from its message catalogue (h.T, so a theme's
	// messages.toml changes it here too); the nickname texts are this
	// application's own.
	if err := p.OverrideHandler("POST /account/register", func(c echo.Context) error {
		nick := strings.TrimSpace(c.FormValue("nickname"))
		// The page again, as Portal builds it: what was typed, the
		// configured password length and extra fields, and the errors.
		again := func(errs pages.FieldErrors, msg string) error {
			return h.Render(c, http.StatusUnprocessableEntity, "register", h.RegisterView(c, errs, msg))
		}
		if !nicknameRE.MatchString(nick) {
			return again(pages.FieldErrors{"nickname": "Use 3 to 20 letters, digits, _ . or -."}, "")
		}
		if c.FormValue("password") != c.FormValue("confirm_password") {
			return again(pages.FieldErrors{"confirm_password": h.T(c, "validation.passwords_differ")}, "")
		}
		res, err := h.Identity().Register(c.Request().Context(), h.Client(c), identity.RegisterInput{
			Email: strings.TrimSpace(c.FormValue("email")), Password: c.FormValue("password"), Attributes: map[string]string{"nickname": nick},
		})
		if errs, msg, ok := h.FieldErrors(c, err); ok {
			return again(errs, msg)
		}
		if err != nil {
			return err
		}
		if res.User == nil {
			return h.Redirect(c, "/account/register-confirmation")
		}
		if err := h.SignIn(c, res.User, false); err != nil {
			return err
		}
		h.SetFlash(c, fmt.Sprintf("Welcome, %s!", nick), false)
		return h.Redirect(c, "/")
	}); err != nil {
		return err
	}
	// The login page, restyled: a banner around Portal's own form.
	return p.OverridePage("login", func(view any) templ.Component {
		v := view.(pages.LoginView)
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			banner := `<div class="hero" data-testid="custom-login"><h1>` + html.EscapeString(v.SiteName) + ` members</h1><p class="lead">Sign in to your members' area.</p></div>`
			if _, err := io.WriteString(w, banner); err != nil {
				return err
			}
			return pages.LoginBody(v).Render(ctx, w)
		})
	})
}
