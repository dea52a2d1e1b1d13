package pages

import (
	_ "embed"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"sync"
)

// viewsSource is this package's views.go: the doc comments of the view
// models, read at run time so that the theme README generated from them
// cannot drift from the code.
//
//go:embed views.go
var viewsSource string

type typeDocs struct {
	doc    string
	fields map[string]string
}

var docs = sync.OnceValue(func() map[string]typeDocs {
	out := map[string]typeDocs{}
	f, err := parser.ParseFile(token.NewFileSet(), "views.go", viewsSource, parser.ParseComments)
	if err != nil {
		return out // documentation is a nicety; the README still lists every field
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			td := typeDocs{fields: map[string]string{}}
			switch {
			case ts.Doc != nil:
				td.doc = ts.Doc.Text()
			case gd.Doc != nil:
				td.doc = gd.Doc.Text()
			}
			if st, ok := ts.Type.(*ast.StructType); ok {
				for _, fl := range st.Fields.List {
					text := ""
					switch {
					case fl.Doc != nil:
						text = fl.Doc.Text()
					case fl.Comment != nil:
						text = fl.Comment.Text()
					}
					for _, n := range fl.Names {
						td.fields[n.Name] = oneLine(text)
					}
				}
			}
			out[ts.Name.Name] = td
		}
	}
	return out
})

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TypeDoc returns the doc comment of a type of views.go (a view model or a
// type a view model uses), on one line, or "".
func TypeDoc(typeName string) string { return oneLine(docs()[typeName].doc) }

// FieldDoc returns the doc comment of a field of a type of views.go, on one
// line, or "".
func FieldDoc(typeName, field string) string { return docs()[typeName].fields[field] }
