package identity

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/accountportal/portal/internal/literals"

	"github.com/accountportal/portal/messages"
)

// The messages identity returns to people come from the message catalogue
// (messages/defaults). The test walks the package's source and reports:
//
//   - a string literal with a letter given to FieldError or Errorf (they
//     stay for code outside Portal; Portal itself uses fieldErr/errKey),
//   - an Error literal whose Message is a literal,
//   - a literal stored as a field's message (errs["field"] = "…"),
//   - a key given to errKey, fieldErr or message{Key: …} that is not a
//     literal in the built-in catalogue (messages.Has).
//
// literalAllowed lists what may stay, with the reason.
var literalAllowed = map[string]string{}

func typeName(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}

// userLiterals returns "file:line: …" for every problem in f.
func userLiterals(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(n ast.Node, what, s string) {
		p := fset.Position(n.Pos())
		if _, ok := literalAllowed[filepath.Base(p.Filename)+": "+s]; ok {
			return
		}
		out = append(out, p.String()+": "+what+" "+strconv.Quote(s))
	}
	checkKey := func(e ast.Expr, where string) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			out = append(out, fset.Position(e.Pos()).String()+": "+where+" needs a literal key")
			return
		}
		key, _ := strconv.Unquote(lit.Value)
		if !messages.Has(key) && !messages.Has(key+"_other") {
			report(e, where+" uses a key not in messages/defaults:", key)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			// The helpers themselves pass their parameters on.
			switch n.Name.Name {
			case "errKey", "errPlural", "fieldErr", "msgErr", "Errorf", "FieldError":
				return n.Recv != nil
			}
		case *ast.CallExpr:
			name := typeName(n.Fun)
			if _, local := n.Fun.(*ast.Ident); !local {
				break // fmt.Errorf and the like: not shown
			}
			switch name {
			case "FieldError", "Errorf":
				// The field name and the code are not text; the message is.
				for _, a := range n.Args[min(1, len(n.Args)):] {
					if s, ok := literals.Visible(a); ok {
						report(a, name+"(…) is given", s)
					}
				}
			case "errKey", "fieldErr":
				if len(n.Args) >= 2 {
					checkKey(n.Args[1], name+"(…)")
				}
			}
		case *ast.CompositeLit:
			tn := typeName(n.Type)
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				id, ok := kv.Key.(*ast.Ident)
				if !ok {
					continue
				}
				switch {
				case tn == "Error" && id.Name == "Message":
					if s, ok := literals.Visible(kv.Value); ok {
						report(kv.Value, "Error{Message: …} is", s)
					}
				case (tn == "Error" || tn == "message") && id.Name == "Key":
					checkKey(kv.Value, tn+"{Key: …}")
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if _, ok := lhs.(*ast.IndexExpr); !ok || i >= len(n.Rhs) {
					continue
				}
				if s, ok := literals.Visible(n.Rhs[i]); ok {
					report(n.Rhs[i], "a field error is", s)
				}
			}
		}
		return true
	})
	return out
}

func TestNoUserVisibleLiterals(t *testing.T) {
	literals.CheckPackage(t, userLiterals, "use fieldErr/errKey with a key of messages/defaults/errors.toml", 10)
}

// The check finds what it is meant to find.
func TestNoUserVisibleLiteralsCatches(t *testing.T) {
	const src = `package identity
var ErrX = FieldError("email", "Enter your email address.")          // 2
var ErrY = Errorf(EINVALID, "Too many %s.", what)                     // 3
var ErrZ = &Error{Code: EINVALID, Message: "Registration is closed."} // 4
var ErrK = errKey(EINVALID, "errors.no_such_key")                     // 5
func f(key string) {
	errs["email"] = "Enter your email address."                       // 7
	_ = fieldErr("email", key)                                        // 8
	_ = message{Key: "errors.nope"}                                   // 9
	_ = errKey(EINVALID, "errors.invalid_login")
	_ = fieldErr("email", "errors.email_required", "x", 1)
	_ = message{Key: "errors.email_invalid"}
	errs["email"] = m.text(nil)
	_ = Errorf(ECONFLICT, "%s", "")
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
		parts := strings.SplitN(g, ":", 3)
		l, _ := strconv.Atoi(parts[1])
		lines = append(lines, l)
	}
	if want := []int{2, 3, 4, 5, 7, 8, 9}; !slices.Equal(lines, want) {
		t.Errorf("found %v on lines %v, want lines %v", got, lines, want)
	}
}
