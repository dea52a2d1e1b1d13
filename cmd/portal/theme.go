package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/preview"
	"github.com/accountportal/portal/theme"
)

const themeUsage = `Usage:
  portal theme init DIR         write a starter theme: layout.html, static/portal.css, README.md,
                                messages.toml and messages.<lang>.toml for every built-in language
  portal theme check DIR        run the checks the server runs at start on a theme; warn of
                                messages a language lacks or words it does not follow
  portal theme eject PAGE DIR   write DIR/pages/PAGE.html, an html/template copy of a built-in page
  portal theme preview [DIR] [--addr 127.0.0.1:8090] [--snapshot OUT] [--lang LANG]
                                every page in every sample state, and every mail, at phone and
                                desktop width, light and dark; edits under DIR show on reload
                                (no DIR: the built-in look; --snapshot writes the gallery as files;
                                --lang ar shows them in Arabic, right to left)
`

// runTheme is `portal theme`.
func runTheme(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, themeUsage)
		return errors.New("theme: give a sub-command")
	}
	switch cmd, args := args[0], args[1:]; cmd {
	case "init":
		if len(args) != 1 {
			fmt.Fprint(stderr, themeUsage)
			return errors.New("theme init: give the directory")
		}
		files, err := theme.Init(args[0])
		if err != nil {
			return fmt.Errorf("theme init: %w", err)
		}
		for _, f := range files {
			fmt.Fprintln(stdout, "wrote", f)
		}
		fmt.Fprintf(stdout, "Start with %s/static/portal.css; README.md lists every page. Serve it with: portal serve --theme %s\n", args[0], args[0])
		return nil
	case "check":
		if len(args) != 1 {
			fmt.Fprint(stderr, themeUsage)
			return errors.New("theme check: give the directory")
		}
		warnings, err := portal.CheckThemeWarnings(args[0])
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		if len(warnings) > 0 {
			fmt.Fprintf(stdout, "theme %s is fine, with %d warnings (readers of some languages see another language or lose information)\n", args[0], len(warnings))
			return nil
		}
		fmt.Fprintf(stdout, "theme %s is fine\n", args[0])
		return nil
	case "eject":
		if len(args) != 2 {
			fmt.Fprint(stderr, themeUsage)
			return errors.New("theme eject: give the page and the directory")
		}
		p, err := theme.EjectTo(args[0], args[1])
		if err != nil {
			return fmt.Errorf("theme eject: %w", err)
		}
		fmt.Fprintln(stdout, "wrote", p)
		return nil
	case "preview":
		return runPreview(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, themeUsage)
		return nil
	default:
		fmt.Fprint(stderr, themeUsage)
		return fmt.Errorf("theme: unknown sub-command %q", cmd)
	}
}

// runPreview is `portal theme preview [DIR] [--addr A] [--snapshot OUT]`.
func runPreview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal theme preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address (loopback only)")
	snapshot := fs.String("snapshot", "", "write the whole gallery as static files into this directory and exit")
	lang := fs.String("lang", "", "show every page and mail in this language (de, fr, es, ar or one the theme adds; default English)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: portal theme preview [DIR] [--addr 127.0.0.1:8090] [--snapshot OUT] [--lang LANG]")
		fs.PrintDefaults()
	}
	// The directory may come before or after the flags.
	if err := fs.Parse(args); err != nil {
		return err
	}
	var dir string
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("theme preview: unexpected arguments: %v", fs.Args())
		}
	}
	if dir != "" {
		if err := portal.CheckTheme(dir); err != nil {
			// Shown on every page too; say it here so a typo in DIR is obvious.
			fmt.Fprintln(stderr, "warning:", err)
		}
	}
	p := preview.NewIn(dir, *lang)
	if *snapshot != "" {
		n, err := p.Snapshot(ctx, *snapshot)
		if err != nil {
			return fmt.Errorf("theme preview --snapshot: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %d files to %s; open %s/index.html\n", n, *snapshot, *snapshot)
		return nil
	}
	if err := preview.CheckAddr(*addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("theme preview: %w", err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	what := "the built-in look"
	if dir != "" {
		what = dir
	}
	fmt.Fprintf(stdout, "Theme preview of %s on http://%s/ (edits show on reload; Ctrl-C stops it)\n", what, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
