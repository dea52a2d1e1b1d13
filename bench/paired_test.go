package main

import (
	"testing"
	"time"
)

func TestMergeResultsPoolsSlices(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	a := bnResult{Elapsed: time.Second, Errors: 1, Statuses: map[int]int{503: 1}, PeakRSS: 10,
		CPU: bnCPUUse{Server: 1.8, Client: 0.1}, lat: ms(10, 20, 30)}
	b := bnResult{Elapsed: time.Second, Errors: 2, Statuses: map[int]int{503: 1, 429: 1}, PeakRSS: 30,
		CPU: bnCPUUse{Server: 1.6, Client: 0.3, Other: 0.2}, lat: ms(40, 50)}
	m := bnMergeResults([]bnResult{a, b})
	if m.Requests != 5 || m.Elapsed != 2*time.Second || m.RPS != 2.5 {
		t.Errorf("requests %d in %v = %.2f/s, want 5 in 2s = 2.50/s", m.Requests, m.Elapsed, m.RPS)
	}
	if m.Errors != 3 || m.Statuses[503] != 2 || m.Statuses[429] != 1 {
		t.Errorf("errors %d %v, want 3 map[429:1 503:2]", m.Errors, m.Statuses)
	}
	if m.P50 != 30*time.Millisecond || m.P99 != 50*time.Millisecond || m.Max != 50*time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v, want 30ms 50ms 50ms (pooled, not averaged)", m.P50, m.P99, m.Max)
	}
	if m.PeakRSS != 30 {
		t.Errorf("peak RSS %d, want the larger, 30", m.PeakRSS)
	}
	if d := m.CPU.Server - 1.7; d > 1e-9 || d < -1e-9 || m.CPU.Other != 0.1 {
		t.Errorf("cpu %+v, want the mean (server 1.7, other 0.1)", m.CPU)
	}
	if z := bnMergeResults(nil); z.Requests != 0 || z.RPS != 0 {
		t.Errorf("no slices: %+v", z)
	}
}

func TestLoginPostRatioPrefersThePairedMedian(t *testing.T) {
	r := &bnReport{Results: map[string]*bnResult{"login-post": {RPS: 40}}, HashRate: 50}
	if got := r.loginPostRatio(); got != 0.8 {
		t.Errorf("without paired ratios: %v, want 40/50 = 0.8", got)
	}
	r.LoginPostRatio = 0.9
	if got := r.loginPostRatio(); got != 0.9 {
		t.Errorf("with the paired median: %v, want 0.9", got)
	}
	if got := (&bnReport{}).loginPostRatio(); got != 0 {
		t.Errorf("no login-post: %v, want 0", got)
	}
}

func TestPageRatioPrefersThePairedMedian(t *testing.T) {
	r := &bnReport{Results: map[string]*bnResult{"baseline": {RPS: 40000}, "manage": {RPS: 10000}}}
	if x, paired := r.ratio("manage"); x != 0.25 || paired {
		t.Errorf("without paired ratios: %v %v, want 0.25 from the medians", x, paired)
	}
	r.Ratios = map[string]float64{"manage": 0.22}
	if x, paired := r.ratio("manage"); x != 0.22 || !paired {
		t.Errorf("with the paired median: %v %v, want 0.22 paired", x, paired)
	}
	if x, _ := r.ratio("static"); x != 0 {
		t.Errorf("a scenario that did not run: %v, want 0", x)
	}
}
