// Command baseline is the ceiling the performance harness (go run ./bench)
// compares Portal with: a bare echo v4 handler returning a short HTML
// string, served by net/http like Portal, and started as a subprocess the
// same way Portal is, so that both pay the same process, network and
// client costs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
)

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Baseline</title></head><body><p>Hello from the baseline.</p></body></html>`

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, page) })
	srv := &http.Server{Addr: *addr, Handler: e, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Println("baseline listening on http://" + *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}
