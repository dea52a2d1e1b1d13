package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator is a tiny client loop rather than net/http's
// Transport: one goroutine per keep-alive connection writes a prepared
// request and reads the response with http.ReadResponse. It costs the
// shared 2 cores far less than a full client, so more of them go to the
// server under test, and it costs the same for every scenario.

// bnRequest is what one connection sends, over and over, and the status
// it expects back.
type bnRequest struct {
	raw        []byte
	wantStatus int
	src        net.IP // the connection's source address (nil: any)
	// rotate > 0: after this many requests, reconnect from a fresh source
	// address (for sign-ins, which are limited per IP).
	rotate int
	// next, when set, makes each request instead of raw (a single-use
	// code per exchange); nil from it ends the connection's load (counted
	// as an error inside the measured window).
	next func() []byte
}

// bnFreshIPs hands out source addresses no connection has used yet.
var bnFreshIPs atomic.Int64

func init() { bnFreshIPs.Store(20000) }

// bnSrcIP is the loopback source address of connection i. Every
// connection comes from its own address, as real visitors do: Portal's
// per-IP rate limits (100 sign-ins an hour) would otherwise refuse the
// login scenario after a few seconds, and sign-ins touch their session
// when the IP changes.
func bnSrcIP(i int) net.IP { return net.IPv4(127, 1, byte(i/250), byte(i%250+1)) }

// bnDialer dials from src.
func bnDialer(src net.IP) *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	return d
}

// bnRawRequest serialises a request for addr with the given extra header
// lines and body.
func bnRawRequest(method, addr, path string, header http.Header, body string, wantStatus int) bnRequest {
	b := fmt.Appendf(nil, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: portal-bench/1 (Go)\r\n", method, path, addr)
	for k, vs := range header {
		for _, v := range vs {
			b = fmt.Appendf(b, "%s: %s\r\n", k, v)
		}
	}
	if method == http.MethodPost {
		b = fmt.Appendf(b, "Content-Length: %d\r\n", len(body))
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	return bnRequest{raw: b, wantStatus: wantStatus}
}

// bnResult is one scenario's measurement.
type bnResult struct {
	Requests int           `json:"requests"` // answered with the expected status
	Errors   int           `json:"errors"`   // transport errors and unexpected statuses
	Elapsed  time.Duration `json:"elapsed_ns"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	PeakRSS  int64         `json:"peak_rss"`
	CPU      bnCPUUse      `json:"cpu"`
	Statuses map[int]int   `json:"statuses,omitempty"` // unexpected statuses seen

	lat []time.Duration // every latency counted, for bnMergeResults
}

// bnRun drives addr with one goroutine per request in reqs (one keep-alive
// connection each) for warmup+duration, and measures the requests that
// complete inside the final duration: req/s and latency count only the
// answers with the expected status; the others are errors.
func bnRun(ctx context.Context, addr string, serverPID int, reqs []bnRequest, warmup, duration time.Duration) bnResult {
	start := time.Now()
	measureFrom := start.Add(warmup)
	measureTo := measureFrom.Add(duration)
	cpu := make(chan bnCPUUse, 1)
	go func() { cpu <- bnCPUWindow(ctx, serverPID, measureFrom, measureTo) }()
	type workerOut struct {
		lat      []time.Duration
		errs     int
		statuses map[int]int
	}
	outs := make([]workerOut, len(reqs))
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outs[i]
			o.lat = make([]time.Duration, 0, 1<<14)
			o.statuses = map[int]int{}
			var conn net.Conn
			var br *bufio.Reader
			src, sent := rq.src, 0
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(measureTo) {
					return
				}
				if rq.rotate > 0 && sent == rq.rotate {
					if conn != nil {
						conn.Close()
						conn = nil
					}
					src, sent = bnSrcIP(int(bnFreshIPs.Add(1))), 0
				}
				sent++
				if conn == nil {
					c, err := bnDialer(src).DialContext(ctx, "tcp", addr)
					if err != nil {
						o.errs++
						time.Sleep(10 * time.Millisecond)
						continue
					}
					conn, br = c, bufio.NewReaderSize(c, 32<<10)
				}
				raw := rq.raw
				if rq.next != nil {
					if raw = rq.next(); raw == nil {
						if t0.After(measureFrom) {
							o.errs++
							o.statuses[-1]++ // the pool ran out
						}
						return
					}
				}
				status, keep, err := bnRoundTrip(conn, br, raw)
				t1 := time.Now()
				inWindow := !t1.Before(measureFrom) && t1.Before(measureTo)
				if err != nil {
					conn.Close()
					conn = nil
					if inWindow {
						o.errs++
					}
					continue
				}
				if !keep {
					conn.Close()
					conn = nil
				}
				if !inWindow {
					continue
				}
				if status != rq.wantStatus {
					// Refusals (a 503 from the hashing queue, a 429)
					// are counted, but are neither throughput nor
					// latency: only expected answers are.
					o.errs++
					o.statuses[status]++
					continue
				}
				o.lat = append(o.lat, t1.Sub(t0))
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	res := bnResult{Elapsed: duration, Statuses: map[int]int{}}
	for _, o := range outs {
		all = append(all, o.lat...)
		res.Errors += o.errs
		for s, n := range o.statuses {
			res.Statuses[s] += n
		}
	}
	res.Requests = len(all)
	res.RPS = float64(len(all)) / duration.Seconds()
	res.P50, res.P99, res.Max = bnPercentiles(all)
	res.lat = all
	res.CPU = <-cpu
	return res
}

// bnRoundTrip writes one request and reads the whole response.
func bnRoundTrip(conn net.Conn, br *bufio.Reader, raw []byte) (status int, keepAlive bool, err error) {
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, false, err
	}
	return resp.StatusCode, !resp.Close, nil
}

// bnPercentiles returns p50, p99 and max of d (sorted in place).
func bnPercentiles(d []time.Duration) (p50, p99, mx time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(d))+0.999999) - 1
		return d[max(0, min(i, len(d)-1))]
	}
	return at(0.50), at(0.99), d[len(d)-1]
}
