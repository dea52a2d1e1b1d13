// Command bench is Portal's performance harness (docs/performance.md).
//
//	go run ./bench                       # 10,000 users, every scenario
//	go run ./bench -runs 3               # medians of 3 runs per scenario
//	go run ./bench -users 1000000 -scenario login-page,manage,login-post -compare 10k.json
//	go run ./bench -users 1000000 -sessions 1000000 -scenario baseline,session,forward-auth -compare 10k.json
//
// It builds cmd/portal and bench/baseline with `go build`, seeds a temp
// SQLite database straight through the driver, starts each server as a
// subprocess on 127.0.0.1, drives it from this process with a fixed number
// of keep-alive connections, samples the server's RSS from /proc, and
// prints one table with the ratios to the baseline and the budgets of the
// issue, PASS or FAIL.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// bnScenarios are the scenario names, in the order they run.
var bnScenarios = []string{"baseline", "login-page", "manage", "session", "forward-auth", "token", "userinfo", "login-post", "static", "cold-start"}

type bnOptions struct {
	users     int
	sessions  int // live sessions seeded besides the signed-in browsers
	conns     int
	duration  time.Duration
	warmup    time.Duration
	runs      int
	scenarios map[string]bool
	jsonOut   string
	compare   string
	keep      bool
	strict    bool
	settle    time.Duration
	quietWait time.Duration
	retries   int
}

// bnReport is everything one invocation measured (-json writes it).
type bnReport struct {
	Date      time.Time            `json:"date"`
	Commit    string               `json:"commit"`
	GoVersion string               `json:"go_version"`
	CPUs      int                  `json:"cpus"`
	Users     int                  `json:"users"`
	Conns     int                  `json:"conns"`
	Duration  time.Duration        `json:"duration_ns"`
	Runs      int                  `json:"runs"`
	SeedTime  time.Duration        `json:"seed_ns"`
	LoadAvg   string               `json:"loadavg_at_start"`
	Results   map[string]*bnResult `json:"results"`
	HashRate  float64              `json:"argon2id_hashes_per_s,omitempty"`
	HashCPU   bnCPUUse             `json:"argon2id_cpu"`
	// LoginPostRatio is the median over the rounds of each round's
	// login-post rate divided by the raw argon2id rate measured beside it.
	LoginPostRatio float64 `json:"login_post_vs_argon2id,omitempty"`
	// Ratios is each page scenario's rate over the baseline's, measured
	// in alternating slices: the median over the rounds.
	Ratios        map[string]float64 `json:"ratios_vs_baseline,omitempty"`
	ColdStarts    []time.Duration    `json:"cold_starts_ns,omitempty"`
	ColdStart     time.Duration      `json:"cold_start_ns,omitempty"`
	IdleRSSStart  int64              `json:"idle_rss_start,omitempty"`
	IdleRSSManage int64              `json:"idle_rss_after_manage,omitempty"`
	IdleRSSFile   int64              `json:"idle_rss_file_backed,omitempty"`
	AnonWrites    *bnWriteCheck      `json:"anonymous_get_writes,omitempty"`
	// AppWrites is, per session-check scenario (session, forward-auth),
	// what the database looked like before and after it.
	AppWrites map[string]*bnTouchCheck `json:"session_check_writes,omitempty"`
	Sessions  int                      `json:"seeded_sessions,omitempty"`
	Checks    []bnCheck                `json:"checks"`
}

// bnWriteCheck is the database before and after the login-page scenario.
type bnWriteCheck struct {
	Before, After bnDBState
}

// Same reports whether nothing was written in between.
func (w *bnWriteCheck) Same() bool {
	b, a := w.Before, w.After
	return a.DataVersion == b.DataVersion && a.Sessions == b.Sessions && a.UserSessions == b.UserSessions &&
		a.Events == b.Events && a.DBSize == b.DBSize && a.WALSize == b.WALSize && a.WALModTime.Equal(b.WALModTime)
}

// bnTouchCheck is the database around a session-check scenario: the
// rows, and how many registry rows had their last-seen time written
// meanwhile (at most once a minute each, so at most one per connection's
// session in a run shorter than a minute).
type bnTouchCheck struct {
	Before, After bnDBState
	Touched       int `json:"touched"`
	Conns         int `json:"conns"`
	Requests      int `json:"requests"`
}

