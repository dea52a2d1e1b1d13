package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// logFlags are --log-format and --log-level, shared by the commands that
// start Portal.
type logFlags struct {
	format string
	level  string
}

// bind registers the flags on fs; level is the command's default level.
func (l *logFlags) bind(fs *flag.FlagSet, level string) {
	l.format, l.level = "text", level
	fs.StringVar(&l.format, "log-format", l.format, "log line format: text (key=value) or json (one object a line)")
	fs.StringVar(&l.level, "log-level", l.level, "least important level logged: debug (adds a line for every request), info, warn or error")
}

// logger builds the logger the flags ask for, writing to w (slog's own
// text and JSON handlers; values are quoted or JSON-escaped, LOG-02).
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(l.format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q: want text or json", l.format)
}
