package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/accountportal/portal"
)

// runCheck is `portal check` (and `portal serve --check`): one line per
// check, and an error — a non-zero exit — when any failed.
func runCheck(ctx context.Context, cfg portal.Config, stdout io.Writer) error {
	failed := 0
	results := portal.Check(ctx, cfg)
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL  %-13s %v\n", r.Name, r.Err)
			continue
		}
		fmt.Fprintf(stdout, "ok    %-13s %s\n", r.Name, r.Note)
	}
	if failed > 0 {
		return fmt.Errorf("check: %d of %d checks failed", failed, len(results))
	}
	return nil
}

// subset is a flag set of the named flags of all, sharing their values:
// a command's -h lists only the flags it uses.
func subset(all *flag.FlagSet, names ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(all.Name(), flag.ContinueOnError)
	for _, n := range names {
		f := all.Lookup(n)
		if f == nil {
			panic("no flag --" + n) // a programming error, caught by the tests
		}
		fs.Var(f.Value, f.Name, f.Usage)
	}
	return fs
}

// applyEnv sets every flag of all that was not given on the command line
// (parsed by fs, all or a subset of it) from its environment variable —
// also the flags fs does not show, so that an installation configured
// through the environment behaves the same under every command.
func applyEnv(all, fs *flag.FlagSet, getenv func(string) string) error {
	if fs == all {
		return portal.ApplyEnv(all, getenv)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	rest := flag.NewFlagSet(all.Name(), flag.ContinueOnError)
	all.VisitAll(func(f *flag.Flag) {
		if !given[f.Name] {
			rest.Var(f.Value, f.Name, f.Usage)
		}
	})
	return portal.ApplyEnv(rest, getenv)
}
