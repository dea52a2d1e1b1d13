package portal

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// requirementID is a requirement ID as the code cites it (AUTH-03, REL-12).
var requirementID = regexp.MustCompile(`\b(?:AUTH|REG|RST|SES|MFA|OIDC|ACC|BRW|LOG|REL|PWD|RATE|GDPR|PRIV)-[0-9]{2}\b`)

// TestSecurityCitationsResolve: every requirement ID cited in Go code has
// an entry in docs/security.md, and every test, file and function the
// entries name exists — so a citation always leads somewhere true.
func TestSecurityCitationsResolve(t *testing.T) {
	doc, err := os.ReadFile("docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\*\*([A-Z]+-[0-9]{2})[: ]`).FindAllStringSubmatch(string(doc), -1) {
		entries[m[1]] = true
	}

	cited := map[string]string{} // ID -> first file citing it
	funcs := map[string]bool{}
	funcDecl := regexp.MustCompile(`(?m)^func (?:\([^)]*\) )?([A-Za-z0-9_]+)`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, id := range requirementID.FindAllString(string(src), -1) {
			if _, ok := cited[id]; !ok {
				cited[id] = path
			}
		}
		for _, m := range funcDecl.FindAllStringSubmatch(string(src), -1) {
			funcs[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, file := range cited {
		if !entries[id] {
			t.Errorf("%s cites %s, which has no entry in docs/security.md", file, id)
		}
	}

	// Names the entries give: `file.go: TestX`, `TestX`, `identity.DefaultRateLimits`.
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(string(doc), -1) {
		for _, part := range strings.Split(m[1], ": ") {
			part = strings.TrimSpace(part)
			switch {
			case strings.HasSuffix(part, ".go") || strings.HasSuffix(part, ".md") && strings.Contains(part, "/"):
				if _, err := os.Stat(part); err != nil {
					t.Errorf("docs/security.md names %s: %v", part, err)
				}
			case regexp.MustCompile(`^(Test|Fuzz|Benchmark)[A-Za-z0-9_]*$`).MatchString(part):
				if !funcs[part] {
					t.Errorf("docs/security.md names %s, which is not a function here", part)
				}
			}
		}
	}
}

// TestReadmeAnchorsResolve: every in-page link of README.md ("[…](#x)")
// leads to a heading of it (GitHub's anchors: lower case, punctuation
// dropped, spaces as hyphens).
func TestReadmeAnchorsResolve(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range title {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	links := regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(string(doc), -1)
	if len(links) == 0 {
		t.Fatal("README.md has no in-page link: the pattern is wrong")
	}
	for _, m := range links {
		if !anchors[m[1]] {
			t.Errorf("README.md links to #%s, which no heading makes", m[1])
		}
	}
}
