package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/accountportal/portal/pages"
)

// Every page the handlers render is named by a literal of the page
// registry, so that a theme can override it; and every page of the
// registry is rendered somewhere.
func TestRenderPageNames(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	used := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "helpers.go" { // helpers.go: Render forwards its caller's name
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "renderPage" || len(call.Args) != 4 {
				return true
			}
			lit, ok := call.Args[2].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: renderPage with a page name that is not a literal", fset.Position(call.Pos()))
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			if _, ok := pages.Lookup(name); !ok {
				t.Errorf("%s: renderPage(%q): no such page in the registry", fset.Position(call.Pos()), name)
			}
			used[name] = true
			return true
		})
	}
	for _, name := range pages.Names() {
		if !used[name] {
			t.Errorf("page %q of the registry is never rendered", name)
		}
	}
	if !slices.Contains(pages.Names(), "login") {
		t.Error("the registry has no login page")
	}
}
