package tests

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// arrowRule constrains what the packages matching pkg import: our packages
// only from mayImport (when not nil), and no third-party import path
// starting with one of forbidden.
type arrowRule struct {
	pkg       string   // module-relative: "" is the root, "store/..." a subtree
	mayImport []string // our packages it may import (module-relative, "store/..." a subtree); nil: any
	forbidden []string // third-party import path prefixes it must not use
	why       string
}

// The layers of DESIGN.md and CONVENTIONS.md §1, as the code has them.
var (
	// frameworks only handlers and the wiring above it know.
	httpFrameworks = []string{"github.com/labstack/echo", "github.com/alexedwards/scs"}
	// database drivers only the stores (and the wiring, tools and test
	// kit that open databases) know.
	dbDrivers = []string{"github.com/mattn/go-sqlite3", "github.com/jackc/pgx", "github.com/redis/go-redis"}
)

var arrowRules = []arrowRule{
	{pkg: "store", mayImport: []string{}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...),
		why: "store is interfaces and the data types it persists: it imports nothing of ours"},
	{pkg: "store/...", mayImport: []string{"store/..."}, forbidden: []string{"github.com/labstack/echo"},
		why: "a store imports nothing of ours but store's data types (and its sibling stores, for pgcopy); it may hold scs's session table, never HTTP"},
	{pkg: "pages", mayImport: []string{"messages"}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...),
		why: "pages imports nothing of ours but data types (the message catalogue it renders text from)"},
	{pkg: "mail", mayImport: []string{"messages"}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...), why: "mail imports nothing of ours but the message catalogue its words come from"},
	{pkg: "messages", mayImport: []string{}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...), why: "messages is a leaf"},
	{pkg: "static", mayImport: []string{}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...), why: "static is a leaf"},
	{pkg: "identity", mayImport: []string{"store", "mail", "messages"}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...),
		why: "identity uses store's interfaces and mail — no HTTP, no SQL, no concrete store"},
	{pkg: "theme", mayImport: []string{"pages", "static", "messages", "mail"}, forbidden: append(slices.Clone(httpFrameworks), dbDrivers...),
		why: "the theme directory knows the pages' view models and the static files, not the domain or HTTP"},
	{pkg: "handlers", mayImport: []string{"identity", "pages", "theme", "mail", "static", "messages"}, forbidden: dbDrivers,
		why: "handlers may use identity, pages, theme and mail; never the store or the root package (a cycle)"},
}

// importersOfHandlers may import handlers: the root package and the CLI.
// Embedders (examples/custom) use Portal.Helpers and never name handlers.
var importersOfHandlers = []string{"", "cmd/..."}

// TestImportArrows checks the dependency arrows with `go list`: each
// layer imports only the layers below it (arrowRules), nothing imports
// handlers but the root package and cmd, and no package outside the tests
// imports the test kit, a command or the benchmark harness.
func TestImportArrows(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	modOut, err := exec.Command(goBin, "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(modOut))
	cmd := exec.Command(goBin, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rel := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		r, ok := strings.CutPrefix(path, module+"/")
		return r, ok
	}
	matches := func(pkg, pattern string) bool {
		if sub, ok := strings.CutSuffix(pattern, "/..."); ok {
			return pkg == sub || strings.HasPrefix(pkg, sub+"/")
		}
		return pkg == pattern
	}
	matchesAny := func(pkg string, patterns []string) bool {
		return slices.ContainsFunc(patterns, func(p string) bool { return matches(pkg, p) })
	}
	name := func(pkg string) string {
		if pkg == "" {
			return "the root package"
		}
		return pkg
	}

	packages := 0
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Fields(line)
		pkg, ok := rel(fields[0])
		if !ok {
			continue
		}
		packages++
		for _, imp := range fields[1:] {
			ours, isOurs := rel(imp)
			for _, r := range arrowRules {
				if !matches(pkg, r.pkg) {
					continue
				}
				if isOurs && r.mayImport != nil && !matchesAny(ours, r.mayImport) {
					t.Errorf("%s imports %s: %s", name(pkg), name(ours), r.why)
				}
				if !isOurs {
					for _, f := range r.forbidden {
						if imp == f || strings.HasPrefix(imp, f+"/") {
							t.Errorf("%s imports %s: %s", name(pkg), imp, r.why)
						}
					}
				}
			}
			if !isOurs {
				continue
			}
			switch {
			case ours == "handlers" && !matchesAny(pkg, importersOfHandlers):
				t.Errorf("%s imports handlers: nothing does but the root package and cmd", name(pkg))
			case matchesAny(ours, []string{"internal/portaltest", "cmd/...", "bench/...", "examples/...", "tests/..."}):
				t.Errorf("%s imports %s, which only tests and commands may use", name(pkg), ours)
			}
		}
	}
	// The rules must have met the packages they are about.
	if packages < 10 {
		t.Fatalf("go list gave %d packages of %s:\n%s", packages, module, out)
	}
}
