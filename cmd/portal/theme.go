package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/theme"
)

const themeUsage = `Usage:
  portal theme init DIR         write a starter theme: layout.html, static/portal.css, README.md
  portal theme check DIR        run the checks the server runs at start on a theme
  portal theme eject PAGE DIR   write DIR/pages/PAGE.html, an html/template copy of a built-in page
`

// runTheme is `portal theme`.
func runTheme(args []string, stdout, stderr io.Writer) error {
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
		if err := portal.CheckTheme(args[0]); err != nil {
			return err
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, themeUsage)
		return nil
	default:
		fmt.Fprint(stderr, themeUsage)
		return fmt.Errorf("theme: unknown sub-command %q", cmd)
	}
}
