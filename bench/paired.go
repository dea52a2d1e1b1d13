package main

import (
	"context"
	"runtime"
	"slices"
	"time"
)

// bnPairSlice is the measured length of one slice of the paired login-post
// measurement, and bnPairWarmup the unmeasured load before each slice.
const (
	bnPairSlice  = time.Second
	bnPairWarmup = 500 * time.Millisecond
)

// bnSlicing splits o.duration into n slices of about bnPairSlice.
func bnSlicing(o bnOptions) (n int, slice time.Duration) {
	n = max(1, int(o.duration/bnPairSlice))
	return n, o.duration / time.Duration(n)
}

// bnAlternate measures the pairs of a paired scenario, one per slice of
// bnSlicing(o). pair(i, warm) measures slice i's two sides after warm of
// unmeasured load (the full -warmup for the first slice: the idle server
// has given memory back; bnPairWarmup for the others) and returns the
// cores other processes used on each side and a func that keeps its
// figures. A pair is measured again (up to o.retries times) while others
// used more than bnOtherLoad; the last try is kept in any case.
func bnAlternate(ctx context.Context, o bnOptions, label string, pair func(i int, warm time.Duration) (otherA, otherB float64, keep func())) {
	n, _ := bnSlicing(o)
	for i := 0; i < n && ctx.Err() == nil; i++ {
		warm := bnPairWarmup
		if i == 0 {
			warm = max(warm, o.warmup)
		}
		for try := range max(1, o.retries) {
			a, b, keep := pair(i, warm)
			if (a <= bnOtherLoad && b <= bnOtherLoad) || try+1 >= o.retries || ctx.Err() != nil {
				keep()
				break
			}
			bnLog("%s slice %d: other processes used %.2f / %.2f cores; measuring the pair again", label, i+1, a, b)
		}
	}
}

// bnLoginPostPaired measures sign-ins (POST /account/login with the right
// password) and the raw argon2id rate in alternating slices of about a
// second: raw hashing in this process while the server idles, then
// sign-ins, and so on for o.duration each. On a shared VM the rate of
// argon2id (memory-bound: 46 MiB per hash) drifts by ±15% within seconds
// as the neighbours' memory traffic changes; measured one after the other
// in 5-second blocks the two figures caught different machines and their
// ratio swung from 0.66 to 0.92 with the same code. Alternating slices put
// both under the same drift (bnAlternate).
func bnLoginPostPaired(ctx context.Context, o bnOptions, p *bnProc, plan []bnRequest, round int) (hashRate float64, hashCPU bnCPUUse, res bnResult) {
	n, slice := bnSlicing(o)
	if o.quietWait > 0 {
		bnWaitQuiet(ctx, o.quietWait)
	}
	bnLog("login-post and argon2id in-process: round %d/%d, %d slices of %v each, %d connections / %d goroutines",
		round+1, o.runs, n, slice, len(plan), runtime.NumCPU())
	w := bnWatchPeak(p.cmd.Process.Pid)
	var posts []bnResult
	var hashes []float64
	var hashUse []bnCPUUse
	// Each connection signs in from its own address for the whole round
	// (a first sign-in from an address costs more: a new-device event).
	reqs := slices.Clone(plan)
	for j := range reqs {
		reqs[j].src = bnSrcIP(int(bnFreshIPs.Add(1)))
	}
	bnAlternate(ctx, o, "login-post", func(i int, warm time.Duration) (float64, float64, func()) {
		h, hu := bnHashRate(ctx, runtime.NumCPU(), bnPairWarmup, slice)
		r := bnRun(ctx, p.addr, p.cmd.Process.Pid, reqs, warm, slice)
		return hu.Other, r.CPU.Other, func() {
			bnLog("  slice %d/%d: argon2id %.0f/s, sign-ins %.0f/s", i+1, n, h, r.RPS)
			hashes, hashUse, posts = append(hashes, h), append(hashUse, hu), append(posts, r)
		}
	})
	res = bnMergeResults(posts)
	res.PeakRSS = w.Peak()
	var total float64
	for _, h := range hashes {
		total += h
	}
	if len(hashes) > 0 {
		hashRate = total / float64(len(hashes))
	}
	return hashRate, bnMeanCPU(hashUse), res
}

// bnMergeResults joins measurements of equal-length slices of one scenario
// into one: counts add up, latencies are pooled for the percentiles, CPU
// use is averaged.
func bnMergeResults(parts []bnResult) bnResult {
	out := bnResult{Statuses: map[int]int{}}
	var lat []time.Duration
	use := make([]bnCPUUse, 0, len(parts))
	for _, r := range parts {
		out.Errors += r.Errors
		out.Elapsed += r.Elapsed
		for s, n := range r.Statuses {
			out.Statuses[s] += n
		}
		lat = append(lat, r.lat...)
		use = append(use, r.CPU)
		out.PeakRSS = max(out.PeakRSS, r.PeakRSS)
	}
	out.Requests = len(lat)
	if out.Elapsed > 0 {
		out.RPS = float64(out.Requests) / out.Elapsed.Seconds()
	}
	out.P50, out.P99, out.Max = bnPercentiles(lat)
	out.CPU = bnMeanCPU(use)
	return out
}

// bnMeanCPU averages CPU use over measurements of equal length.
func bnMeanCPU(us []bnCPUUse) bnCPUUse {
	var m bnCPUUse
	if len(us) == 0 {
		return m
	}
	for _, u := range us {
		m.Server += u.Server
		m.Client += u.Client
		m.Other += u.Other
	}
	k := float64(len(us))
	return bnCPUUse{Server: m.Server / k, Client: m.Client / k, Other: m.Other / k}
}

// bnPairedWithBaseline measures a page scenario against the bare baseline
// in alternating slices of about a second (baseline, then the scenario,
// o.duration each in all), and returns the scenario's pooled result and
// its rate over the baseline's in the same slices. Measured one after the
// other, the two caught different moments of a shared machine: the
// baseline alone swung between 36,000 and 53,000 req/s from run to run,
// and every ratio with it (bnAlternate).
func bnPairedWithBaseline(ctx context.Context, o bnOptions, name string, base *bnProc, baseReqs []bnRequest, p *bnProc, reqs []bnRequest, round int) (bnResult, float64) {
	n, slice := bnSlicing(o)
	if o.quietWait > 0 {
		bnWaitQuiet(ctx, o.quietWait)
	}
	bnLog("%s and baseline: round %d/%d, %d slices of %v each, %d connections", name, round+1, o.runs, n, slice, len(reqs))
	w := bnWatchPeak(p.cmd.Process.Pid)
	var parts []bnResult
	var baseN, scenN int
	bnAlternate(ctx, o, name, func(i int, warm time.Duration) (float64, float64, func()) {
		b := bnRun(ctx, base.addr, base.cmd.Process.Pid, baseReqs, warm, slice)
		r := bnRun(ctx, p.addr, p.cmd.Process.Pid, reqs, warm, slice)
		return b.CPU.Other, r.CPU.Other, func() {
			bnLog("  slice %d/%d: baseline %.0f/s, %s %.0f/s", i+1, n, b.RPS, name, r.RPS)
			parts = append(parts, r)
			baseN += b.Requests
			scenN += r.Requests
		}
	})
	res := bnMergeResults(parts)
	res.PeakRSS = w.Peak()
	if baseN == 0 {
		return res, 0
	}
	return res, float64(scenN) / float64(baseN)
}