// OnlyTouches reports whether the scenario wrote nothing but last-seen
// touches, at most one per session.
func (w *bnTouchCheck) OnlyTouches() bool {
	b, a := w.Before, w.After
	return a.Sessions == b.Sessions && a.UserSessions == b.UserSessions && a.Events == b.Events && w.Touched <= w.Conns
}

// bnCheck is one budget.
type bnCheck struct {
	Budget string `json:"budget"`
	Value  string `json:"value"`
	Pass   bool   `json:"pass"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bnMain(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

func bnMain(ctx context.Context, args []string, out io.Writer) error {
	var o bnOptions
	var scen string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.users, "users", 10000, "users to seed")
	fs.IntVar(&o.conns, "conns", 32, "keep-alive connections per scenario")
	fs.IntVar(&o.sessions, "sessions", 0, "live sessions to seed besides the signed-in browsers (the scale check: 1000000)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each scenario")
	fs.IntVar(&o.runs, "runs", 1, "measure each scenario this many times and report the medians")
	fs.StringVar(&scen, "scenario", "", "comma-separated scenarios to run (default all): "+strings.Join(bnScenarios, ","))
	fs.StringVar(&o.jsonOut, "json", "", "also write the results to this JSON file")
	fs.StringVar(&o.compare, "compare", "", "JSON file of a 10,000-user run: check scenarios 2-4 stay within 1.5x of it")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp directory (database, server logs)")
	fs.BoolVar(&o.strict, "strict", false, "exit with status 1 when a budget fails")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "idle time before an idle-RSS reading")
	fs.DurationVar(&o.quietWait, "quiet-wait", 2*time.Minute, "before each measurement, wait up to this long for other processes to leave the CPUs idle (0: do not wait)")
	fs.IntVar(&o.retries, "retries", 3, "measure a scenario up to this many times while other processes use the CPUs, keeping the least disturbed")
	var merge string
	fs.StringVar(&merge, "merge", "", "comma-separated JSON files of separate runs: print their medians instead of running")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(bnScenarios, s) {
			return fmt.Errorf("unknown scenario %q; want some of %s", s, strings.Join(bnScenarios, ","))
		}
		o.scenarios[s] = true
	}
	if len(o.scenarios) == 0 {
		for _, s := range bnScenarios {
			o.scenarios[s] = true
		}
	}
	if (merge == "" && o.users < 2*o.conns) || o.conns < 1 || o.runs < 1 || o.duration <= 0 {
		return errors.New("want -conns >= 1, -users >= 2*conns, -runs >= 1 and a positive -duration")
	}

	var rep *bnReport
	var err error
	if merge != "" {
		rep, err = bnMerge(strings.Split(merge, ","), o)
	} else {
		rep, err = bnExecute(ctx, o)
	}
	if err != nil {
		return err
	}
	if o.compare != "" {
		if err := bnCompare(rep, o.compare); err != nil {
			return err
		}
	}
	bnPrint(out, rep)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.strict {
		for _, c := range rep.Checks {
			if !c.Pass {
				os.Exit(1)
			}
		}
	}
	return nil
}

// bnLog prints progress to stderr, so that stdout holds only the table.
func bnLog(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func bnExecute(ctx context.Context, o bnOptions) (*bnReport, error) {
	rep := &bnReport{
		Date: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Users: o.users, Conns: o.conns, Duration: o.duration, Runs: o.runs,
		Results: map[string]*bnResult{}, LoadAvg: bnLoadAvg(),
	}
	root, err := bnModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	rep.Commit = bnCommit(root)
	tmp, err := os.MkdirTemp("", "portal-bench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		bnLog("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	bnLog("building cmd/portal and bench/baseline")
	portalBin, baselineBin, err := bnBuild(ctx, root, tmp)
	if err != nil {
		return nil, err
	}

	dbPath := filepath.Join(tmp, "portal.db")
	special := bnSpecialUsers(o.users, 2*o.conns)
	bnLog("seeding %d users", o.users)
	if rep.SeedTime, err = bnSeed(ctx, portalBin, dbPath, o.users, special); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	bnLog("seeded in %v", rep.SeedTime.Round(time.Millisecond))
	if o.sessions > 0 {
		bnLog("seeding %d live sessions", o.sessions)
		d, err := bnSeedSessions(ctx, dbPath, o.sessions)
		if err != nil {
			return nil, fmt.Errorf("seed sessions: %w", err)
		}
		rep.Sessions = o.sessions
		rep.SeedTime += d
		bnLog("seeded the sessions in %v", d.Round(time.Millisecond))
	}

	var oidcPool *bnOIDC
	if o.scenarios["token"] || o.scenarios["userinfo"] {
		n := o.conns + 1
		if o.scenarios["token"] {
			n += bnCodesPerRd * o.runs
		}
		bnLog("seeding an OpenID Connect client and %d signed-in authorization codes", n)
		var d time.Duration
		if oidcPool, d, err = bnSeedOIDC(ctx, dbPath, special, n); err != nil {
			return nil, fmt.Errorf("seed codes: %w", err)
		}
		rep.SeedTime += d
		bnLog("seeded the codes in %v", d.Round(time.Millisecond))
	}

	// Both servers run side by side (an idle one costs nothing) and the
	// scenarios run in rounds, so that the baseline and the portal are
	// measured close together in time: the medians then compare like with
	// like even when the machine's load drifts.
	var base, port *bnProc
	if o.scenarios["baseline"] {
		if base, err = bnStart(ctx, "baseline", baselineBin, []string{"-addr", "{addr}"}, tmp, "/"); err != nil {
			return nil, err
		}
		defer base.Stop()
	}
	portalArgs := []string{"serve", "--addr", "{addr}", "--db", dbPath,
		"--mail", "dir:" + filepath.Join(tmp, "mail"), "--require-confirmed-email=false"}
	if o.scenarios["login-page"] || o.scenarios["manage"] || o.scenarios["session"] || o.scenarios["forward-auth"] ||
		o.scenarios["token"] || o.scenarios["userinfo"] || o.scenarios["login-post"] || o.scenarios["static"] {
		if port, err = bnStart(ctx, "portal", portalBin, portalArgs, tmp, "/healthz"); err != nil {
			return nil, err
		}
		defer port.Stop()
		time.Sleep(o.settle)
		rep.IdleRSSStart, rep.IdleRSSFile = port.RSS(), port.RSSFile()
		bnLog("portal idle RSS after start: %s (%s file-backed)", bnMB(rep.IdleRSSStart), bnMB(rep.IdleRSSFile))
	}
	plan, err := bnPlan(ctx, o, base, port, special)
	if err != nil {
		return nil, err
	}
	if oidcPool != nil && port != nil {
		// The first exchange also makes the signing key; userinfo's
		// access tokens (one per connection) come from exchanges too.
		if _, err := oidcPool.exchange(ctx, port); err != nil {
			return nil, err
		}
		if o.scenarios["userinfo"] {
			if plan.userinfo, err = oidcPool.userinfoRequests(ctx, port, o.conns); err != nil {
				return nil, err
			}
		}
		if o.scenarios["token"] {
			plan.token = oidcPool.tokenRequests(port.addr, o.conns)
		}
	}

	runs := map[string][]bnResult{}
	type hashRun struct {
		rate float64
		cpu  bnCPUUse
	}
	var hashRuns []hashRun
	var idleManage []int64
	var postRatios []float64
	pageRatios := map[string][]float64{}
	measure := func(name string, p *bnProc, reqs []bnRequest, round int) {
		if name != "baseline" && base != nil && plan.baseline != nil {
			res, ratio := bnPairedWithBaseline(ctx, o, name, base, plan.baseline, p, reqs, round)
			runs[name] = append(runs[name], res)
			if ratio > 0 {
				pageRatios[name] = append(pageRatios[name], ratio)
			}
			return
		}
		var best *bnResult
		for try := range max(1, o.retries) {
			if ctx.Err() != nil {
				return
			}
			if o.quietWait > 0 {
				bnWaitQuiet(ctx, o.quietWait)
			}
			bnLog("%s: round %d/%d, %d connections, %v", name, round+1, o.runs, len(reqs), o.duration)
			w := bnWatchPeak(p.cmd.Process.Pid)
			res := bnRun(ctx, p.addr, p.cmd.Process.Pid, reqs, o.warmup, o.duration)
			res.PeakRSS = w.Peak()
			if best == nil || res.CPU.Other < best.CPU.Other {
				best = &res
			}
			if res.CPU.Other <= bnOtherLoad {
				break
			}
			if try+1 < o.retries {
				bnLog("%s: other processes used %.2f cores; measuring again", name, res.CPU.Other)
			}
		}
		runs[name] = append(runs[name], *best)
	}
	for round := range o.runs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// 1. The baseline: a bare echo handler in its own process.
		if o.scenarios["baseline"] {
			measure("baseline", base, plan.baseline, round)
		}
		// 2. GET /account/login, anonymous: no cookie is ever sent back.
		// Nothing may be written to the database meanwhile.
		if o.scenarios["login-page"] {
			w, err := bnOpenDBWatch(ctx, dbPath)
			if err != nil {
				return nil, err
			}
			before, err := w.State(ctx)
			if err == nil {
				measure("login-page", port, plan.loginPage, round)
				var after bnDBState
				after, err = w.State(ctx)
				if rep.AnonWrites == nil || rep.AnonWrites.Same() { // keep the first round that wrote
					rep.AnonWrites = &bnWriteCheck{Before: before, After: after}
				}
			}
			w.Close()
			if err != nil {
				return nil, err
			}
		}
		// 3. GET /account/manage, signed in (the browsers sign in before
		// the first round's measurement); then 7. idle RSS after it.
		if o.scenarios["manage"] {
			if err := plan.signIn(ctx, o, port, special); err != nil {
				return nil, err
			}
			measure("manage", port, plan.manage, round)
			time.Sleep(o.settle)
			idleManage = append(idleManage, port.RSS())
			bnLog("portal idle RSS after manage: %s", bnMB(idleManage[len(idleManage)-1]))
		}
		// 3b. GET /account/session and GET /account/forward-auth with the
		// same signed-in browsers: the session check of every application
		// call (issue 19). Nothing but the once-a-minute last-seen touch
		// may be written meanwhile.
		for _, sc := range bnAppScenarios {
			if !o.scenarios[sc.name] {
				continue
			}
			if err := plan.signIn(ctx, o, port, special); err != nil {
				return nil, err
			}
			w, err := bnOpenDBWatch(ctx, dbPath)
			if err != nil {
				return nil, err
			}
			since := time.Now().UTC().Add(-time.Second)
			before, err := w.State(ctx)
			if err == nil {
				measure(sc.name, port, plan.app[sc.name], round)
				var after bnDBState
				after, err = w.State(ctx)
				var touched int
				if err == nil {
					touched, err = w.TouchedSince(ctx, since)
				}
				res := runs[sc.name]
				chk := &bnTouchCheck{Before: before, After: after, Touched: touched, Conns: o.conns}
				if len(res) > 0 {
					chk.Requests = res[len(res)-1].Requests
				}
				if rep.AppWrites == nil {
					rep.AppWrites = map[string]*bnTouchCheck{}
				}
				if old := rep.AppWrites[sc.name]; old == nil || old.OnlyTouches() { // keep the first round that wrote more
					rep.AppWrites[sc.name] = chk
				}
			}
			w.Close()
			if err != nil {
				return nil, err
			}
		}
		// 3c. The OpenID Provider (issue 20): the code exchange (each
		// request redeems a code of the seeded pool: an ID token signed,
		// tokens stored) and userinfo with a bearer access token.
		if o.scenarios["token"] {
			measure("token", port, plan.token, round)
		}
		if o.scenarios["userinfo"] {
			measure("userinfo", port, plan.userinfo, round)
		}
		// 4. POST /account/login with the right password, against the raw
		// argon2id rate at the server's parameters: measured in alternating
		// slices (bnLoginPostPaired), so that the machine's drift in memory
		// bandwidth hits both alike.
		if o.scenarios["login-post"] {
			hr, hcpu, res := bnLoginPostPaired(ctx, o, port, plan.loginPost, round)
			hashRuns = append(hashRuns, hashRun{hr, hcpu})
			runs["login-post"] = append(runs["login-post"], res)
			if hr > 0 {
				postRatios = append(postRatios, res.RPS/hr)
			}
		}
		// 5. The stylesheet at its content-hashed URL.
		if o.scenarios["static"] {
			measure("static", port, plan.static, round)
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	for name, rs := range runs {
		rep.Results[name] = bnMedian(rs)
	}
	if len(hashRuns) > 0 {
		slices.SortFunc(hashRuns, func(a, b hashRun) int { return cmp.Compare(a.rate, b.rate) })
		m := hashRuns[len(hashRuns)/2]
		rep.HashRate, rep.HashCPU = m.rate, m.cpu
	}
	for name, rs := range pageRatios {
		slices.Sort(rs)
		if rep.Ratios == nil {
			rep.Ratios = map[string]float64{}
		}
		rep.Ratios[name] = rs[len(rs)/2]
	}
	if len(postRatios) > 0 {
		slices.Sort(postRatios)
		rep.LoginPostRatio = postRatios[len(postRatios)/2]
	}
	if len(idleManage) > 0 {
		slices.Sort(idleManage)
		rep.IdleRSSManage = idleManage[len(idleManage)/2]
	}
	base.Stop()
	port.Stop()

	// 6. Cold start: process start to the first 200 on /healthz, on the
	// seeded (already migrated) database; median of 5.
	if o.scenarios["cold-start"] {
		for i := range 5 {
			if o.quietWait > 0 {
				bnWaitQuiet(ctx, o.quietWait)
			}
			bnLog("cold start %d/5", i+1)
			p, err := bnStart(ctx, "portal-cold", portalBin, portalArgs, tmp, "/healthz")
			if err != nil {
				return nil, err
			}
			rep.ColdStarts = append(rep.ColdStarts, p.ready)
			p.Stop()
		}
		s := slices.Clone(rep.ColdStarts)
		slices.Sort(s)
		rep.ColdStart = s[len(s)/2]
	}
	bnBudgets(rep, o)
	return rep, nil
}

// bnAppScenarios are the session checks of the applications around
// Portal: the route each connection asks, with its signed-in cookie.
var bnAppScenarios = []struct{ name, path string }{
	{"session", "/account/session"},
	{"forward-auth", "/account/forward-auth"},
}

// signIn signs the browsers in once (bnSignInAll) and plans the signed-in
// scenarios' requests.
func (pl *bnPlanned) signIn(ctx context.Context, o bnOptions, p *bnProc, special []int) error {
	if pl.cookies != nil {
		return nil
	}
	cookies, err := bnSignInAll(ctx, o, p, special)
	if err != nil {
		return err
	}
	pl.cookies = cookies
	pl.manage = make([]bnRequest, len(cookies))
	pl.app = map[string][]bnRequest{}
	for _, sc := range bnAppScenarios {
		pl.app[sc.name] = make([]bnRequest, len(cookies))
	}
	for i, cookie := range cookies {
		pl.manage[i] = bnRawRequest(http.MethodGet, p.addr, "/account/manage", http.Header{"Cookie": {cookie}}, "", http.StatusOK)
		pl.manage[i].src = bnSrcIP(i)
		for _, sc := range bnAppScenarios {
			rq := bnRawRequest(http.MethodGet, p.addr, sc.path, http.Header{"Cookie": {cookie}, "Accept": {"application/json"}}, "", http.StatusOK)
			rq.src = bnSrcIP(i)
			pl.app[sc.name][i] = rq
		}
	}
	for _, sc := range bnAppScenarios {
		if !o.scenarios[sc.name] {
			continue
		}
		status, h, _, err := bnCheckGet(ctx, p, bnSrcIP(0), sc.path, cookies[0])
		if err != nil {
			return err
		}
		if status != http.StatusOK || h.Get("X-Portal-User-Id") == "" {
			return fmt.Errorf("GET %s signed in: %d, X-Portal-User-Id %q; want 200 with the user", sc.path, status, h.Get("X-Portal-User-Id"))
		}
	}
	return nil
}

// bnSignInAll signs one browser per connection in through the real login
// form, each from its own address, checks the first one's GET
// /account/manage, and returns each one's cookies.
func bnSignInAll(ctx context.Context, o bnOptions, p *bnProc, special []int) ([]string, error) {
	bnLog("signing in %d browsers", o.conns)
	reqs := make([]string, o.conns)
	for i := range reqs {
		cookie, err := bnSignIn(ctx, p, bnSrcIP(i), bnEmail(special[i]))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			status, _, body, err := bnCheckGet(ctx, p, bnSrcIP(i), "/account/manage", cookie)
			if err != nil {
				return nil, err
			}
			if status != http.StatusOK || !strings.Contains(body, bnEmail(special[i])) {
				return nil, fmt.Errorf("GET /account/manage signed in: %d, want 200 with the user's address", status)
			}
		}
		reqs[i] = cookie
	}
	return reqs, nil
}

// bnPlanned are the requests of each scenario, one per connection.
type bnPlanned struct {
	baseline, loginPage, manage, loginPost, static []bnRequest
	token, userinfo                                []bnRequest            // the OpenID Provider (oidc.go)
	cookies                                        []string               // the signed-in browsers (signIn)
	app                                            map[string][]bnRequest // bnAppScenarios, by name
}

// bnPlan prepares every connection's request and checks each once.
func bnPlan(ctx context.Context, o bnOptions, base, p *bnProc, special []int) (*bnPlanned, error) {
	pl := &bnPlanned{}
	each := func(f func(i int) bnRequest) []bnRequest {
		reqs := make([]bnRequest, o.conns)
		for i := range reqs {
			reqs[i] = f(i)
			if reqs[i].src == nil {
				reqs[i].src = bnSrcIP(i)
			}
		}
		return reqs
	}
	if o.scenarios["baseline"] {
		pl.baseline = each(func(int) bnRequest { return bnRawRequest(http.MethodGet, base.addr, "/", nil, "", http.StatusOK) })
	}
	if p == nil {
		return pl, nil
	}
	lp, err := bnGetLoginPage(ctx, p, nil)
	if err != nil {
		return nil, err
	}
	if o.scenarios["login-page"] {
		if !slices.Equal(lp.SetCookies, []string{lp.CSRFCookie.Name}) {
			bnLog("warning: anonymous login page set cookies %v, want only %s", lp.SetCookies, lp.CSRFCookie.Name)
		}
		pl.loginPage = each(func(int) bnRequest {
			return bnRawRequest(http.MethodGet, p.addr, "/account/login", nil, "", http.StatusOK)
		})
	}
	if o.scenarios["login-post"] {
		// Each connection takes the CSRF cookie and token of one anonymous
		// login page (valid as long as the cookie) and signs in as its own
		// account, again and again, never sending the session cookie back.
		var firstErr error
		pl.loginPost = each(func(i int) bnRequest {
			lpi, err := bnGetLoginPage(ctx, p, bnSrcIP(i))
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				return bnRequest{}
			}
			rq := bnLoginPost(p, nil, lpi, bnEmail(special[o.conns+i]))
			rq.rotate = 50 // Portal allows 100 sign-ins an hour per IP
			return rq
		})
		if firstErr != nil {
			return nil, firstErr
		}
	}
	if o.scenarios["static"] {
		status, h, _, err := bnCheckGet(ctx, p, nil, lp.CSSURL, "")
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK || !strings.Contains(h.Get("Cache-Control"), "immutable") {
			bnLog("warning: %s: %d, Cache-Control %q", lp.CSSURL, status, h.Get("Cache-Control"))
		}
		pl.static = each(func(int) bnRequest {
			return bnRawRequest(http.MethodGet, p.addr, lp.CSSURL, nil, "", http.StatusOK)
		})
	}
	return pl, nil
}

// bnLoadAvg is the machine's 1-minute load average when the run started.
func bnLoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// bnMedian takes the median of each figure over the runs.
func bnMedian(runs []bnResult) *bnResult {
	if len(runs) == 1 {
		return &runs[0]
	}
	med := func(get func(bnResult) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	dur := func(get func(bnResult) time.Duration) time.Duration {
		return time.Duration(med(func(r bnResult) float64 { return float64(get(r)) }))
	}
	out := &bnResult{
		Requests: int(med(func(r bnResult) float64 { return float64(r.Requests) })),
		Elapsed:  runs[0].Elapsed,
		RPS:      med(func(r bnResult) float64 { return r.RPS }),
		P50:      dur(func(r bnResult) time.Duration { return r.P50 }),
		P99:      dur(func(r bnResult) time.Duration { return r.P99 }),
		Max:      dur(func(r bnResult) time.Duration { return r.Max }),
		PeakRSS:  int64(med(func(r bnResult) float64 { return float64(r.PeakRSS) })),
		CPU:      bnMedianCPU(runs),
		Statuses: map[int]int{},
	}
	for _, r := range runs {
		out.Errors += r.Errors
		for s, n := range r.Statuses {
			out.Statuses[s] += n
		}
	}
	return out
}

func bnCommit(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	b, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(b))
	st := exec.Command("git", "status", "--porcelain", "--untracked-files=no")
	st.Dir = root
	if s, err := st.Output(); err == nil && len(strings.TrimSpace(string(s))) > 0 {
		c += "+dirty"
	}
	return c
}
