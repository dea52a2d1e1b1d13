package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bnModuleRoot is the directory of the portal module's go.mod.
func bnModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the harness inside the portal module (go run ./bench)")
	}
	return filepath.Dir(gomod), nil
}

// bnBuild builds cmd/portal and bench/baseline into dir with `go build`,
// exactly as a user would build them.
func bnBuild(ctx context.Context, root, dir string) (portalBin, baselineBin string, err error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(os.PathSeparator), "./cmd/portal", "./bench/baseline")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "portal"), filepath.Join(dir, "baseline"), nil
}

// bnFreePort reserves a loopback port and releases it for the subprocess.
func bnFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// bnProc is a server started as a subprocess.
type bnProc struct {
	name    string
	cmd     *exec.Cmd
	addr    string // host:port
	logPath string
	started time.Time
	ready   time.Duration // start to first 200 on the ready path
	done    chan struct{}
	waitErr error
}

// bnStart starts bin with args (addr is substituted for {addr}) and waits
// until GET readyPath answers 200, polling every millisecond.
func bnStart(ctx context.Context, name, bin string, args []string, logDir, readyPath string) (*bnProc, error) {
	port, err := bnFreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	full := make([]string, len(args))
	for i, a := range args {
		full[i] = strings.ReplaceAll(a, "{addr}", addr)
	}
	logPath := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", name, port))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, full...)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &bnProc{name: name, cmd: cmd, addr: addr, logPath: logPath, done: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	url := "http://" + addr + readyPath
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready (%v); log:\n%s", name, p.waitErr, bnTail(logPath))
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Since(p.started)
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s not ready after 30s; log:\n%s", name, bnTail(logPath))
		}
		time.Sleep(time.Millisecond)
	}
}

// Stop asks the process to shut down (SIGTERM) and kills it after 15 s.
func (p *bnProc) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// URL is the absolute URL of path on p.
func (p *bnProc) URL(path string) string { return "http://" + p.addr + path }

// bnMemStatus reads VmRSS and VmHWM (peak RSS) of pid, in bytes.
func bnMemStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		default:
			continue
		}
		fields := strings.Fields(line)
		if len(fields) >= 2 {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			*dst = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

// RSS is the process's current resident set size.
func (p *bnProc) RSS() int64 {
	rss, _, _ := bnMemStatus(p.cmd.Process.Pid)
	return rss
}

// RSSFile is the file-backed part of RSS (RssFile: mostly the executable's
// pages), which the Go heap does not control.
func (p *bnProc) RSSFile() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "RssFile:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// bnPeakWatch measures a process's peak RSS over an interval: it resets
// the kernel's high-water mark (clear_refs 5) and also samples VmRSS every
// 10 ms, in case the reset is not allowed.
type bnPeakWatch struct {
	pid     int
	reset   bool
	stop    chan struct{}
	stopped chan struct{}
	maxRSS  int64
}

func bnWatchPeak(pid int) *bnPeakWatch {
	w := &bnPeakWatch{pid: pid, stop: make(chan struct{}), stopped: make(chan struct{})}
	w.reset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	go func() {
		defer close(w.stopped)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := bnMemStatus(pid); err == nil && rss > w.maxRSS {
				w.maxRSS = rss
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Peak stops the watch and returns the peak RSS since it started.
func (w *bnPeakWatch) Peak() int64 {
	close(w.stop)
	<-w.stopped
	peak := w.maxRSS
	if w.reset {
		if _, hwm, err := bnMemStatus(w.pid); err == nil && hwm > peak {
			peak = hwm
		}
	}
	return peak
}

// bnTail returns the last lines of a log file, for error messages.
func bnTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// bnCPU is a snapshot of CPU time, in clock ticks (USER_HZ): the whole
// machine's busy time, this process's, and the server's.
type bnCPU struct {
	busy, self, server int64
	at                 time.Time
}

// bnCPUNow reads /proc/stat and /proc/<pid>/stat.
func bnCPUNow(serverPID int) bnCPU {
	s := bnCPU{at: time.Now(), self: bnProcTicks("self")}
	if serverPID > 0 {
		s.server = bnProcTicks(strconv.Itoa(serverPID))
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		for i, v := range f {
			if i == 0 || i == 4 || i == 5 || i > 8 {
				continue // label, idle, iowait, guest
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			s.busy += n
		}
	}
	return s
}

// bnProcTicks is utime+stime of /proc/<pid>/stat.
func bnProcTicks(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s) // state is f[0]; utime, stime are fields 14, 15 of the whole line
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// bnCPUUse is how many cores the server, this process (the load
// generator) and everything else on the machine kept busy between a and b.
type bnCPUUse struct {
	Server float64 `json:"server_cores"`
	Client float64 `json:"client_cores"`
	Other  float64 `json:"other_cores"`
}

const bnClockTick = 100 // USER_HZ on Linux

func bnCPUBetween(a, b bnCPU) bnCPUUse {
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return bnCPUUse{}
	}
	cores := func(t int64) float64 { return float64(t) / bnClockTick / secs }
	u := bnCPUUse{Server: cores(b.server - a.server), Client: cores(b.self - a.self)}
	u.Other = max(0, cores(b.busy-a.busy)-u.Server-u.Client)
	return u
}

// bnCPUWindow measures the CPU use between from and to (zero if ctx ends).
func bnCPUWindow(ctx context.Context, serverPID int, from, to time.Time) bnCPUUse {
	sleepUntil := func(t time.Time) bool {
		timer := time.NewTimer(time.Until(t))
		defer timer.Stop()
		select {
		case <-timer.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !sleepUntil(from) {
		return bnCPUUse{}
	}
	a := bnCPUNow(serverPID)
	if !sleepUntil(to) {
		return bnCPUUse{}
	}
	return bnCPUBetween(a, bnCPUNow(serverPID))
}

// bnWaitQuiet waits, for at most max, until the machine's CPUs are quiet:
// less than bnOtherLoad cores busy over one second, while the harness and
// its servers are idle. It returns the last load seen.
func bnWaitQuiet(ctx context.Context, max time.Duration) float64 {
	deadline := time.Now().Add(max)
	for {
		a := bnCPUNow(0)
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(time.Second):
		}
		b := bnCPUNow(0)
		load := float64(b.busy-a.busy) / bnClockTick / b.at.Sub(a.at).Seconds()
		if load < bnOtherLoad || time.Now().After(deadline) {
			return load
		}
	}
}
