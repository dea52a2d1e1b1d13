package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accountportal/portal"
	"github.com/accountportal/portal/identity"
)

// readmeTable returns the rows (cells, backticks kept) of the README
// table whose header row is header.
func readmeTable(t *testing.T, header string) [][]string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == header:
			in = true
		case in && strings.HasPrefix(line, "| ---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), " | ")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			rows = append(rows, cells)
		case in:
			return rows
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README.md has no table %q", header)
	}
	return rows
}

var (
	flagInCell   = regexp.MustCompile("`--([a-z0-9-]+)`(?:/`-([a-z]+)`)?")
	parenthetic  = regexp.MustCompile(`\s*\([^)]*\)`)
	readmeValues = map[string]string{
		// Words README uses for a flag's empty default.
		"none": "", "any": "", "all": "", "the database": "", "on": "", "off": "",
		"http:// + addr": "", // derived from --addr by Validate
		"number of CPUs": "0",
	}
)

// TestREADMEDefaults: README's configuration table names every flag of
// portal serve, and each documented default is the code's
// (portal.DefaultConfig, so identity.DefaultSettings for the identity
// rules). A default changed in one place and not the other fails here.
func TestREADMEDefaults(t *testing.T) {
	c := portal.DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.BindFlags(fs) // as run does for portal serve
	var lf logFlags
	lf.bind(fs, "info")
	documented := map[string]bool{}
	for _, row := range readmeTable(t, "| flag | default | meaning |") {
		var names []string
		for _, m := range flagInCell.FindAllStringSubmatch(row[0], -1) {
			names = append(names, m[1])
			if m[2] != "" { // `--google-client-id`/`-secret`
				names = append(names, m[1][:strings.LastIndex(m[1], "-")+1]+m[2])
			}
		}
		if len(names) == 0 {
			t.Errorf("README row %q names no flag", row[0])
			continue
		}
		defaults := strings.Split(row[1], ", ")
		for i, name := range names {
			documented[name] = true
			f := fs.Lookup(name)
			if f == nil {
				t.Errorf("README documents --%s, which is not a flag", name)
				continue
			}
			doc := defaults[0]
			if len(defaults) == len(names) {
				doc = defaults[i]
			} else if len(names) > 1 && len(defaults) > 1 {
				t.Errorf("README row %q: %d defaults for %d flags", row[0], len(defaults), len(names))
				continue
			}
			doc = strings.TrimSuffix(strings.ReplaceAll(parenthetic.ReplaceAllString(doc, ""), "`", ""), " KiB")
			if v, ok := readmeValues[doc]; ok {
				doc = v
			}
			code := f.DefValue
			if dd, err1 := time.ParseDuration(doc); err1 == nil {
				if cd, err2 := time.ParseDuration(code); err2 == nil && dd == cd {
					continue
				}
			}
			if doc != code {
				t.Errorf("--%s: README says the default is %q, the code %q", name, doc, code)
			}
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !documented[f.Name] {
			t.Errorf("--%s is not in README's configuration table", f.Name)
		}
	})
}

// TestREADMERateLimits: README's rate-limit table lists every limit with
// its default.
func TestREADMERateLimits(t *testing.T) {
	documented := map[string]bool{}
	for _, row := range readmeTable(t, "| name | default | what |") {
		name := strings.Trim(row[0], "`")
		documented[name] = true
		r, err := identity.ParseRateLimits(name + "=" + row[1])
		if err != nil {
			t.Errorf("README rate limit %s=%s: %v", name, row[1], err)
			continue
		}
		if diff := r.String(); diff != "" {
			t.Errorf("README says %s=%s; the code's default differs (%s is not the default)", name, row[1], diff)
		}
	}
	for _, name := range identity.RateLimitNames() {
		if !documented[name] {
			t.Errorf("rate limit %s is not in README's table", name)
		}
	}
}
