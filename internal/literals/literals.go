// Package literals holds what the source checks of handlers and identity
// share ("every text a person reads comes from the message catalogue"):
// finding a string literal with a letter in it, and walking a package's
// files. Each package's test keeps its own rules of where text is shown.
package literals

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Visible returns the text of e when it is a string literal with a letter
// in it (format verbs alone, "%s", are not text).
func Visible(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil || strings.IndexFunc(formatVerb.ReplaceAllString(s, ""), unicode.IsLetter) < 0 {
		return "", false
	}
	return s, true
}

var formatVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// CheckPackage parses every non-test Go file of the current directory (the
// package under test) and reports each finding of check, followed by
// advice. It fails when it found fewer than minFiles files, so that a
// moved package cannot pass by checking nothing.
func CheckPackage(t testing.TB, check func(*token.FileSet, *ast.File) []string, advice string, minFiles int) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, msg := range check(fset, f) {
			t.Errorf("%s: %s", msg, advice)
		}
	}
	if n < minFiles {
		t.Fatalf("checked only %d files", n)
	}
}
