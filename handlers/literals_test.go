package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/accountportal/portal/internal/literals"
)

// Every text a person reads comes from the message catalogue (messages/defaults):
// no handler passes English of its own to a page. The test walks the
// package's source and reports string literals with a letter in them where
// user-visible text goes:
//
//   - the title of h.common / h.Common and the page title helpers,
//   - the status message of h.setFlash / SetFlash / restartSignIn /
//     externalFailed,
//   - the message of echo.NewHTTPError,
//   - the values of a pages.FieldErrors literal, and errs["field"] = "…",
//   - a view's Error, Title, Message or Status field (v.Error = "…",
//     pages.XView{Error: "…"}),
//
// and keys given to h.T that do not look like keys ("section.name").
// literalAllowed lists what may stay; keep it short and say why.
var literalAllowed = map[string]string{}

// userTextCalls are the functions whose string arguments are shown.
var userTextCalls = map[string]bool{
	"common": true, "Common": true, "commonSafe": true, "emailFormView": true,
	"setFlash": true, "SetFlash": true, "restartSignIn": true, "externalFailed": true,
	"NewHTTPError": true,
}

// userTextFields are the view fields that hold shown text.
var userTextFields = map[string]bool{"Error": true, "Title": true, "Message": true, "Status": true}

var catalogueKey = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9_]+$`)

func calleeName(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// isFieldErrorsType reports whether t is pages.FieldErrors.
func isFieldErrorsType(t ast.Expr) bool {
	sel, ok := t.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "FieldErrors"
}

// userLiterals returns "file:line: …" for every user-visible literal in f.
func userLiterals(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(n ast.Node, what, s string) {
		p := fset.Position(n.Pos())
		if _, ok := literalAllowed[filepath.Base(p.Filename)+": "+s]; ok {
			return
		}
		out = append(out, p.String()+": "+what+" "+strconv.Quote(s))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			name := calleeName(n.Fun)
			if userTextCalls[name] {
				for _, a := range n.Args {
					if s, ok := literals.Visible(a); ok {
						report(a, name+"(…) is given", s)
					}
				}
			}
			if name == "T" && len(n.Args) > 0 {
				if s, ok := literals.Visible(n.Args[0]); ok && !catalogueKey.MatchString(s) {
					report(n.Args[0], "T(…) is given a text, not a key:", s)
				}
			}
		case *ast.CompositeLit:
			fe := isFieldErrorsType(n.Type)
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				s, ok := literals.Visible(kv.Value)
				if !ok {
					continue
				}
				if fe {
					report(kv.Value, "pages.FieldErrors holds", s)
				} else if id, ok := kv.Key.(*ast.Ident); ok && userTextFields[id.Name] {
					report(kv.Value, id.Name+": is", s)
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if i >= len(n.Rhs) {
					break
				}
				s, ok := literals.Visible(n.Rhs[i])
				if !ok {
					continue
				}
				switch l := lhs.(type) {
				case *ast.IndexExpr:
					report(n.Rhs[i], "a field error is", s)
				case *ast.SelectorExpr:
					if userTextFields[l.Sel.Name] {
						report(n.Rhs[i], l.Sel.Name+" is set to", s)
					}
				}
			}
		}
		return true
	})
	return out
}

func TestNoUserVisibleLiterals(t *testing.T) {
	literals.CheckPackage(t, userLiterals, "use a catalogue key (h.T(\"section.name\"), messages/defaults/*.toml)", 10)
}

// The check finds what it is meant to find (and leaves keys, variables,
// data and non-text alone).
func TestNoUserVisibleLiteralsCatches(t *testing.T) {
	const src = `package handlers
func (h *Handler) sample(c echo.Context, msg string) {
	_ = h.common(c, "Sign in")                                // 1
	h.setFlash(c, "Your password has been changed.", false)   // 2
	_ = echo.NewHTTPError(403, "Go away.")                    // 3
	_ = pages.FieldErrors{"code": "Enter the code."}          // 4
	errs["email"] = "Enter your email address."               // 5
	v.Error = "This link is incomplete."                      // 6
	_ = pages.ConfirmEmailView{Error: "Broken."}              // 7
	_ = h.T("Sign in")                                        // 8
	_ = h.common(c, h.T("login.title"))
	h.setFlash(c, msg, false)
	h.restartSignIn(c, "")
	_ = pages.FieldErrors{"code": h.T("validation.code_required")}
	errs["email"] = h.T("errors.email_required")
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	_ = echo.NewHTTPError(403)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "sample.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := userLiterals(fset, f)
	var lines []int
	for _, g := range got {
		// sample.go:LINE:COL: …
		parts := strings.SplitN(g, ":", 3)
		l, _ := strconv.Atoi(parts[1])
		lines = append(lines, l)
	}
	if want := []int{3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(lines, want) {
		t.Errorf("found %v on lines %v, want lines %v", got, lines, want)
	}
}
