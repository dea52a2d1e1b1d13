package theme

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/accountportal/portal/messages"
	"github.com/accountportal/portal/pages"
	"github.com/accountportal/portal/static"
)

// builtin holds html/template versions of the built-in layout and pages:
// what `portal theme init` and `portal theme eject` write. A test keeps
// them rendering the same HTML as the templ pages.
//
//go:embed builtin
var builtin embed.FS

// manageMarker is the first line of a manage page's source: the page goes
// inside builtin/manage-frame.html with that navigation entry marked.
var manageMarker = regexp.MustCompile(`^\{\{/\* manage: ([a-z0-9-]+) \*/\}\}\n`)

// Layout returns the html/template version of the built-in layout.
func Layout() string {
	b, err := fs.ReadFile(builtin, "builtin/layout.html")
	if err != nil {
		panic(err) // embedded
	}
	return string(b)
}

// Eject returns an html/template version of the named built-in page: a
// starting point for the theme's pages/<name>.html.
func Eject(name string) (string, error) {
	page, ok := pages.Lookup(name)
	if !ok {
		return "", fmt.Errorf("unknown page %q; the pages are %s", name, strings.Join(pages.Names(), ", "))
	}
	b, err := fs.ReadFile(builtin, "builtin/pages/"+name+".html")
	if err != nil {
		return "", fmt.Errorf("page %s has no html/template version: %w", name, err)
	}
	src := string(b)
	if m := manageMarker.FindStringSubmatch(src); m != nil {
		src = inManageFrame(src[len(m[0]):], m[1])
	}
	head := fmt.Sprintf("{{/* pages/%s.html replaces the content of the %q page (%s); layout.html wraps it.\n"+
		"   It gets the view model pages.%s: README.md lists its fields. Keep {{csrfField}} in every POST form. */}}\n",
		name, name, page.Route, page.View.Name())
	return head + src, nil
}

// inManageFrame puts a manage page's content into the manage frame, with
// the navigation entry active marked as the current page.
func inManageFrame(content, active string) string {
	b, err := fs.ReadFile(builtin, "builtin/manage-frame.html")
	if err != nil {
		panic(err) // embedded
	}
	frame := strings.Replace(string(b), ` id="nav-`+active+`"`, ` aria-current="page" class="active" id="nav-`+active+`"`, 1)
	var out strings.Builder
	for line := range strings.Lines(frame) {
		indent, _, found := strings.Cut(line, "{{/* content */}}")
		if !found || strings.TrimSpace(indent) != "" {
			out.WriteString(line)
			continue
		}
		for cl := range strings.Lines(content) {
			if strings.TrimSpace(cl) == "" {
				out.WriteString("\n")
				continue
			}
			out.WriteString(indent + cl)
		}
	}
	return out.String()
}

// writeNew writes a file that must not exist yet, creating its directory.
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; move it away first", path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Init writes a starter theme into dir: layout.html (the built-in layout),
// static/portal.css (the default stylesheet, every custom property at the
// top), messages.toml (every message key with its text, commented out),
// messages.<lang>.toml for every other built-in language (the same, in
// that language) and README.md (every page and its view model). It refuses to
// overwrite a file. It returns the files written.
func Init(dir string) ([]string, error) {
	css, err := fs.ReadFile(static.Embedded(), "portal.css")
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{"layout.html", []byte(Layout())},
		{filepath.Join("static", "portal.css"), css},
		{"messages.toml", messages.Template()},
		{"README.md", []byte(Readme())},
	}
	for _, lang := range messages.Languages()[1:] {
		src, err := messages.Translation(lang)
		if err != nil {
			return nil, err
		}
		files = append(files, struct {
			name string
			data []byte
		}{"messages." + lang + ".toml", src})
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.name)); err == nil {
			return nil, fmt.Errorf("%s already exists; theme init only starts a new theme", filepath.Join(dir, f.name))
		}
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := writeNew(p, f.data); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// EjectTo writes the html/template version of the named page to
// dir/pages/<name>.html and returns its path. It refuses to overwrite it.
func EjectTo(name, dir string) (string, error) {
	src, err := Eject(name)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "pages", name+".html")
	return p, writeNew(p, []byte(src))
}
