// Package static holds Portal's embedded static files (the stylesheet and
// the little else there is) and serves them, layered under a theme's
// static/ directory, at content-hashed URLs with long cache lifetimes.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

//go:embed *.css *.svg *.js
var embedded embed.FS

// Embedded is the built-in file set.
func Embedded() fs.FS { return embedded }

type asset struct {
	name   string // logical name, e.g. "portal.css"
	hashed string // e.g. "portal.3f2a9c1d7e.css"
	data   []byte
	ctype  string
	etag   string
}

// Assets is an immutable, in-memory set of static files.
type Assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
	modTime  time.Time
}

// Load reads every file of the layers into memory; a file in an earlier
// layer hides the same name in later ones (gitea's layered FS). Nil layers
// are skipped.
func Load(layers ...fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}, modTime: time.Now()}
	for _, layer := range layers {
		if layer == nil {
			continue
		}
		err := fs.WalkDir(layer, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.HasPrefix(path.Base(p), ".") {
				return nil
			}
			if _, seen := a.byName[p]; seen {
				return nil
			}
			data, err := fs.ReadFile(layer, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			h := hex.EncodeToString(sum[:])[:12]
			ext := path.Ext(p)
			ct := mime.TypeByExtension(ext)
			if ct == "" {
				ct = http.DetectContentType(data)
			}
			as := &asset{name: p, hashed: strings.TrimSuffix(p, ext) + "." + h + ext, data: data, ctype: ct, etag: `"` + h + `"`}
			a.byName[p] = as
			a.byHashed[as.hashed] = as
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("static files: %w", err)
		}
	}
	if _, ok := a.byName["portal.css"]; !ok {
		return nil, errors.New("static files: portal.css is missing")
	}
	return a, nil
}

// Has reports whether the set has the named file.
func (a *Assets) Has(name string) bool {
	_, ok := a.byName[name]
	return ok
}

// URL returns the content-hashed URL of the named file ("/static/portal.<hash>.css").
// An unknown name gives its plain URL.
func (a *Assets) URL(name string) string {
	if as, ok := a.byName[name]; ok {
		return "/static/" + as.hashed
	}
	return "/static/" + name
}

// ServeFile answers a GET or HEAD for /static/<p> and reports true, or
// reports false (and writes nothing) when there is no such file. A hashed
// name is cached for a year as immutable; a plain name must be revalidated
// (ETag).
func (a *Assets) ServeFile(w http.ResponseWriter, r *http.Request, p string) bool {
	as, hashed := a.byHashed[p]
	if !hashed {
		as = a.byName[p]
	}
	if as == nil {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("ETag", as.etag)
	if hashed {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", a.modTime, bytes.NewReader(as.data))
	return true
}

// File is one static file of a set.
type File struct {
	Name        string // the logical name, "portal.css"
	Hashed      string // the content-hashed name, "portal.3f2a9c1d7e4b.css"
	ContentType string
	Data        []byte
}

// Files returns every file of the set, by name.
func (a *Assets) Files() []File {
	out := make([]File, 0, len(a.byName))
	for _, as := range a.byName {
		out = append(out, File{Name: as.name, Hashed: as.hashed, ContentType: as.ctype, Data: as.data})
	}
	slices.SortFunc(out, func(x, y File) int { return strings.Compare(x.Name, y.Name) })
	return out
}
