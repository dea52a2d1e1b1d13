package contrast

import (
	"math"
	"strings"
	"testing"
)

// The ratios the WCAG formula gives for known pairs (the first three are
// the figures of issue 18's audit).
func TestRatio(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"#ffffff", "#000000", 21},
		{"#fff", "#000", 21},
		{"#ffffff", "#ff6b6b", 2.78},
		{"#d9dde5", "#ffffff", 1.36},
		{"#91a7ff", "#ffffff", 2.29},
		{"#777777", "#777777", 1},
	} {
		got, err := Ratio(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 0.01 {
			t.Errorf("Ratio(%s, %s) = %.3f, want %.2f", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"white", "#12345", "#gggggg", "rgb(0,0,0)", "123456"} {
		if _, err := Ratio(bad, "#000"); err == nil {
			t.Errorf("Ratio(%q) gave no error", bad)
		}
	}
}

// Schemes layers the dark block over the light one, and later sheets over
// earlier ones; other rules and other media queries are not schemes.
func TestSchemes(t *testing.T) {
	base := `/* a { } */
:root { --a: #111111; --b: #222222; }
@media (prefers-color-scheme: dark) { :root { --a: #eeeeee; } }
@media (max-width: 40rem) { :root { --b: #999999; } }
.x { --a: #555555; }
`
	theme := ":root{--b:#333333}\n@media (prefers-color-scheme:dark){:root{--b:#cccccc;}}"
	light, dark, err := Schemes(base, theme)
	if err != nil {
		t.Fatal(err)
	}
	if light["--a"] != "#111111" || light["--b"] != "#333333" {
		t.Errorf("light = %v", light)
	}
	if dark["--a"] != "#eeeeee" || dark["--b"] != "#cccccc" {
		t.Errorf("dark = %v", dark)
	}
	if _, _, err := Schemes(":root { --a: #fff;"); err == nil {
		t.Error("an unclosed block gave no error")
	}
}

// Check reports a low pair and an undefined property.
func TestCheckReports(t *testing.T) {
	fails, err := Check(":root { --portal-text: #777777; --portal-bg: #888888; }")
	if err != nil {
		t.Fatal(err)
	}
	var low, missing bool
	for _, f := range fails {
		s := f.String()
		if strings.Contains(s, "--portal-text #777777 on --portal-bg #888888") {
			low = true
		}
		if strings.Contains(s, "not defined") {
			missing = true
		}
	}
	if !low || !missing {
		t.Errorf("failures = %v", fails)
	}
}
