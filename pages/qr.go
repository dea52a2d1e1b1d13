package pages

import (
	"fmt"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// QRCodeSVG renders text as a QR code in inline SVG: one path of unit
// squares on a white background with a four-module quiet zone. It runs on
// the server, needs no JavaScript and no external service; the matrix comes
// from github.com/boombuler/barcode (the library pquerna/otp uses).
func QRCodeSVG(text string) (string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	b := code.Bounds()
	n := b.Dx()
	const quiet = 4
	size := n + 2*quiet
	var path strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if r == 0 { // a dark module
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="QR code for your authenticator app" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, size*5, size*5, size, size, path.String()), nil
}
