// Package theme loads a theme directory (--theme DIR). This version layers
// DIR/static/ over the built-in static files and hands DIR/mail/ to the
// mail templates (checked at start); layout.html, page and message
// overrides arrive with the theming issue and are refused at start rather
// than silently ignored.
package theme

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Theme is a loaded theme directory.
type Theme struct {
	Dir string
	// Static is DIR/static, or nil when the theme has none.
	Static fs.FS
	// Mail is DIR/mail (mail template overrides), or nil.
	Mail fs.FS
}

// Load checks dir and returns the theme. An empty dir means no theme.
func Load(dir string) (*Theme, error) {
	if dir == "" {
		return &Theme{}, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("theme %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("theme %s: not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("theme %s: %w", dir, err)
	}
	t := &Theme{Dir: dir}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "static" && e.IsDir():
			t.Static = os.DirFS(filepath.Join(dir, "static"))
		case name == "mail" && e.IsDir():
			t.Mail = os.DirFS(filepath.Join(dir, "mail"))
		case name == "README.md" || name[0] == '.':
		case name == "layout.html" || name == "pages" || name == "messages.toml":
			return nil, fmt.Errorf("theme %s: %s: layout, page and message overrides are not supported by this version (static/ and mail/ are)", dir, name)
		default:
			return nil, fmt.Errorf("theme %s: unknown entry %q (a theme holds static/, layout.html, pages/, mail/, messages.toml)", dir, name)
		}
	}
	return t, nil
}
