// Package contrast checks the colour pairs of Portal's stylesheet against
// WCAG 2.2 AA: 4.5:1 for text (SC 1.4.3) and 3:1 for the parts of a control
// that identify it or its state (SC 1.4.11). It reads the custom properties
// of a stylesheet's light scheme (top-level :root) and dark scheme (:root
// inside @media (prefers-color-scheme: dark)), layering later stylesheets
// over earlier ones as the browser does (a theme's theme.css over
// portal.css).
package contrast

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Minimum ratios of WCAG 2.2 AA.
const (
	Text = 4.5 // SC 1.4.3, normal-size text
	UI   = 3.0 // SC 1.4.11, non-text contrast
)

// Pair is a foreground custom property shown on a background one.
type Pair struct {
	FG, BG string  // custom property names, "--portal-text"
	Min    float64 // Text or UI
	What   string  // where the pair appears, for the failure message
}

// Pairs are the pairs Portal's pages put on screen. Keep in step with
// static/portal.css when a rule starts using a new combination.
var Pairs = []Pair{
	{"--portal-text", "--portal-bg", Text, "body text on the page"},
	{"--portal-text", "--portal-surface", Text, "text in cards and panels"},
	{"--portal-muted", "--portal-bg", Text, "muted text (footer) on the page"},
	{"--portal-muted", "--portal-surface", Text, "hints and muted text in cards"},
	{"--portal-accent", "--portal-surface", Text, "links and secondary buttons in cards"},
	{"--portal-accent", "--portal-bg", Text, "links on the page"},
	{"--portal-accent-hover", "--portal-surface", Text, "hovered links"},
	{"--portal-accent-hover", "--portal-bg", Text, "hovered secondary buttons"},
	{"--portal-accent-text", "--portal-accent", Text, "primary buttons, active navigation"},
	{"--portal-accent-text", "--portal-accent-hover", Text, "hovered primary buttons"},
	{"--portal-success-text", "--portal-success-bg", Text, "success messages"},
	{"--portal-error-text", "--portal-error-bg", Text, "error messages"},
	{"--portal-error-text", "--portal-surface", Text, "field errors"},
	{"--portal-warning-text", "--portal-warning-bg", Text, "warnings"},
	{"--portal-danger-text", "--portal-danger", Text, "danger buttons"},
	{"--portal-danger-text", "--portal-danger-hover", Text, "hovered danger buttons"},
	{"--portal-control-border", "--portal-surface", UI, "input and secondary-button borders"},
	{"--portal-control-border", "--portal-bg", UI, "secondary-button borders on the page"},
	{"--portal-focus", "--portal-surface", UI, "the focus ring in cards"},
	{"--portal-focus", "--portal-bg", UI, "the focus ring on the page"},
	{"--portal-accent", "--portal-bg", UI, "focused input borders"},
	{"--portal-error-border", "--portal-surface", UI, "invalid input borders"},
}

// Scheme is the custom properties of one colour scheme, name → value.
type Scheme map[string]string

// Schemes reads the light and dark custom properties of the stylesheets,
// later ones overriding earlier ones. The dark scheme starts from the light
// one, as the dark block only overrides some properties.
func Schemes(sheets ...string) (light, dark Scheme, err error) {
	light, darkOnly := Scheme{}, Scheme{}
	for _, css := range sheets {
		blocks, err := rootBlocks(css)
		if err != nil {
			return nil, nil, err
		}
		for _, b := range blocks {
			into := light
			if b.dark {
				into = darkOnly
			}
			for _, m := range declaration.FindAllStringSubmatch(b.body, -1) {
				into[m[1]] = strings.TrimSpace(m[2])
			}
		}
	}
	dark = Scheme{}
	for k, v := range light {
		dark[k] = v
	}
	for k, v := range darkOnly {
		dark[k] = v
	}
	return light, dark, nil
}

var (
	comment     = regexp.MustCompile(`(?s)/\*.*?\*/`)
	declaration = regexp.MustCompile(`(--[\w-]+)\s*:\s*([^;]+)`)
	darkQuery   = regexp.MustCompile(`^@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)$`)
)

type block struct {
	body string
	dark bool
}

// rootBlocks returns the bodies of the :root rules at the top level and
// inside @media (prefers-color-scheme: dark).
func rootBlocks(css string) ([]block, error) {
	css = comment.ReplaceAllString(css, "")
	var (
		out     []block
		stack   []string // preludes of the open blocks
		prelude strings.Builder
		start   int
	)
	for i, r := range css {
		switch r {
		case '{':
			stack = append(stack, strings.Join(strings.Fields(prelude.String()), " "))
			prelude.Reset()
			start = i + 1
		case '}':
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced } at byte %d", i)
			}
			sel := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if sel == ":root" {
				switch {
				case len(stack) == 0:
					out = append(out, block{body: css[start:i]})
				case len(stack) == 1 && darkQuery.MatchString(stack[0]):
					out = append(out, block{body: css[start:i], dark: true})
				}
			}
			prelude.Reset()
		case ';':
			prelude.Reset()
		default:
			prelude.WriteRune(r)
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("%d unclosed blocks", len(stack))
	}
	return out, nil
}

// Ratio is the WCAG contrast ratio of two colours, "#rgb" or "#rrggbb".
func Ratio(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

// luminance is the relative luminance of an sRGB colour (WCAG 2.2,
// "relative luminance").
func luminance(hex string) (float64, error) {
	h := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(hex)), "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 || !strings.HasPrefix(strings.TrimSpace(hex), "#") {
		return 0, fmt.Errorf("colour %q is not #rgb or #rrggbb", hex)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0, fmt.Errorf("colour %q is not #rgb or #rrggbb", hex)
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2], nil
}

// Failure is a pair below its minimum in one scheme.
type Failure struct {
	Scheme string // "light" or "dark"
	Pair   Pair
	FG, BG string
	Ratio  float64
}

func (f Failure) String() string {
	if f.Ratio == 0 {
		return fmt.Sprintf("%s: %s on %s (%s): %s", f.Scheme, f.Pair.FG, f.Pair.BG, f.Pair.What, f.FG)
	}
	return fmt.Sprintf("%s: %s %s on %s %s (%s) is %.2f:1, needs %.1f:1",
		f.Scheme, f.Pair.FG, f.FG, f.Pair.BG, f.BG, f.Pair.What, f.Ratio, f.Pair.Min)
}

// Check returns every pair of Pairs below its minimum in either scheme of
// the layered stylesheets. A property that is missing or not a hex colour
// is a failure too (its message in FG, Ratio 0).
func Check(sheets ...string) ([]Failure, error) {
	light, dark, err := Schemes(sheets...)
	if err != nil {
		return nil, err
	}
	var out []Failure
	for _, s := range []struct {
		name  string
		props Scheme
	}{{"light", light}, {"dark", dark}} {
		for _, p := range Pairs {
			fg, bg := s.props[p.FG], s.props[p.BG]
			if fg == "" || bg == "" {
				out = append(out, Failure{Scheme: s.name, Pair: p, FG: "a property is not defined"})
				continue
			}
			r, err := Ratio(fg, bg)
			if err != nil {
				out = append(out, Failure{Scheme: s.name, Pair: p, FG: err.Error()})
				continue
			}
			if r < p.Min {
				out = append(out, Failure{Scheme: s.name, Pair: p, FG: fg, BG: bg, Ratio: r})
			}
		}
	}
	return out, nil
}
